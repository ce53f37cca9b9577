import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { mediaTruthLabel, rtpTruth, rttTruth, truthFromVirtual } from '../../../main/lab/media-truth';
import { MediaSession, PacingScheduler, socketPath } from '../../../main/media/stream';
import { VirtualNetwork, type ImpairmentSpec } from '../../../main/net/virtual';

// Accuracy on the virtual network (fake time): what the sessions measure against what the
// network's ground truth says it did, both directions, over several seeds and impairments.
// Tolerances are the issue's: loss exact; jitter within 5 % or 0.5 ms of RFC 3550 §A.8 on the
// truth; each RTT within 1 ms of the SR's and the report's true delays; MOS within 0.05.

const CASES: Array<{ name: string; link: ImpairmentSpec }> = [
  { name: 'random loss 2 %, 40 ± 10 ms', link: { loss: 0.02, delayMs: 40, jitterMs: 10 } },
  { name: 'bursty loss 5 % (mean burst 3), 80 ± 20 ms, reorder 3 %, duplicates 1 %', link: { loss: { rate: 0.05, meanBurst: 3 }, delayMs: 80, jitterMs: 20, reorder: { rate: 0.03, delayMs: 40 }, duplicate: 0.01 } },
  { name: 'clean, 30 ms', link: { delayMs: 30 } },
];
const SEEDS = [1, 2, 3, 4, 5];

async function run(link: ImpairmentSpec, seed: number) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed, truth: { label: (p) => mediaTruthLabel(p), record: 'udp' } });
  // The whole path's impairment sits on A's link, both directions: RTT = 2 × one-way.
  const ha = net.addHost('a', { link });
  const hb = net.addHost('b');
  const sa = await ha.bindUdp({ ip: ha.address, port: 5004 });
  const sb = await hb.bindUdp({ ip: hb.address, port: 5006 });
  const scheduler = new PacingScheduler({ clock });
  const random = new SeededRandom(1000 + seed);
  const common = { clock, scheduler, rtcpIntervalMs: 1000, delaySource: 'probe' as const };
  const A = new MediaSession({ ...common, random: random.fork(), rtp: socketPath(sa, sb.local) });
  const B = new MediaSession({ ...common, random: random.fork(), rtp: socketPath(sb, sa.local) });
  A.start();
  B.start();
  clock.advance(30_000);
  A.stop();
  B.stop();
  clock.advance(1000);
  A.close();
  B.close();
  const fwd = truthFromVirtual(net.truth.flow(sa.local, sb.local));
  const rev = truthFromVirtual(net.truth.flow(sb.local, sa.local));
  await net.close();
  expect(clock.pendingTimers()).toBe(0);
  return { A, B, fwd, rev };
}

describe.each(CASES)('measured vs ground truth on the virtual network: $name', ({ link }) => {
  it.each(SEEDS)('seed %i, both directions', async (seed) => {
    const { A, B, fwd, rev } = await run(link, seed);
    for (const [tx, rx, out, back] of [
      [A, B, fwd, rev],
      [B, A, rev, fwd],
    ] as const) {
      const t = rtpTruth(out, { ssrc: tx.ssrc, initialSequence: tx.rtpOrigin.initialSequence, codec: tx.codecChoice.codec, ptimeMs: tx.codecChoice.ptimeMs });
      const m = rx.report().received!;
      expect(t.sent).toBe(tx.report().sent.packets);
      // loss: exact
      expect(m.figures.expected).toBe(t.sent);
      expect(m.figures.lost).toBe(t.lost);
      expect(m.figures.duplicates).toBe(t.duplicates);
      // jitter: within 5 % or 0.5 ms of RFC 3550 A.8 computed on the true times
      expect(Math.abs(m.figures.jitterMs - t.jitterMs)).toBeLessThanOrEqual(Math.max(0.05 * t.jitterMs, 0.5));
      // RTT: every sample within 1 ms of its SR's and its report's true delays
      const rtt = rttTruth(tx.report().rttSamples, tx.ssrc, out, back);
      expect(rtt.samples.length).toBeGreaterThanOrEqual(20);
      expect(rtt.unpaired).toBe(0);
      for (const s of rtt.samples) expect(Math.abs(s.measuredMs - s.truthMs)).toBeLessThan(1);
      if (!link.jitterMs && !link.reorder) expect(Math.abs(tx.report().rtt.meanMs! - 2 * link.delayMs!)).toBeLessThan(1);
      // MOS: within 0.05 of the E-model on the truth
      expect(Math.abs(m.quality.mos - t.quality.mos)).toBeLessThanOrEqual(0.05);
      if (link.loss) expect(t.lost).toBeGreaterThan(0);
    }
  });
});
