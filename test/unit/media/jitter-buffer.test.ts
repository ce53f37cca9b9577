import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { JitterBufferEmulator, type PlayoutVerdict } from '../../../main/media/jitter-buffer';

/** Offers 20 ms packets (8 kHz) whose transit times are given, returns the verdicts. */
function play(jb: JitterBufferEmulator, transits: number[], tsStart = 0): PlayoutVerdict[] {
  return transits.map((t, i) => jb.offer((tsStart + 160 * i) >>> 0, 20 * i + t));
}

describe('emulated jitter buffer', () => {
  it('fixed: plays what arrives within the delay of the first packet, discards the rest late', () => {
    const jb = new JitterBufferEmulator({ mode: 'fixed', delayMs: 40 }, 8000);
    expect(play(jb, [10, 20, 49, 50, 51, 90, 10])).toEqual(['played', 'played', 'played', 'played', 'late', 'late', 'played']);
    expect(jb.nominalDelayMs).toBe(40);
    expect(jb.absMaxDelayMs).toBe(40);
    expect(jb.adaptive).toBe(false);
  });

  it('fixed: discards early arrivals that would overflow its capacity', () => {
    const jb = new JitterBufferEmulator({ mode: 'fixed', delayMs: 40, capacityMs: 60 }, 8000);
    // first transit 50: a packet with transit below 50 + 40 − 60 = 30 overflows
    expect(play(jb, [50, 31, 29, 90])).toEqual(['played', 'played', 'early', 'played']);
  });

  it('fixed: survives the RTP timestamp wrap', () => {
    const jb = new JitterBufferEmulator({ mode: 'fixed', delayMs: 30 }, 8000);
    expect(play(jb, [5, 5, 5, 5, 5, 5], 0xffffffff - 400).every((v) => v === 'played')).toBe(true);
  });

  it('fixed: judges a reordered packet by its own timestamp', () => {
    const jb = new JitterBufferEmulator({ mode: 'fixed', delayMs: 30 }, 8000);
    expect(jb.offer(0, 0)).toBe('played');
    expect(jb.offer(320, 40)).toBe('played');
    // packet 1 (ts 160, due at 20 + 30 = 50 ms) arrives at 45, then another at 55
    expect(jb.offer(160, 45)).toBe('played');
    expect(jb.offer(480, 60)).toBe('played');
    expect(jb.offer(160, 55)).toBe('late');
  });

  it('adaptive: stays at its floor on a steady path', () => {
    const jb = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300 }, 8000);
    expect(play(jb, new Array(100).fill(25)).every((v) => v === 'played')).toBe(true);
    expect(jb.nominalDelayMs).toBe(20);
  });

  it('adaptive: grows with jitter, keeps late loss small, and respects its ceiling', () => {
    const r = new SeededRandom(8);
    const jb = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300 }, 8000);
    const transits = Array.from({ length: 3000 }, () => 30 + r.next() * 60);
    const verdicts = play(jb, transits);
    const late = verdicts.filter((v) => v === 'late').length;
    expect(jb.nominalDelayMs).toBeGreaterThan(40);
    expect(jb.nominalDelayMs).toBeLessThanOrEqual(300);
    expect(late / verdicts.length).toBeLessThan(0.03);
    expect(jb.takeIntervalMaxDelayMs()).toBeGreaterThanOrEqual(jb.nominalDelayMs);
    expect(jb.maxDelayMs).toBeGreaterThanOrEqual(jb.nominalDelayMs);

    const capped = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 50 }, 8000);
    const v2 = play(capped, Array.from({ length: 3000 }, () => 30 + r.next() * 200));
    expect(capped.nominalDelayMs).toBe(50);
    expect(v2.filter((v) => v === 'late').length).toBeGreaterThan(300);
  });

  it('adaptive: a spike beyond the buffer is discarded late', () => {
    const jb = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300 }, 8000);
    const v = play(jb, [...new Array(50).fill(30), 400, 30]);
    expect(v[50]).toBe('late');
    expect(v[51]).toBe('played');
  });

  it('resets and rejects nonsense configuration', () => {
    const jb = new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 20, maxDelayMs: 300 }, 8000);
    play(jb, [0, 50, 0, 50, 0, 50, 0, 50]);
    jb.reset();
    expect(jb.nominalDelayMs).toBe(20);
    expect(() => new JitterBufferEmulator({ mode: 'adaptive', minDelayMs: 50, maxDelayMs: 20 }, 8000)).toThrow();
    expect(() => new JitterBufferEmulator({ mode: 'fixed', delayMs: -1 }, 8000)).toThrow();
  });
});
