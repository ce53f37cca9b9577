import { describe, expect, it } from 'vitest';
import { humanSummary, reportFromTimeline } from '../../../main/report';
import { callTimeline, iceScenarioTimeline } from '../../fixtures/timeline/build';

describe('the human summary', () => {
  it('tells the call in order and ends with what went wrong', () => {
    const s = humanSummary(reportFromTimeline(callTimeline()));
    const lines = s.split('\n');
    expect(lines[0]).toBe('mediapath 0.1.0, run of 2026-01-05T09:30:00.000Z (scenario promotion-call, side caller), 15.0 s');
    expect(lines[1]).toMatch(/^Verdict: FAIL - epoch 1 .*packet loss 1\.19%/);
    expect(s).toMatch(/^ {2}ok {3}registration {7}20 ms$/m);
    expect(s).toContain('MRAS: credentials for 1 relay(s) (av.lab.test udp 3478 tcp 443), valid 8.0 h');
    expect(s).toContain('Candidates: local 4 (host 1, srflx 1, relay 2); remote 2 (host 1, relay 1)');
    expect(s).toMatch(/7\.00 s {2}higher-priority-succeeded {2}host\/udp 10\.1\.0\.11:50000 → host\/udp 10\.1\.0\.12:50000/);
    expect(s).toContain('  epoch 1 relay 6.70 s: loss 1.19%, jitter 6.0 ms, rtt 80.0 ms, MOS 4.07 - fail');
    expect(s).toContain('    missed: packet loss 1.19% (limit < 1%, any 15 s)');
    expect(s).toMatch(/\[info\] path-unsettled: The media path was still changing 6\.0 s/);
    expect(s).not.toMatch(/[^\x20-\x7e\n→]/);
  });

  it('a run without media says so', async () => {
    const s = humanSummary(reportFromTimeline(await iceScenarioTimeline('udp-blocked')));
    expect(s).toContain('Verdict: ERROR - no media was measured');
    expect(s).toContain('  no media measured');
    expect(s).toMatch(/\[warning\] relay-one-transport: The relay answered over TCP but never over UDP/);
  });
});
