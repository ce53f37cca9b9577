import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { compactToMs, msToCompact, ntpFromUnixMs, ntpMiddle32, ntpToUnixMs } from '../../../main/media/ntp';
import { LastSenderReport, RttTracker, rttFromReportBlock } from '../../../main/media/rtt';

describe('NTP timestamps (RFC 3550 §4)', () => {
  it('converts Unix ms to NTP and back', () => {
    const t = ntpFromUnixMs(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(t.seconds).toBe(Date.UTC(2026, 0, 1) / 1000 + 2_208_988_800);
    expect(t.fraction).toBe(0x80000000);
    expect(ntpToUnixMs(t)).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(ntpFromUnixMs(999.99999999999).fraction).toBeLessThan(2 ** 32);
  });

  it('takes the middle 32 bits for LSR', () => {
    expect(ntpMiddle32({ seconds: 0x12345678, fraction: 0x9abcdef0 })).toBe(0x56789abc);
  });

  it('converts compact units (1/65536 s)', () => {
    expect(compactToMs(65536)).toBe(1000);
    expect(msToCompact(1000)).toBe(65536);
    expect(msToCompact(-5)).toBe(0);
  });
});

describe('round trip from LSR/DLSR (RFC 3550 §6.4.1)', () => {
  it('follows the example of §6.4.1', () => {
    // LSR 0xB705:2000 (46853.125 s), DLSR 0x0005:4000 (5.250 s), arrival 0xB710:8000
    // (46864.500 s): the round trip is 0x0006:2000, 6.125 s.
    const rtt = rttFromReportBlock({ lsr: 0xb7052000, dlsr: 0x00054000 }, { seconds: 0x0000b710, fraction: 0x80000000 });
    expect(rtt).toBe(6125);
    expect(rttFromReportBlock({ lsr: 0, dlsr: 0 }, { seconds: 1, fraction: 0 })).toBeUndefined();
    expect(rttFromReportBlock({ lsr: 0x00020000, dlsr: 0x00020000 }, { seconds: 3, fraction: 0 })).toBeUndefined();
  });

  it('measures twice the one-way delay with a fake clock, end to end', () => {
    const clock = new FakeClock();
    const oneWay = 37.5;
    const hold = 800;
    const peer = new LastSenderReport();
    const tracker = new RttTracker();
    for (let round = 0; round < 5; round++) {
      // we send an SR stamped with our wall clock; it reaches the peer one delay later
      const srNtp = ntpFromUnixMs(clock.wallNow());
      clock.advance(oneWay);
      peer.onSenderReport(srNtp, clock.now());
      // the peer holds it, then its report block comes back
      clock.advance(hold);
      const { lsr, dlsr } = peer.fields(clock.now());
      clock.advance(oneWay);
      const rtt = tracker.onReportBlock({ lsr, dlsr }, ntpFromUnixMs(clock.wallNow()));
      expect(rtt).toBeDefined();
      expect(Math.abs(rtt! - 2 * oneWay)).toBeLessThan(0.1);
      clock.advance(1000 + round * 123.4);
    }
    const s = tracker.snapshotInterval();
    expect(s.count).toBe(5);
    expect(Math.abs(s.meanMs! - 75)).toBeLessThan(0.1);
    expect(tracker.snapshotInterval()).toEqual({ count: 0 });
    expect(tracker.totals().count).toBe(5);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('reports LSR = DLSR = 0 before any SR', () => {
    expect(new LastSenderReport().fields(1000)).toEqual({ lsr: 0, dlsr: 0 });
  });
});
