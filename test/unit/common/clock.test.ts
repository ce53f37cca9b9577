import { describe, expect, it } from 'vitest';
import { FakeClock, RealClock } from '../../../main/common/clock';

describe('FakeClock', () => {
  it('fires timers in (time, creation) order, including ones created while advancing', () => {
    const c = new FakeClock();
    const log: string[] = [];
    c.setTimeout(() => log.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      log.push(`a@${c.now()}`);
      c.setTimeout(() => log.push(`c@${c.now()}`), 5);
    }, 10);
    c.setTimeout(() => log.push(`d@${c.now()}`), 20);
    c.advance(19);
    expect(log).toEqual(['a@10', 'c@15']);
    c.advance(1);
    expect(log).toEqual(['a@10', 'c@15', 'b@20', 'd@20']);
    expect(c.now()).toBe(20);
    expect(c.pendingTimers()).toBe(0);
  });

  it('clearTimeout cancels, runAll stops at a bound', () => {
    const c = new FakeClock();
    let n = 0;
    const h = c.setTimeout(() => n++, 5);
    c.clearTimeout(h);
    c.advance(10);
    expect(n).toBe(0);
    const rearm = (): void => void c.setTimeout(rearm, 1);
    rearm();
    expect(c.runAll(50)).toBe(50);
  });
});

describe('RealClock', () => {
  it('tracks its pending timers', async () => {
    const c = new RealClock();
    const h = c.setTimeout(() => undefined, 10_000);
    expect(c.pendingTimers()).toBe(1);
    c.clearTimeout(h);
    expect(c.pendingTimers()).toBe(0);
    await new Promise<void>((r) => c.setTimeout(r, 1));
    expect(c.pendingTimers()).toBe(0);
    expect(c.now()).toBeGreaterThan(0);
  });
});
