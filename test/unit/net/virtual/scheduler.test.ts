import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../main/common/clock';
import { EventScheduler } from '../../../../main/net/virtual/scheduler';

describe('EventScheduler', () => {
  it('runs events in (time, insertion) order on one clock timer', () => {
    const clock = new FakeClock();
    const s = new EventScheduler(clock);
    const seen: string[] = [];
    s.after(30, () => seen.push('c'));
    s.after(10, () => seen.push('a1'));
    s.after(10, () => seen.push('a2'));
    const x = s.after(20, () => seen.push('x'));
    s.after(20, () => seen.push('b'));
    expect(clock.pendingTimers()).toBe(1);
    x.cancel();
    expect(s.pending).toBe(4);
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(100);
    expect(seen).toEqual(['a1', 'a2', 'b', 'c']);
    expect(s.pending).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('never runs an event inside the call that scheduled it, even at zero delay', () => {
    const clock = new FakeClock();
    const s = new EventScheduler(clock);
    let ran = false;
    s.after(0, () => (ran = true));
    expect(ran).toBe(false);
    clock.advance(0);
    expect(ran).toBe(true);
  });

  it('queues zero-delay events made while running behind clock timers already due', () => {
    const clock = new FakeClock();
    const s = new EventScheduler(clock);
    const seen: string[] = [];
    s.after(5, () => {
      seen.push('net1');
      s.after(0, () => seen.push('net2'));
    });
    clock.setTimeout(() => seen.push('other'), 5);
    clock.advance(5);
    expect(seen).toEqual(['net1', 'other', 'net2']);
  });

  it('re-arms earlier when an earlier event arrives, and drops its timer when all are cancelled', () => {
    const clock = new FakeClock();
    const s = new EventScheduler(clock);
    const seen: number[] = [];
    const late = s.after(100, () => seen.push(100));
    s.after(10, () => seen.push(10));
    clock.advance(10);
    expect(seen).toEqual([10]);
    late.cancel();
    expect(clock.pendingTimers()).toBe(0);
    s.after(1, () => seen.push(1));
    s.clear();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(1000);
    expect(seen).toEqual([10]);
  });

  it('keeps heap order over many random insertions', () => {
    const clock = new FakeClock();
    const s = new EventScheduler(clock);
    const fired: number[] = [];
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const at = x % 1000;
      s.after(at, () => fired.push(at));
    }
    clock.advance(1000);
    expect(fired).toHaveLength(5000);
    for (let i = 1; i < fired.length; i++) expect(fired[i]!).toBeGreaterThanOrEqual(fired[i - 1]!);
  });
});
