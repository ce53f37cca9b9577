import { describe, expect, it } from 'vitest';
import { CryptoRandom, SeededRandom } from '../../../main/common/random';

describe('SeededRandom', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('is roughly uniform and stays in range', () => {
    const r = new SeededRandom(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]++;
    }
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it('forks independent, stable streams', () => {
    const f1 = new SeededRandom(1).fork();
    const f2 = new SeededRandom(1).fork();
    expect(f1.int(1e9)).toBe(f2.int(1e9));
  });
});

describe('CryptoRandom', () => {
  it('gives the bytes asked for', () => {
    const r = new CryptoRandom();
    expect(r.bytes(12)).toHaveLength(12);
    expect(r.int(10)).toBeLessThan(10);
  });
});
