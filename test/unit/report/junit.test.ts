import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { escapeXml, reportFromTimeline, toJunitXml } from '../../../main/report';
import type { AnyEvent } from '../../../main/session/timeline';
import { callTimeline, iceScenarioTimeline, newTimeline } from '../../fixtures/timeline/build';

type Node = Record<string, unknown>;

function parse(xml: string): Node {
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml) as Node;
}

describe('JUnit XML', () => {
  it('one test case per phase and per threshold per epoch, with failures and skips counted', () => {
    const xml = toJunitXml(reportFromTimeline(callTimeline()));
    const doc = parse(xml)['testsuites'] as Node;
    expect(doc).toMatchObject({ '@name': 'mediapath', '@tests': '17', '@failures': '1', '@errors': '0', '@skipped': '2', '@time': '15.020' });
    const [phases, thresholds] = doc['testsuite'] as Node[];
    expect((phases!['testcase'] as Node[]).map((c) => c['@name'])).toEqual(['registration', 'mras', 'gathering', 'checks', 'media']);
    expect(phases!['system-out']).toMatch(/\[info\] path-unsettled: /);
    expect(thresholds!['@name']).toBe('mediapath.thresholds.microsoft-client-edge');
    const cases = thresholds!['testcase'] as Node[];
    expect(cases).toHaveLength(12);
    const failed = cases.filter((c) => c['failure']);
    expect(failed.map((c) => c['@name'])).toEqual(['epoch 1 relay/udp(udp) 203.0.113.10:49152 → relay/udp 203.0.113.10:49160: packet loss < 1']);
    expect((failed[0]!['failure'] as Node)['@message']).toBe('packet loss 1.19% (limit < 1%, any 15 s)');
    expect(cases.filter((c) => c['skipped']).map((c) => String(c['@name']).split(': ')[1])).toEqual(['one-way latency < 50', 'one-way latency < 50']);
  });

  it('a run without media gets one error case; a failed phase a failure', async () => {
    const doc = parse(toJunitXml(reportFromTimeline(await iceScenarioTimeline('udp-blocked'))))['testsuites'] as Node;
    expect(doc).toMatchObject({ '@errors': '1', '@failures': '0' });
    const t = newTimeline();
    t.append({ type: 'phase', at: 0, name: 'mras', state: 'running' });
    t.append({ type: 'phase', at: 9, name: 'mras', state: 'failed', detail: 'MRAS_TIMEOUT' });
    const failed = parse(toJunitXml(reportFromTimeline(t)))['testsuites'] as Node;
    const phase = ((failed['testsuite'] as Node[])[0]!['testcase'] as Node[])[0]!;
    expect((phase['failure'] as Node)['@message']).toBe('mras failed: MRAS_TIMEOUT');
  });

  it('escapes what a peer can put in a reason phrase or a meta value', () => {
    const hostile = `<evil attr="1" & 'x'>]]>\u0000\u001b\uD800 ok`;
    const t = newTimeline({ scenario: hostile });
    t.append({ type: 'phase', at: 0, name: hostile, state: 'running' } as AnyEvent);
    t.append({ type: 'phase', at: 5, name: hostile, state: 'failed', detail: hostile } as AnyEvent);
    const xml = toJunitXml(reportFromTimeline(t));
    const doc = parse(xml)['testsuites'] as Node;
    const c = ((doc['testsuite'] as Node[])[0]!['testcase'] as Node[])[0]!;
    expect(c['@name']).toBe(`<evil attr="1" & 'x'>]]>\uFFFD\uFFFD\uFFFD ok`);
    expect(xml).toContain('name="&lt;evil attr=&quot;1&quot; &amp; &apos;x&apos;&gt;]]&gt;');
    expect([...xml].some((ch) => ch.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(ch))).toBe(false);
  });

  it('escapeXml keeps valid surrogate pairs and escapes the five entities', () => {
    expect(escapeXml('a<b>&"\'😀\t\n')).toBe('a&lt;b&gt;&amp;&quot;&apos;😀\t\n');
    expect(escapeXml('\uDC00x\uFFFE')).toBe('\uFFFDx\uFFFD');
  });
});
