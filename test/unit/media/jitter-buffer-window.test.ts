import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { JitterBufferEmulator, type PlayoutVerdict } from '../../../main/media/jitter-buffer';

/**
 * The adaptive buffer written the obvious way: the minimum transit over the previous `window`
 * packets by scanning them. The emulator keeps that minimum in a monotonic deque on a growing
 * ring; every verdict and every target must be the same.
 */
function reference(transits: readonly number[], window: number, minDelayMs: number, maxDelayMs: number): { verdicts: PlayoutVerdict[]; targets: number[] } {
  const verdicts: PlayoutVerdict[] = [];
  const targets: number[] = [];
  let mean = 0;
  let prev = 0;
  let jitter = 0;
  let target = minDelayMs;
  transits.forEach((t, i) => {
    let v: PlayoutVerdict = 'played';
    if (i === 0) {
      mean = t;
      prev = t;
    } else {
      const min = Math.min(...transits.slice(Math.max(0, i - window), i));
      target = Math.min(maxDelayMs, Math.max(minDelayMs, mean - min + 3 * jitter));
      v = t - min > target ? 'late' : 'played';
      jitter += (Math.abs(t - prev) - jitter) / 16;
      mean += (t - mean) / 16;
      prev = t;
    }
    verdicts.push(v);
    targets.push(target);
  });
  return { verdicts, targets };
}

/** Transit series that make the deque long (a rising ramp), short (a falling one) and random. */
function series(random: SeededRandom, n: number): number[] {
  const out: number[] = [];
  let base = 40;
  for (let i = 0; i < n; i++) {
    const phase = Math.floor(i / 150) % 3;
    if (phase === 0) base += 0.7;
    else if (phase === 1) base = Math.max(5, base - 0.9);
    out.push(base + (random.next() < 0.1 ? random.next() * 120 : random.next() * 8));
  }
  return out;
}

describe('adaptive jitter buffer window', () => {
  for (const window of [1, 2, 3, 17, 40, 500]) {
    it(`matches a scan of the last ${window} transits, verdict for verdict`, () => {
      const random = new SeededRandom(window);
      for (let round = 0; round < 3; round++) {
        const transits = series(random, 900);
        const jb = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300, windowPackets: window }, 8000);
        const got: PlayoutVerdict[] = [];
        const targets: number[] = [];
        transits.forEach((t, i) => {
          got.push(jb.offer(160 * i, 20 * i + t));
          targets.push(jb.nominalDelayMs);
        });
        const want = reference(transits, window, 20, 300);
        expect(got).toEqual(want.verdicts);
        targets.forEach((x, i) => expect(x).toBeCloseTo(want.targets[i]!, 9));
        // After a reset the window starts empty again.
        jb.reset();
        const again = transits.slice(0, 200).map((t, i) => jb.offer(5000 + 160 * i, 20 * i + t));
        expect(again).toEqual(reference(transits.slice(0, 200), window, 20, 300).verdicts);
      }
    });
  }

  it('refuses a window that is not a positive whole number of packets', () => {
    for (const windowPackets of [0, -1, 1.5, Number.NaN]) {
      expect(() => new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300, windowPackets }, 8000)).toThrow(/window/);
    }
  });
});
