import { MinHeap } from './heap';

/**
 * Time is injected: protocol timers (STUN RTO, TURN refresh, SIP T1…) run on a Clock so tests
 * drive them with FakeClock and never wait for real time.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed); only differences are meaningful. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  wallNow(): number;
  setTimeout(cb: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Timers still pending: tests assert 0 at the end. */
  pendingTimers(): number;
}

export class RealClock implements Clock {
  private readonly timers = new Map<number, ReturnType<typeof globalThis.setTimeout>>();
  private nextId = 1;
  private readonly origin = globalThis.performance.now();

  now(): number {
    return globalThis.performance.now() - this.origin;
  }

  wallNow(): number {
    return Date.now();
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = globalThis.setTimeout(() => {
      this.timers.delete(id);
      cb();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      globalThis.clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }

  pendingTimers(): number {
    return this.timers.size;
  }
}

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly seq: number;
  readonly cb: () => void;
}

function earlier(a: FakeTimer, b: FakeTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A clock that moves only when told; timers fire in (time, creation) order. Pending timers sit
 * in a binary heap keyed by (time, creation), so a fire costs O(log n) however many timers are
 * pending (simulations keep thousands). A cleared timer stays in the heap until it reaches the
 * top or the heap is compacted; the map of live timers is the truth.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();
  private readonly heap = new MinHeap<FakeTimer>(earlier);

  constructor(
    start = 0,
    private readonly wallOrigin = Date.UTC(2026, 0, 1),
  ) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallOrigin + this.t;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer = { id, at: this.t + Math.max(0, ms), seq: this.seq++, cb };
    this.timers.set(id, timer);
    this.heap.push(timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle || !this.timers.delete(handle.id)) return;
    // Cleared timers linger in the heap; rebuild it when they outnumber the live ones.
    if (this.heap.size > 64 && this.heap.size > 2 * this.timers.size) this.heap.replace([...this.timers.values()]);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /** Time of the next pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.peek()?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, including ones they create. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.peek();
      if (!next || next.at > end) break;
      this.heap.pop();
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.cb();
    }
    this.t = end;
  }

  /** Fires timers until none is left or `limit` were fired (guards against self-rearming loops). */
  runAll(limit = 100_000): number {
    let fired = 0;
    for (;;) {
      const at = this.nextTimerAt();
      if (at === undefined || fired >= limit) return fired;
      this.advance(at - this.t);
      fired++;
    }
  }

  /** The earliest live timer, dropping cleared ones found on top. */
  private peek(): FakeTimer | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top || this.timers.get(top.id) === top) return top;
      this.heap.pop();
    }
  }
}
