import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import {
  Timeline,
  formatTimelineLoadError,
  loadTimelineFile,
  parseTimelineJsonl,
  saveTimeline,
  wallTimeOf,
  type AnyEvent,
  type TimelineLoadError,
} from '../../../main/session/timeline';
import { eventsOf } from '../../../main/session/timeline-events';
import { cand, iceScenarioTimeline, mediaStats, newTimeline, pair } from '../../fixtures/timeline/build';

function loadError(text: string): TimelineLoadError {
  const r = parseTimelineJsonl(text, 'run.jsonl');
  if (r.ok) throw new Error('expected a load error');
  return r.error;
}

const HEADER = JSON.stringify({ format: 'mediapath-timeline', version: 1, tool: 'mediapath', toolVersion: '1.2.3', startedAt: '2026-01-01T00:00:00.000Z', originAt: 0 });

describe('Timeline', () => {
  it('numbers events from 1 and keeps at from running backwards', () => {
    const t = newTimeline();
    t.append({ type: 'a', at: 10 });
    t.append({ type: 'b', at: 5, x: 1 });
    t.append({ type: 'c', at: 12 });
    expect(t.events.map((e) => [e.seq, e.type, e.at])).toEqual([
      [1, 'a', 10],
      [2, 'b', 10],
      [3, 'c', 12],
    ]);
    expect(t.events[1]!['x']).toBe(1);
  });

  it('replaces a seq the event already carries', () => {
    const t = newTimeline();
    t.append({ type: 'a', at: 1 });
    const s = t.append({ type: 'b', at: 2, seq: 99 });
    expect(s.seq).toBe(2);
  });

  it('stamps the header from the clock: wall time of the origin, tool version, meta', () => {
    const clock = new FakeClock(500, Date.UTC(2026, 2, 3, 4, 5, 6));
    const t = Timeline.start(clock, { toolVersion: '9.9.9', meta: { scenario: 'x', side: 'caller' } });
    expect(t.header).toMatchObject({ format: 'mediapath-timeline', version: 1, tool: 'mediapath', toolVersion: '9.9.9', originAt: 500, meta: { scenario: 'x', side: 'caller' } });
    expect(t.header.startedAt).toBe(new Date(Date.UTC(2026, 2, 3, 4, 5, 6) + 500).toISOString());
    expect(t.wallTimeOf(1500)).toBe(Date.parse(t.header.startedAt) + 1000);
    expect(wallTimeOf(t.header, 500)).toBe(Date.parse(t.header.startedAt));
  });

  it('tells subscribers of new events, replays on request, and stops after dispose', () => {
    const t = newTimeline();
    t.append({ type: 'old', at: 0 });
    const seen: string[] = [];
    const replayed: string[] = [];
    const d = t.subscribe((e) => seen.push(e.type));
    const r = t.subscribe((e) => replayed.push(e.type), { replay: true });
    t.subscribe(() => {
      throw new Error('a broken view');
    });
    t.append({ type: 'new', at: 1 });
    d.dispose();
    t.append({ type: 'later', at: 2 });
    r.dispose();
    expect(seen).toEqual(['new']);
    expect(replayed).toEqual(['old', 'new', 'later']);
  });
});

describe('JSON Lines', () => {
  it('writes a header line then one line per event, and reads it back identically', () => {
    const t = newTimeline({ scenario: 'roundtrip' });
    const local = cand({ type: 'host', address: '10.0.0.1' });
    const remote = cand({ type: 'host', address: '10.0.0.2', side: 'R' });
    t.append({ type: 'candidate.gathered', at: 1, candidate: local });
    t.append({ type: 'check', at: 2, pair: pair(local, remote), from: 'in-progress', to: 'succeeded', reason: 'response', rtt: 0.1 + 0.2 });
    t.append(mediaStats({ at: 1000, jitterMs: 1 / 3 }));
    t.append({ type: 'something.new', at: 1001, detail: { nested: [1, 2, 3] } });
    const text = t.toJsonl();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toEqual(t.header);
    expect(Object.keys(JSON.parse(lines[1]!) as object).slice(0, 3)).toEqual(['seq', 'type', 'at']);
    const back = parseTimelineJsonl(text);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.value.header).toEqual(t.header);
    expect(back.value.events).toEqual(t.events);
    expect(back.value.toJsonl()).toBe(text);
  });

  it('loads a real lab run (udp-blocked, caller side) unchanged', async () => {
    const t = await iceScenarioTimeline('udp-blocked');
    expect(eventsOf(t.events, 'check').length).toBeGreaterThan(0);
    const back = parseTimelineJsonl(t.toJsonl());
    if (!back.ok) throw new Error(formatTimelineLoadError(back.error));
    expect(JSON.stringify(back.value.events)).toBe(JSON.stringify(t.events));
  });

  it('loads a bare event list without header or seq (main/serve exports), numbering events in order', () => {
    const text = [
      { type: 'run.started', at: 100, runId: 'r1', title: 'lab', source: 'lab', startedAt: Date.UTC(2026, 0, 2) },
      { type: 'phase', at: 100, name: 'gathering', state: 'running' },
      { type: 'phase', at: 300, name: 'gathering', state: 'done' },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const r = parseTimelineJsonl(text, 'serve.jsonl');
    if (!r.ok) throw new Error(formatTimelineLoadError(r.error));
    expect(r.value.header).toMatchObject({ format: 'mediapath-timeline', toolVersion: 'unknown', startedAt: '2026-01-02T00:00:00.000Z', originAt: 100 });
    expect(r.value.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(r.value.events[1]).toEqual({ seq: 2, type: 'phase', at: 100, name: 'gathering', state: 'running' });
    expect(loadError('{"type":"phase","at":1,"name":"x"}\n')).toMatchObject({ line: 1, field: 'phase.state' });
  });

  it('names the line of a line that is not JSON', () => {
    const e = loadError(`${HEADER}\n{"seq":1,"type":"a","at":0}\n{"seq":2,"type":"b",\n`);
    expect(e).toMatchObject({ code: 'TIMELINE_INVALID', file: 'run.jsonl', line: 3 });
    expect(formatTimelineLoadError(e)).toMatch(/^run\.jsonl:3: not JSON/);
  });

  it('checks the header', () => {
    expect(loadError('')).toMatchObject({ line: 1, reason: expect.stringMatching(/header/) });
    expect(loadError('{"format":"other","version":1}\n')).toMatchObject({ line: 1, field: 'header.format' });
    expect(loadError('[]\n')).toMatchObject({ line: 1 });
    expect(loadError(HEADER.replace('"version":1', '"version":7') + '\n')).toMatchObject({ line: 1, field: 'header.version' });
  });

  it('checks seq, at and type on every event', () => {
    expect(loadError(`${HEADER}\n{"seq":1,"type":"a","at":5}\n{"seq":1,"type":"b","at":6}\n`)).toMatchObject({ line: 3, field: 'seq' });
    expect(loadError(`${HEADER}\n{"seq":1,"type":"a","at":5}\n{"seq":2,"type":"b","at":4}\n`)).toMatchObject({ line: 3, field: 'at' });
    expect(loadError(`${HEADER}\n{"seq":1,"at":5}\n`)).toMatchObject({ line: 2, field: 'type' });
    expect(loadError(`${HEADER}\n{"seq":1,"type":"a","at":"soon"}\n`)).toMatchObject({ line: 2, field: 'at' });
    expect(loadError(`${HEADER}\n\n{"seq":1,"type":"a","at":5}\n`)).toMatchObject({ line: 2, reason: 'empty line' });
  });

  it('checks the fields of the event types reports read, naming the field', () => {
    const local = cand({ type: 'host', address: '10.0.0.1' });
    const bad = { seq: 1, type: 'check', at: 1, pair: pair(local, { ...cand({ type: 'host', address: '10.0.0.2' }), port: 'x' }), to: 'succeeded' };
    const e = loadError(`${HEADER}\n${JSON.stringify(bad)}\n`);
    expect(e).toMatchObject({ line: 2, field: 'check.pair.remote.port' });
    expect(formatTimelineLoadError(e)).toMatch(/^run\.jsonl:2: check\.pair\.remote\.port: Expected number/);
    const noStats = { seq: 1, type: 'media.stats', at: 1, epoch: 0 };
    expect(loadError(`${HEADER}\n${JSON.stringify(noStats)}\n`)).toMatchObject({ line: 2, field: 'media.stats.stats' });
  });

  it('refuses a line over the bound without parsing it', () => {
    const huge = `{"seq":1,"type":"a","at":0,"x":"${'y'.repeat(1 << 20)}"}`;
    expect(loadError(`${HEADER}\n${huge}\n`)).toMatchObject({ line: 2, reason: expect.stringMatching(/longer than/) });
  });

  it('never throws on hostile input', () => {
    const samples = ['\u0000', '[]\n', 'null\n', `${HEADER}\n[]\n`, `${HEADER}\n1\n`, `${HEADER}\n{"seq":1e400,"type":"a","at":0}\n`, `${HEADER}\r\n{"seq":1,"type":"a","at":0}\r\n`];
    for (const s of samples) expect(() => parseTimelineJsonl(s)).not.toThrow();
    expect(parseTimelineJsonl(`${HEADER}\r\n{"seq":1,"type":"a","at":0}\r\n`).ok).toBe(true);
  });
});

describe('files', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a file; a missing file is an error naming it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediapath-timeline-'));
    const t = newTimeline();
    t.append({ type: 'a', at: 1 } as AnyEvent);
    const file = path.join(dir, 'run.jsonl');
    await saveTimeline(t, file);
    const back = await loadTimelineFile(file);
    expect(back.ok && back.value.events).toEqual(t.events);
    const missing = await loadTimelineFile(path.join(dir, 'nope.jsonl'));
    expect(!missing.ok && formatTimelineLoadError(missing.error)).toMatch(/nope\.jsonl: cannot read/);
    await writeFile(file, `${HEADER}\n{"seq":1}\n`);
    const broken = await loadTimelineFile(file);
    expect(!broken.ok && formatTimelineLoadError(broken.error)).toBe(`${file}:2: type: Required`);
  });
});
