/**
 * A binary min-heap ordered by `before`. The one heap behind every timer queue in the process
 * (FakeClock, the pacing scheduler, the virtual network's event scheduler, the impairment
 * forwarder): each keeps its own rule for cancelled entries and uses this for the ordering.
 */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const h = this.items;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(x, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = x;
  }

  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(h[r]!, h[l]!) ? r : l;
      if (!this.before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }

  /** Every entry, in heap (not sorted) order. */
  values(): readonly T[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
  }

  /** Replaces the contents (e.g. to drop cancelled entries); a sorted array is a valid heap. */
  replace(entries: readonly T[]): void {
    this.items = [...entries].sort((a, b) => (this.before(a, b) ? -1 : this.before(b, a) ? 1 : 0));
  }
}
