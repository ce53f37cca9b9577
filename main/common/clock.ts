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

/** A clock that moves only when told; timers fire in (time, creation) order. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

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
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), seq: this.seq++, cb });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /** Time of the next pending timer, if any. */
  nextTimerAt(): number | undefined {
    let best: FakeTimer | undefined;
    for (const x of this.timers.values()) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, including ones they create. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const x of this.timers.values()) {
        if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
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
}
