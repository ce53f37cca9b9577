import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { InterarrivalJitter, jitterFromTruth, timestampDelta } from '../../../main/media/jitter';

describe('interarrival jitter (RFC 3550 §A.8)', () => {
  it('matches a hand-computed sequence', () => {
    // 8 kHz, 20 ms packets (ts += 160). Arrivals 0, 20, 45, 60, 80 ms: transit 0, 0, +5, 0, 0 ms,
    // so |D| = 0, 40, 40, 0 timestamp units and J = 0, 2.5, 4.84375, 4.541015625.
    const j = new InterarrivalJitter(8000);
    const arrivals = [0, 20, 45, 60, 80];
    const expected = [0, 0, 2.5, 4.84375, 4.541015625];
    arrivals.forEach((a, i) => {
      j.update(a, 1000 + 160 * i);
      expect(j.timestampUnits).toBeCloseTo(expected[i]!, 12);
    });
    expect(j.ms).toBeCloseTo(4.541015625 / 8, 12);
  });

  it('is zero for perfectly paced packets and unaffected by a constant delay', () => {
    const j = new InterarrivalJitter(48000);
    for (let i = 0; i < 100; i++) j.update(1234.5 + 20 * i, 960 * i);
    expect(j.timestampUnits).toBe(0);
  });

  it('does not see a jump when the RTP timestamp wraps', () => {
    const j = new InterarrivalJitter(8000);
    const start = 0xffffffff - 320;
    for (let i = 0; i < 10; i++) j.update(20 * i, (start + 160 * i) >>> 0);
    expect(j.timestampUnits).toBe(0);
    expect(timestampDelta(5, 0xfffffffb)).toBe(10);
  });

  it('agrees with jitterFromTruth when timestamps are the send times', () => {
    const r = new SeededRandom(5);
    const send: number[] = [];
    const arrive: number[] = [];
    const j = new InterarrivalJitter(8000);
    for (let i = 0; i < 500; i++) {
      const s = 20 * i;
      const a = s + 40 + r.next() * 30;
      send.push(s);
      arrive.push(a);
      j.update(a, 160 * i);
    }
    const truth = jitterFromTruth(send, arrive, 8000);
    expect(j.ms).toBeCloseTo(truth.jitterMs, 9);
    expect(truth.jitterTs).toBeCloseTo(j.timestampUnits, 6);
    expect(truth.maxJitterMs).toBeGreaterThanOrEqual(truth.jitterMs);
    // uniform delay over 30 ms: E|D| = 10 ms
    expect(truth.jitterMs).toBeGreaterThan(6);
    expect(truth.jitterMs).toBeLessThan(14);
  });

  it('rejects mismatched truth arrays', () => {
    expect(() => jitterFromTruth([1], [], 8000)).toThrow();
    expect(jitterFromTruth([], [], 8000)).toEqual({ jitterTs: 0, jitterMs: 0, maxJitterMs: 0 });
  });
});
