import { describe, expect, it } from 'vitest';
import { BurstGapTracker, type PacketFate } from '../../../main/media/burst-gap';

function run(pattern: string, ptime = 20, gmin = 16): BurstGapTracker {
  const t = new BurstGapTracker(ptime, gmin);
  const fate: Record<string, PacketFate> = { '1': 'received', '0': 'lost', X: 'discarded' };
  for (const c of pattern.replace(/\s+/g, '')) t.push(fate[c]!);
  return t;
}

describe('burst and gap metrics (RFC 3611 §4.7.2, Gmin 16)', () => {
  it('reproduces the example of §4.7.2: one burst of twelve packets', () => {
    // Losses at 4 (gap), 23 X, 27 X, 29, 34 (the burst, 23…34), 53 X (gap: 18 received before,
    // 9 after plus the Gmin assumed after a report).
    const m = run('11110111111111111111111X111X1011110111111111111111111X111111111').metrics();
    expect(m.packets).toBe(63);
    expect(m.lost).toBe(3);
    expect(m.discarded).toBe(3);
    expect(m.burstCount).toBe(1);
    expect(m.burstPackets).toBe(12);
    expect(m.burstLosses).toBe(4);
    expect(m.burstDensity).toBeCloseTo(4 / 12, 12);
    expect(m.gapCount).toBe(2);
    expect(m.gapPackets).toBe(51);
    expect(m.gapLosses).toBe(2);
    expect(m.gapDensity).toBeCloseTo(2 / 51, 12);
    expect(m.burstDurationMs).toBe(240);
    expect(m.gapDurationMs).toBe(510); // 51 packets × 20 ms over two gaps
  });

  it('keeps two losses Gmin apart in the gap, and joins them when closer', () => {
    const apart = run('1111 0 1111111111111111 0 1111').metrics();
    expect(apart.burstCount).toBe(0);
    expect(apart.gapLosses).toBe(2);
    expect(apart.gapCount).toBe(1);
    expect(apart.gapDensity).toBeCloseTo(2 / 26, 12);
    expect(apart.gapDurationMs).toBe(26 * 20);

    const close = run('1111 0 111111111111111 0 1111').metrics();
    expect(close.burstCount).toBe(1);
    expect(close.burstPackets).toBe(17);
    expect(close.burstDensity).toBeCloseTo(2 / 17, 12);
    expect(close.gapPackets).toBe(8);
    expect(close.gapLosses).toBe(0);
    expect(close.gapCount).toBe(2);
    expect(close.gapDurationMs).toBe(80);
  });

  it('has no leading gap when the stream starts in a burst', () => {
    const m = run('00' + '1'.repeat(20)).metrics();
    expect(m.burstCount).toBe(1);
    expect(m.burstPackets).toBe(2);
    expect(m.burstDensity).toBe(1);
    expect(m.gapCount).toBe(1);
    expect(m.gapPackets).toBe(20);
    expect(m.burstDurationMs).toBe(40);
  });

  it('closes an open burst tentatively for a report, without losing it later', () => {
    const t = run('1111 00 11');
    expect(t.metrics().burstCount).toBe(1);
    expect(t.metrics().gapCount).toBe(2);
    // more losses extend the same burst
    for (const f of ['lost', 'received', 'lost'] as PacketFate[]) t.push(f);
    const m = t.metrics();
    expect(m.burstCount).toBe(1);
    expect(m.burstPackets).toBe(7); // from the first 0 to the last
    expect(m.burstLosses).toBe(4);
    expect(m.gapCount).toBe(1);
  });

  it('counts two bursts with a gap between them', () => {
    const m = run('00' + '1'.repeat(20) + '0110' + '1'.repeat(16)).metrics();
    expect(m.burstCount).toBe(2);
    expect(m.burstPackets).toBe(2 + 4);
    expect(m.burstDurationMs).toBe(60);
    expect(m.gapCount).toBe(2);
    expect(m.gapPackets).toBe(36);
    expect(m.gapDurationMs).toBe(360);
  });

  it('reports all-zero figures for a clean stream, and one gap', () => {
    const m = run('1'.repeat(50)).metrics();
    expect(m).toMatchObject({ burstCount: 0, burstDensity: 0, gapDensity: 0, gapCount: 1, gapDurationMs: 1000, burstDurationMs: 0 });
    expect(new BurstGapTracker(20).metrics()).toMatchObject({ packets: 0, gapCount: 0, gapDurationMs: 0 });
  });

  it('counts loss transitions for the E-model burst ratio', () => {
    const m = run('1 1 0 0 1 0 1 1').metrics();
    expect(m.transitions).toEqual({ receivedToReceived: 2, receivedToLost: 2, lostToReceived: 2, lostToLost: 1 });
  });

  it('honours another Gmin and resets', () => {
    const t = run('0 11 0', 20, 2);
    expect(t.metrics().burstCount).toBe(0);
    expect(t.metrics().gapLosses).toBe(2);
    t.reset();
    expect(t.metrics().packets).toBe(0);
    expect(() => new BurstGapTracker(20, 0)).toThrow();
  });
});
