import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock, type TimerHandle } from '../../../main/common/clock';
import { DeviationHistogram, PacingScheduler, schedulerFor } from '../../../main/media/stream';

/** A fake clock whose timers fire `lateMs` after their time, like a loaded machine's. */
class LateClock implements Clock {
  constructor(
    readonly inner: FakeClock,
    private readonly lateMs: () => number,
  ) {}
  now(): number {
    return this.inner.now();
  }
  wallNow(): number {
    return this.inner.wallNow();
  }
  setTimeout(cb: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(cb, ms + this.lateMs());
  }
  clearTimeout(h: TimerHandle | undefined): void {
    this.inner.clearTimeout(h);
  }
  pendingTimers(): number {
    return this.inner.pendingTimers();
  }
}

describe('pacing scheduler', () => {
  it('drives many periodic tasks with one timer, in due order, on time', () => {
    const clock = new FakeClock();
    const s = new PacingScheduler({ clock });
    const runs: Array<[number, number]> = [];
    for (let i = 0; i < 100; i++) {
      const phase = (i * 0.2) % 20;
      s.add(phase, (due) => {
        runs.push([i, due]);
        return due + 20;
      });
    }
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(1000);
    expect(clock.pendingTimers()).toBe(1);
    // 100 streams × 50 packets in [0, 1000), plus the phase-0 stream's packet at exactly 1000
    expect(runs.length).toBe(100 * 50 + 1);
    const dues = runs.map((r) => r[1]);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    const j = s.sendJitter();
    expect(j).toMatchObject({ samples: 5001, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    s.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('measures its own lateness when timers fire late', () => {
    const inner = new FakeClock();
    let k = 0;
    // Timers fire 0, 0.5, 1, 1.5 … 4.5 ms late in turn.
    const clock = new LateClock(inner, () => (k++ % 10) * 0.5);
    const s = new PacingScheduler({ clock });
    s.add(0, (due) => due + 20);
    inner.advance(20 * 1000);
    const j = s.sendJitter();
    expect(j.samples).toBeGreaterThan(990);
    expect(j.maxMs).toBeCloseTo(4.5, 6);
    expect(j.p50Ms).toBeGreaterThanOrEqual(2);
    expect(j.p50Ms).toBeLessThanOrEqual(2.6);
    expect(j.p99Ms).toBeCloseTo(4.5, 1);
    // Lateness never accumulates into drift: the 1001st packet is still due at 20 s.
    s.close();
  });

  it('cancels tasks, ends tasks that return undefined, and lets go of its timer when idle', () => {
    const clock = new FakeClock();
    const s = new PacingScheduler({ clock });
    let a = 0;
    let b = 0;
    const ta = s.add(0, (due) => (++a < 5 ? due + 10 : undefined));
    const tb = s.add(5, (due) => {
      b++;
      return due + 10;
    }, 'control');
    clock.advance(100);
    expect(a).toBe(5);
    expect(ta.active).toBe(false);
    expect(s.size).toBe(1);
    tb.cancel();
    expect(tb.active).toBe(false);
    expect(s.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(b).toBe(10);
    // Control tasks are not part of the send deviation.
    expect(s.sendJitter().samples).toBe(5);
  });

  it('a task that throws is stopped; the others go on', () => {
    const clock = new FakeClock();
    const s = new PacingScheduler({ clock });
    let good = 0;
    s.add(0, () => {
      throw new Error('boom');
    });
    s.add(0, (due) => {
      good++;
      return due + 20;
    });
    clock.advance(100);
    expect(good).toBe(6);
    expect(s.size).toBe(1);
    s.close();
  });

  it('a task added earlier than the armed timer re-arms it', () => {
    const clock = new FakeClock();
    const s = new PacingScheduler({ clock });
    const order: string[] = [];
    s.add(100, () => void order.push('late'));
    s.add(10, () => void order.push('early'));
    clock.advance(200);
    expect(order).toEqual(['early', 'late']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('one scheduler per clock', () => {
    const c1 = new FakeClock();
    const c2 = new FakeClock();
    expect(schedulerFor(c1)).toBe(schedulerFor(c1));
    expect(schedulerFor(c1)).not.toBe(schedulerFor(c2));
  });

  it('histogram quantiles are bucket upper edges, never flattering', () => {
    const h = new DeviationHistogram();
    for (let i = 1; i <= 100; i++) h.add(i / 100); // 0.01 … 1.00 ms
    const st = h.stats();
    expect(st.samples).toBe(100);
    expect(st.p50Ms).toBeGreaterThanOrEqual(0.5);
    expect(st.p50Ms).toBeLessThanOrEqual(0.52);
    expect(st.p99Ms).toBeGreaterThanOrEqual(0.99);
    expect(st.maxMs).toBe(1);
    expect(st.meanMs).toBeCloseTo(0.505, 6);
    h.add(-250); // beyond the last bucket, absolute value
    expect(h.quantile(1)).toBe(250);
    h.reset();
    expect(h.stats().samples).toBe(0);
  });
});
