import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../../main/common/heap';
import { SeededRandom } from '../../../main/common/random';

interface E {
  at: number;
  seq: number;
}
const before = (a: E, b: E): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

describe('MinHeap', () => {
  it('pops in (time, sequence) order whatever the insertion order', () => {
    const r = new SeededRandom(3);
    const h = new MinHeap<E>(before);
    const all: E[] = Array.from({ length: 2000 }, (_, seq) => ({ at: r.int(50), seq }));
    for (const e of all) h.push(e);
    const out: E[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e);
    expect(out).toEqual([...all].sort((a, b) => a.at - b.at || a.seq - b.seq));
    expect(h.size).toBe(0);
    expect(h.pop()).toBeUndefined();
  });

  it('replace keeps the order, clear empties', () => {
    const h = new MinHeap<E>(before);
    for (const at of [5, 1, 3]) h.push({ at, seq: at });
    h.replace(h.values().filter((e) => e.at !== 1));
    expect(h.peek()).toEqual({ at: 3, seq: 3 });
    h.clear();
    expect(h.size).toBe(0);
  });
});
