import type { Clock, TimerHandle } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { createLogger } from '../../common/logger';
import { MinHeap } from '../../common/heap';

const log = createLogger('media/pacer');

/**
 * `media` tasks send packets, so how late they run is measured; `control` tasks (RTCP, stats)
 * only need to run roughly on time.
 */
export type PacedTaskKind = 'media' | 'control';

/**
 * A task's body: runs at (or just after) `dueMs`; returns when it wants to run next, or
 * undefined to end. The next due time is taken from the previous due time, not from `nowMs`,
 * so lateness never accumulates into drift.
 */
export type PacedFn = (dueMs: number, nowMs: number) => number | undefined;

export interface PacedTask {
  readonly kind: PacedTaskKind;
  readonly active: boolean;
  cancel(): void;
}

/** How far from their due time media tasks ran (absolute deviation), over some window. */
export interface SendJitterStats {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface PacingSchedulerOptions {
  readonly clock: Clock;
  /**
   * Run a task up to this long before its due time when the timer fires early enough to reach
   * it (default 0). On a real clock whose timers fire late by up to a millisecond, a small lead
   * trades lateness for earliness; the deviation is measured either way. Keep 0 on a fake clock,
   * where timers fire exactly.
   */
  readonly leadMs?: number;
  /** Tasks run in one timer callback at most (a guard against a task that never advances). */
  readonly maxRunsPerTick?: number;
}

interface Entry {
  readonly id: number;
  readonly kind: PacedTaskKind;
  readonly fn: PacedFn;
  due: number;
  seq: number;
  active: boolean;
}

/**
 * A fixed-bucket histogram of absolute deviations: constant memory and O(1) per sample, whatever
 * the send rate. Default: 10 µs buckets up to 100 ms, then one overflow bucket.
 */
export class DeviationHistogram {
  private readonly counts: Uint32Array;
  private readonly perMs: number;
  private n = 0;
  private sum = 0;
  private max = 0;

  constructor(
    private readonly bucketMs = 0.01,
    private readonly buckets = 10_000,
  ) {
    this.counts = new Uint32Array(buckets + 1);
    this.perMs = 1 / bucketMs;
  }

  /** Samples added since creation or the last reset. */
  get samples(): number {
    return this.n;
  }

  add(deviationMs: number): void {
    const v = deviationMs < 0 ? -deviationMs : deviationMs;
    const b = Math.floor(v * this.perMs);
    this.counts[b < this.buckets ? b : this.buckets]!++;
    this.n++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram's samples (same bucket layout) to this one. */
  absorb(other: DeviationHistogram): void {
    if (other.buckets !== this.buckets || other.bucketMs !== this.bucketMs) {
      throw new MediapathError('INVALID_ARGUMENT', 'deviation histograms of different layouts', { layer: 'media' });
    }
    if (other.n === 0) return;
    for (let b = 0; b <= this.buckets; b++) this.counts[b]! += other.counts[b]!;
    this.n += other.n;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The upper edge of the bucket holding quantile `q` (0–1), so a figure never flatters. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let b = 0; b <= this.buckets; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return b === this.buckets ? this.max : Math.min(this.max, (b + 1) * this.bucketMs);
    }
    return this.max;
  }

  stats(): SendJitterStats {
    return { samples: this.n, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.max, meanMs: this.n ? this.sum / this.n : 0 };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
    this.max = 0;
  }
}

function earlier(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * The one pacing scheduler of a process: every stream's packets (and every session's RTCP and
 * stats ticks) are entries in one heap ordered by due time, served by a single clock timer armed
 * for the earliest entry. A thousand 20 ms streams cost one timer, not a thousand.
 *
 * It measures itself: for each media task it records how far from the due time the task ran.
 * That deviation is the sender's own jitter, reported beside the network's so that a loaded
 * machine is never mistaken for a bad path.
 */
export class PacingScheduler {
  readonly clock: Clock;
  private readonly leadMs: number;
  private readonly maxRuns: number;
  private readonly heap = new MinHeap<Entry>(earlier);
  private live = 0;
  private nextId = 1;
  private seq = 0;
  private timer: TimerHandle | undefined;
  private armedFor = Infinity;
  private running = false;
  // Each run is added to the window only; the window is folded into `total` when it is taken,
  // and `sendJitter()` folds a copy, so a packet costs one histogram update, not two.
  private readonly total = new DeviationHistogram();
  private readonly window = new DeviationHistogram();
  private totalView: { readonly samples: number; readonly stats: SendJitterStats } | undefined;
  private runsTotal = 0;

  constructor(opts: PacingSchedulerOptions) {
    this.clock = opts.clock;
    this.leadMs = opts.leadMs ?? 0;
    this.maxRuns = opts.maxRunsPerTick ?? 100_000;
    if (!(this.leadMs >= 0) || this.leadMs > 10) {
      throw new MediapathError('INVALID_ARGUMENT', `pacing lead ${this.leadMs} ms (0–10)`, { layer: 'media' });
    }
  }

  /** Tasks scheduled and not cancelled or finished. */
  get size(): number {
    return this.live;
  }

  /** Media and control task runs since creation. */
  get runs(): number {
    return this.runsTotal;
  }

  /** Adds a task first due at `firstDueMs` (clock time). */
  add(firstDueMs: number, fn: PacedFn, kind: PacedTaskKind = 'media'): PacedTask {
    if (!Number.isFinite(firstDueMs)) throw new MediapathError('INVALID_ARGUMENT', `due time ${firstDueMs}`, { layer: 'media' });
    const e: Entry = { id: this.nextId++, kind, fn, due: firstDueMs, seq: this.seq++, active: true };
    this.live++;
    this.heap.push(e);
    if (!this.running) this.arm();
    const cancel = (): void => this.cancelEntry(e);
    return {
      kind,
      get active() {
        return e.active;
      },
      cancel,
    };
  }

  private cancelEntry(e: Entry): void {
    if (!e.active) return;
    e.active = false;
    this.live--;
    this.maybeCompact();
    if (this.live === 0 && !this.running) this.disarm();
  }

  /** Send deviation of media tasks since the scheduler started. */
  sendJitter(): SendJitterStats {
    const samples = this.total.samples + this.window.samples;
    if (this.totalView?.samples === samples) return this.totalView.stats;
    const all = new DeviationHistogram();
    all.absorb(this.total);
    all.absorb(this.window);
    this.totalView = { samples, stats: all.stats() };
    return this.totalView.stats;
  }

  /** Send deviation since the previous call (for per-interval reports); starts a new window. */
  takeSendJitterWindow(): SendJitterStats {
    const s = this.window.stats();
    this.total.absorb(this.window);
    this.window.reset();
    return s;
  }

  /** Cancels everything and releases the timer. */
  close(): void {
    for (const e of this.heap.values()) e.active = false;
    this.heap.clear();
    this.live = 0;
    this.disarm();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.running = true;
    try {
      let runs = 0;
      for (;;) {
        const top = this.peek();
        if (!top) break;
        let now = this.clock.now();
        if (top.due > now + this.leadMs) break;
        if (runs++ >= this.maxRuns) break;
        this.heap.pop();
        now = this.clock.now();
        if (top.kind === 'media') this.window.add(now - top.due);
        this.runsTotal++;
        let next: number | undefined;
        try {
          next = top.fn(top.due, now);
        } catch (e) {
          // A failing task must not take the others down: it ends, and says why.
          log.error({ err: e, kind: top.kind }, 'paced task threw; it is stopped');
          next = undefined;
        }
        if (!top.active) continue;
        if (next === undefined || !Number.isFinite(next)) {
          top.active = false;
          this.live--;
          continue;
        }
        // A task never runs twice for one due time: the next one is strictly later.
        top.due = next > top.due ? next : top.due + 1e-3;
        top.seq = this.seq++;
        this.heap.push(top);
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  private arm(): void {
    const top = this.peek();
    if (!top) {
      this.disarm();
      return;
    }
    const at = top.due - this.leadMs;
    if (this.timer && this.armedFor <= at) return;
    this.disarm();
    this.armedFor = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private maybeCompact(): void {
    if (this.heap.size > 64 && this.heap.size > 2 * this.live) this.heap.replace(this.heap.values().filter((e) => e.active));
  }

  private peek(): Entry | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.active) return top;
      this.heap.pop();
    }
  }
}

const perClock = new WeakMap<Clock, PacingScheduler>();

/**
 * The process's scheduler for `clock`: the first caller creates it, everyone after shares it, so
 * every stream on one clock is driven by one timer. Options apply only at creation.
 */
export function schedulerFor(clock: Clock, opts: Omit<PacingSchedulerOptions, 'clock'> = {}): PacingScheduler {
  let s = perClock.get(clock);
  if (!s) {
    s = new PacingScheduler({ clock, ...opts });
    perClock.set(clock, s);
  }
  return s;
}
