import type { Clock, TimerHandle } from '../../common/clock';

/** A cancellable event on the network's own queue. */
export interface ScheduledEvent {
  readonly at: number;
  cancel(): void;
}

class Entry implements ScheduledEvent {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly cb: () => void,
    private readonly owner: EventScheduler,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.onCancel();
  }
}

// Timers handed to the clock are rounded by `at - now` arithmetic; an event this close to
// `now` is due. Far below any delay a link can express.
const DUE_EPSILON_MS = 1e-6;

/**
 * Every packet in flight and every virtual-TCP timer lives here, in a binary heap ordered by
 * (time, insertion), behind a single clock timer armed for the earliest entry. So the clock sees
 * one timer for the whole network however many packets are in flight (FakeClock scans its
 * timers on each fire, and RealClock would otherwise carry one Node timer per packet), and
 * `clear()` drops everything at once when the network closes.
 *
 * Events added while the queue is being run (a handler answering a datagram with zero delay) are
 * not run in the same pass: they get a fresh clock timer, so they queue behind clock timers
 * already due at the same instant, as if each had its own `setTimeout`.
 */
export class EventScheduler {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private live = 0;
  private timer: TimerHandle | undefined;
  private armedAt = Infinity;
  private running = false;

  constructor(private readonly clock: Clock) {}

  /** Runs `cb` `ms` from now (0 still runs later, never inside the caller). */
  after(ms: number, cb: () => void): ScheduledEvent {
    return this.at(this.clock.now() + Math.max(0, ms), cb);
  }

  at(time: number, cb: () => void): ScheduledEvent {
    const e = new Entry(time, this.seq++, cb, this);
    this.push(e);
    this.live++;
    if (!this.running) this.arm();
    return e;
  }

  /** Events still waiting (cancelled ones excluded). */
  get pending(): number {
    return this.live;
  }

  /** Drops every pending event and the clock timer. */
  clear(): void {
    for (const e of this.heap) e.cancelled = true;
    this.heap.length = 0;
    this.live = 0;
    this.disarm();
  }

  /** @internal called by Entry.cancel */
  onCancel(): void {
    this.live--;
    if (this.live === 0 && !this.running) {
      this.heap.length = 0;
      this.disarm();
    }
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private arm(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    const top = this.heap[0];
    if (!top) {
      this.disarm();
      return;
    }
    if (this.timer && this.armedAt <= top.at) return;
    this.disarm();
    this.armedAt = top.at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, top.at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now() + DUE_EPSILON_MS;
    const boundary = this.seq;
    this.running = true;
    try {
      while (this.heap.length > 0) {
        const top = this.heap[0]!;
        if (top.cancelled) {
          this.pop();
          continue;
        }
        if (top.at > now || top.seq >= boundary) break;
        this.pop();
        top.cancelled = true;
        this.live--;
        top.cb();
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  // Sift with a hole rather than swaps: this runs for every packet in flight.
  private push(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (p.at < e.at || (p.at === e.at && p.seq < e.seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = h[l]!;
      let ci = l;
      if (r < n) {
        const rc = h[r]!;
        if (rc.at < c.at || (rc.at === c.at && rc.seq < c.seq)) {
          c = rc;
          ci = r;
        }
      }
      if (last.at < c.at || (last.at === c.at && last.seq < c.seq)) break;
      h[i] = c;
      i = ci;
    }
    h[i] = last;
    return top;
  }
}
