import type { Clock, TimerHandle } from '../../common/clock';
import { MinHeap } from '../../common/heap';

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
  private readonly heap = new MinHeap<Entry>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
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
    this.heap.push(e);
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
    for (const e of this.heap.values()) e.cancelled = true;
    this.heap.clear();
    this.live = 0;
    this.disarm();
  }

  /** @internal called by Entry.cancel */
  onCancel(): void {
    this.live--;
    if (this.live === 0 && !this.running) {
      this.heap.clear();
      this.disarm();
    }
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private arm(): void {
    while (this.heap.peek()?.cancelled) this.heap.pop();
    const top = this.heap.peek();
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
      for (let top = this.heap.peek(); top; top = this.heap.peek()) {
        if (top.cancelled) {
          this.heap.pop();
          continue;
        }
        if (top.at > now || top.seq >= boundary) break;
        this.heap.pop();
        top.cancelled = true;
        this.live--;
        top.cb();
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }
}
