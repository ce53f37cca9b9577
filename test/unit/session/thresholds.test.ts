import { describe, expect, it } from 'vitest';
import {
  MICROSOFT_CLIENT_EDGE,
  MICROSOFT_EDGE_EDGE,
  describeMetricVerdict,
  evaluateThresholds,
  profileByName,
  userProfile,
  windowsOf,
  type MetricVerdict,
  type ThresholdVerdicts,
} from '../../../main/session/thresholds';
import { aggregate, mediaEpochs, mediaIntervals } from '../../../main/session/timeline-media';
import { HOST_PATH, RELAY_PATH, mediaEpoch, mediaStats, newTimeline, type IntervalOpts } from '../../fixtures/timeline/build';

/** `n` one-second intervals ending at `from + 1000`, `from + 2000`… */
function run(n: number, from: number, o: Omit<IntervalOpts, 'at'> = {}, per: (i: number) => Partial<IntervalOpts> = () => ({})): ReturnType<typeof mediaStats>[] {
  return Array.from({ length: n }, (_, i) => mediaStats({ ...o, ...per(i), at: from + (i + 1) * 1000 }));
}

function verdicts(events: ReturnType<typeof mediaStats>[], profile = MICROSOFT_CLIENT_EDGE): ThresholdVerdicts {
  const t = newTimeline();
  for (const e of events) t.append(e);
  return evaluateThresholds(mediaEpochs(t.events), profile);
}

function metric(v: ThresholdVerdicts, name: MetricVerdict['metric'], epoch = 0): MetricVerdict {
  const m = v.epochs.find((e) => e.epoch === epoch)!.metrics.find((x) => x.metric === name);
  if (!m) throw new Error(`no ${name}`);
  return m;
}

describe('the profiles', () => {
  it('hold the Microsoft targets', () => {
    expect(MICROSOFT_CLIENT_EDGE.limits).toMatchObject({ lossPct: { max: 1, windowMs: 15_000 }, jitterMs: { max: 30, windowMs: 15_000 }, rttMs: { max: 100 }, burstLossPct: { max: 10, windowMs: 200 }, reorderPct: { max: 0.05 } });
    expect(MICROSOFT_EDGE_EDGE.limits).toMatchObject({ lossPct: { max: 0.1 }, jitterMs: { max: 15 }, rttMs: { max: 60 }, burstLossPct: { max: 1 }, reorderPct: { max: 0.01 } });
    expect(profileByName('microsoft-edge-edge')).toEqual({ ok: true, value: MICROSOFT_EDGE_EDGE });
    expect(profileByName('nope')).toMatchObject({ ok: false, error: expect.stringMatching(/known: microsoft-client-edge, microsoft-edge-edge/) });
  });

  it('user-defined: own limits over a base, null removes one', () => {
    const p = userProfile('lenient', { rttMs: { max: 250 }, reorderPct: null, mos: { min: 3.5 } }, MICROSOFT_CLIENT_EDGE);
    expect(p.limits.rttMs).toEqual({ max: 250 });
    expect(p.limits.reorderPct).toBeUndefined();
    expect(p.limits.lossPct).toEqual({ max: 1, windowMs: 15_000 });
    expect(p.limits.mos).toEqual({ min: 3.5 });
    expect(userProfile('only-loss', { lossPct: { max: 2 } }).limits).toEqual({ lossPct: { max: 2 } });
  });
});

describe('windows', () => {
  it('are runs of consecutive measured intervals spanning the window; the whole epoch when shorter', () => {
    const t = newTimeline();
    for (const e of run(20, 0)) t.append(e);
    const iv = mediaIntervals(t.events);
    const w = windowsOf(iv, 15_000);
    expect(w).toHaveLength(6);
    expect(w.every((x) => x.length === 15)).toBe(true);
    expect(windowsOf(iv.slice(0, 10), 15_000)).toEqual([iv.slice(0, 10)]);
    expect(windowsOf([], 15_000)).toEqual([]);
  });
});

describe('verdicts', () => {
  it('pass on a clean path, with every measured figure reported', () => {
    const v = verdicts(run(20, 0, { rttMs: 40, jitterMs: 3 }));
    expect(v.status).toBe('pass');
    expect(metric(v, 'lossPct')).toMatchObject({ status: 'pass', value: 0, op: '<', limit: 1, windowMs: 15_000 });
    expect(metric(v, 'rttMs')).toMatchObject({ status: 'pass', value: 40 });
    expect(metric(v, 'oneWayMs').status).toBe('not-measured');
  });

  it('fail on loss concentrated in one 15 s window even when the whole call averages below 1 %', () => {
    // 60 s at 50 packets/s; 12 lost in seconds 30–35: 0.4 % over the call, 1.6 % in its worst 15 s.
    const v = verdicts(run(60, 0, {}, (i) => (i >= 30 && i < 36 ? { lost: 2 } : {})));
    const loss = metric(v, 'lossPct');
    expect(loss.status).toBe('fail');
    expect(loss.value).toBeCloseTo((100 * 12) / 750, 6);
    expect(loss.window!.endMs - loss.window!.startMs).toBe(15_000);
    expect(v.status).toBe('fail');
    expect(v.reason).toMatch(/packet loss 1\.60% \(limit < 1%, any 15 s\)/);
    const all = aggregate(mediaIntervals(newTimelineWith(run(60, 0, {}, (i) => (i >= 30 && i < 36 ? { lost: 2 } : {}))).events));
    expect(all.lossPct).toBeCloseTo(0.4, 6);
  });

  it('a limit is strict: exactly 1 % loss fails', () => {
    const v = verdicts(run(10, 0, { expected: 100, lost: 1 }));
    expect(metric(v, 'lossPct')).toMatchObject({ status: 'fail', value: 1 });
  });

  it('jitter, round trip and reorder against the edge-to-edge profile', () => {
    const lines = run(5, 0, { jitterMs: 20, rttMs: 70, expected: 1000 }, (i) => (i === 0 ? { reordered: 1 } : {}));
    const v = verdicts(lines, MICROSOFT_EDGE_EDGE);
    expect(metric(v, 'jitterMs')).toMatchObject({ status: 'fail', value: 20 });
    expect(metric(v, 'rttMs')).toMatchObject({ status: 'fail', value: 70 });
    expect(metric(v, 'reorderPct')).toMatchObject({ status: 'fail', value: 0.02 });
    const ok = verdicts(lines);
    expect(ok.status).toBe('pass');
  });

  it('burst loss uses the worst interval\'s RFC 3611 burst density', () => {
    const v = verdicts(run(5, 0, {}, (i) => (i === 2 ? { lost: 3, burstCount: 1, burstDensity: 0.3 } : {})));
    expect(metric(v, 'burstLossPct')).toMatchObject({ status: 'fail', value: 30, window: { startMs: 2000, endMs: 3000 } });
  });

  it('one-way latency only where it was measured (lab)', () => {
    expect(metric(verdicts(run(3, 0, { oneWayMs: 60 })), 'oneWayMs')).toMatchObject({ status: 'fail', value: 60 });
  });

  it('MOS with a minimum in a user profile', () => {
    const p = userProfile('mos', { mos: { min: 4 } });
    expect(metric(verdicts(run(3, 0, { mos: 3.6 }), p), 'mos')).toMatchObject({ status: 'fail', op: '>=', value: 3.6 });
    expect(metric(verdicts(run(3, 0, { mos: 4 }), p), 'mos')).toMatchObject({ status: 'pass' });
  });

  it('per epoch: a bad relay epoch fails while the promoted host epoch passes', () => {
    const events = [
      mediaEpoch(0, 1, RELAY_PATH, 'first-success'),
      ...run(3, 0, { epoch: 1, path: RELAY_PATH, rttMs: 180 }),
      mediaEpoch(3000, 2, HOST_PATH, 'higher-priority-succeeded'),
      ...run(5, 3000, { epoch: 2, path: HOST_PATH, rttMs: 5 }),
    ];
    const v = verdicts(events);
    expect(v.epochs.map((e) => [e.epoch, e.path?.kind, e.status])).toEqual([
      [1, 'relay', 'fail'],
      [2, 'host', 'pass'],
    ]);
    expect(v.status).toBe('fail');
    expect(v.reason).toMatch(/^epoch 1 \(relay\/udp 203\.0\.113\.10:50000/);
  });

  it('error when nothing was received; an epoch without packets is not-measured', () => {
    expect(verdicts([]).status).toBe('error');
    expect(verdicts(run(3, 0, { received: false }))).toMatchObject({ status: 'error', reason: 'no media was received on any path' });
    const mixed = verdicts([...run(2, 0, { epoch: 0, received: false }), ...run(3, 2000, { epoch: 1 })]);
    expect(mixed.status).toBe('pass');
    expect(mixed.epochs.map((e) => e.status)).toEqual(['not-measured', 'pass']);
  });

  it('describes a verdict in words', () => {
    expect(describeMetricVerdict({ metric: 'rttMs', status: 'fail', value: 123.456, op: '<', limit: 100 })).toBe('round trip 123.5 ms (limit < 100 ms)');
    expect(describeMetricVerdict({ metric: 'oneWayMs', status: 'not-measured', op: '<', limit: 50 })).toBe('one-way latency not measured (limit < 50 ms)');
  });
});

describe('main/api flat media.stats', () => {
  const flat = (at: number, epoch: number, o: { lossPct?: number; received?: number; jitterMs?: number; rttMs?: number; mos?: number }) => ({
    type: 'media.stats',
    at,
    epoch,
    path: HOST_PATH,
    stats: { startMs: at - 1000, endMs: at, packetsSent: 50, ...(o.received !== undefined ? { packetsReceived: o.received } : {}), ...(o.lossPct !== undefined ? { lossPct: o.lossPct } : {}), ...(o.jitterMs !== undefined ? { jitterMs: o.jitterMs } : {}), ...(o.rttMs !== undefined ? { rttMs: o.rttMs } : {}), ...(o.mos !== undefined ? { mos: o.mos } : {}) },
  });

  it('work back the counts from the loss rate; reorder and bursts stay unmeasured', () => {
    const t = newTimelineWith([flat(1000, 0, { received: 49, lossPct: 2, jitterMs: 4, rttMs: 30, mos: 4.2 }), flat(2000, 0, { received: 50, lossPct: 0, jitterMs: 2, rttMs: 50 })]);
    const a = aggregate(mediaIntervals(t.events));
    expect(a.expected).toBeCloseTo(100, 9);
    expect(a.lossPct).toBeCloseTo(1, 9);
    expect(a.rttMs).toBe(40);
    expect(a.reorderPct).toBeUndefined();
    const v = evaluateThresholds(mediaEpochs(t.events), MICROSOFT_CLIENT_EDGE);
    expect(metric(v, 'lossPct')).toMatchObject({ status: 'fail' });
    expect(metric(v, 'reorderPct').status).toBe('not-measured');
    expect(metric(v, 'burstLossPct').status).toBe('not-measured');
  });

  it('an interval without figures (before the first packet) is not measured', () => {
    const t = newTimelineWith([flat(1000, 0, {})]);
    expect(mediaIntervals(t.events)[0]!.measured).toBe(false);
    expect(evaluateThresholds(mediaEpochs(t.events), MICROSOFT_CLIENT_EDGE).status).toBe('error');
  });
});

describe('epochs', () => {
  it('start at media.epoch, end where the next begins, and sum losses before clamping', () => {
    const t = newTimelineWith([
      mediaStats({ at: 1000, epoch: 0, lost: 2 }),
      mediaStats({ at: 2000, epoch: 0, lost: -1 }),
      mediaEpoch(2500, 1, RELAY_PATH, 'consent-lost'),
      mediaStats({ at: 3000, epoch: 1, path: RELAY_PATH, ms: 500 }),
    ]);
    const e = mediaEpochs(t.events);
    expect(e.map((x) => [x.key, x.startMs, x.endMs, x.durationMs, x.reason])).toEqual([
      ['1111:0', 0, 2500, 2500, undefined],
      ['1111:1', 2500, 3000, 500, 'consent-lost'],
    ]);
    expect(aggregate(e[0]!.intervals)).toMatchObject({ expected: 100, lost: 1, lossPct: 1 });
    expect(e[1]!.evidence).toEqual([3, 4]);
  });
});

function newTimelineWith(events: Array<ReturnType<typeof mediaStats> | Record<string, unknown>>) {
  const t = newTimeline();
  for (const e of events) t.append(e as ReturnType<typeof mediaStats>);
  return t;
}
