import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { decodeRtcpCompound, encodeRtcpCompound } from '../../../main/media/rtcp';
import { jitterFromTruth } from '../../../main/media/jitter';
import { ntpFromUnixMs } from '../../../main/media/ntp';
import { ReceiverStats, type ReceiverStatsOptions, type RtpArrival } from '../../../main/media/receiver-stats';

const PTIME = 20;
const base: ReceiverStatsOptions = { ssrc: 0x5eed, clockRate: 8000, packetDurationMs: PTIME, jitterBuffer: { mode: 'fixed', delayMs: 60 } };

/** Packet i of a 20 ms PCMU stream, sent at i × 20 ms, arriving `delay` ms later. */
function pkt(i: number, delay: number, opts: { seq0?: number; ts0?: number; probe?: boolean } = {}): RtpArrival {
  return {
    sequenceNumber: ((opts.seq0 ?? 1000) + i) & 0xffff,
    timestamp: ((opts.ts0 ?? 0) + 160 * i) >>> 0,
    arrivalMs: PTIME * i + delay,
    payloadBytes: 160,
    ...(opts.probe === false ? {} : { probe: { sendTimeUs: PTIME * i * 1000, extSeq: i } }),
  };
}

describe('receiver statistics', () => {
  it('sees a clean stream as clean', () => {
    const rs = new ReceiverStats(base);
    for (let i = 0; i < 500; i++) expect(rs.onRtp(pkt(i, 30)).playout).toBe('played');
    rs.flush();
    const t = rs.totals();
    expect(t).toMatchObject({ expected: 500, received: 500, lost: 0, lossRate: 0, duplicates: 0, reordered: 0, discardedLate: 0, jitterMs: 0 });
    expect(t.oneWayDelay).toEqual({ count: 500, minMs: 30, meanMs: 30, maxMs: 30 });
    expect(t.burstGap).toMatchObject({ packets: 500, burstCount: 0, gapCount: 1, gapDurationMs: 10_000 });
    expect(t.payloadBytes).toBe(80_000);
    expect(rs.reportBlock(10_000)).toMatchObject({ ssrc: 0x5eed, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1499, jitter: 0, lsr: 0, dlsr: 0 });
  });

  it('counts crafted loss, duplicates and reordering across the sequence wrap', () => {
    const rs = new ReceiverStats({ ...base, finalizeAfterPackets: 5 });
    const seq0 = 65530;
    // send 0..19; lose 3 and 9 (seq 65533 and 3), duplicate 5, swap 12 and 13
    const order = [0, 1, 2, 4, 5, 5, 6, 7, 8, 10, 11, 13, 12, 14, 15, 16, 17, 18, 19];
    for (const i of order) rs.onRtp(pkt(i, 30 + (i === 12 ? 25 : 0), { seq0 }));
    rs.flush();
    const t = rs.totals();
    expect(t.expected).toBe(20);
    expect(t.received).toBe(18);
    expect(t.lost).toBe(2);
    expect(t.duplicates).toBe(1);
    expect(t.reordered).toBe(1);
    expect(t.discardedLate).toBe(0);
    expect(t.burstGap).toMatchObject({ packets: 20, lost: 2, burstCount: 1, burstPackets: 7 });
    const rb = rs.reportBlock(1000)!;
    expect(rb.extendedHighestSeq).toBe(65536 + 13);
    expect(rb.cumulativeLost).toBe(2);
    expect(rb.fractionLost).toBe(Math.floor((2 * 256) / 20));
  });

  it('splits figures into intervals that add up to the totals', () => {
    const rs = new ReceiverStats(base);
    const intervals = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 50 !== 7) rs.onRtp(pkt(i, 20));
      if (i % 250 === 249) intervals.push(rs.snapshotInterval(PTIME * i + 20));
    }
    expect(intervals).toHaveLength(4);
    expect(intervals.map((s) => s.expected)).toEqual([250, 250, 250, 250]);
    expect(intervals.map((s) => s.lost)).toEqual([5, 5, 5, 5]);
    expect(intervals[0]!.fractionLost).toBe(Math.floor((5 * 256) / 250));
    expect(intervals[0]!.startMs).toBe(20);
    expect(intervals[1]!.startMs).toBe(intervals[0]!.endMs);
    expect(intervals.reduce((n, s) => n + s.received, 0)).toBe(rs.totals().received);
    // burst/gap figures lag by the settling horizon but all packets end up accounted for
    rs.flush();
    const settled = intervals.reduce((n, s) => n + s.burstGap.packets, 0) + rs.snapshotInterval(20_020).burstGap.packets;
    expect(settled).toBe(1000);
  });

  it('computes the RFC 3550 §A.3 fraction lost per RTCP report interval', () => {
    const rs = new ReceiverStats(base);
    for (let i = 0; i < 50; i++) rs.onRtp(pkt(i, 10));
    expect(rs.reportBlock(1000)).toMatchObject({ fractionLost: 0, cumulativeLost: 0 });
    // next interval: 52, 56, …, 96 lost, 12 of 50
    for (let i = 50; i < 100; i++) if (i % 4 !== 0) rs.onRtp(pkt(i, 10));
    expect(rs.reportBlock(2000)).toMatchObject({ fractionLost: Math.floor((12 * 256) / 50), cumulativeLost: 12 });
    // nothing new: nothing lost in this interval
    expect(rs.reportBlock(2500)).toMatchObject({ fractionLost: 0, cumulativeLost: 12 });
  });

  it('counts packets the probe numbered before the first arrival as lost', () => {
    const rs = new ReceiverStats(base);
    for (let i = 3; i < 100; i++) rs.onRtp(pkt(i, 15));
    rs.flush();
    expect(rs.totals()).toMatchObject({ expected: 100, received: 97, lost: 3 });
    expect(rs.totals().burstGap.burstCount).toBe(1);

    const plain = new ReceiverStats({ ...base, useProbeOrigin: false });
    for (let i = 3; i < 100; i++) plain.onRtp(pkt(i, 15));
    expect(plain.totals()).toMatchObject({ expected: 97, lost: 0 });
  });

  it('turns late arrivals into discards that feed the burst metrics', () => {
    const rs = new ReceiverStats({ ...base, jitterBuffer: { mode: 'fixed', delayMs: 40 } });
    for (let i = 0; i < 200; i++) {
      const late = i >= 100 && i < 104;
      expect(rs.onRtp(pkt(i, late ? 80 : 20)).playout).toBe(late ? 'late' : 'played');
    }
    rs.flush();
    const t = rs.totals();
    expect(t).toMatchObject({ expected: 200, received: 200, lost: 0, discardedLate: 4 });
    expect(t.discardRate).toBeCloseTo(4 / 200, 12);
    expect(t.burstGap).toMatchObject({ discarded: 4, burstCount: 1, burstPackets: 4, burstDensity: 1 });
    expect(t.jitterBuffer).toEqual({ adaptive: false, nominalMs: 40, maxMs: 40, absMaxMs: 40 });
  });

  it('keeps the network\'s own loss bursts apart from the jitter buffer\'s discards', () => {
    const rs = new ReceiverStats({ ...base, jitterBuffer: { mode: 'fixed', delayMs: 40 } });
    // 4 packets arrive too late to play (discarded); 3 later ones never arrive (lost).
    for (let i = 0; i < 200; i++) if (i < 150 || i > 152) rs.onRtp(pkt(i, i >= 100 && i < 104 ? 80 : 20));
    rs.flush();
    const s = rs.snapshotInterval(4000);
    expect(s.burstGap).toMatchObject({ discarded: 4, lost: 3, burstCount: 2, burstLosses: 7 });
    expect(s.lossBursts).toEqual({ burstCount: 1, burstPackets: 3, burstLosses: 3, burstDensity: 1 });
    // A declared end beyond the last arrival is one burst of losses too.
    rs.endsAfter(210);
    rs.flush();
    expect(rs.snapshotInterval(5000)).toMatchObject({ expected: 10, received: 0, lost: 10, lossBursts: { burstCount: 1, burstLosses: 10 } });
  });

  it('treats a packet older than the settling horizon as discarded late', () => {
    const rs = new ReceiverStats({ ...base, finalizeAfterPackets: 10, jitterBuffer: { mode: 'fixed', delayMs: 10_000 } });
    for (let i = 0; i < 40; i++) if (i !== 5) rs.onRtp(pkt(i, 10));
    expect(rs.onRtp(pkt(5, 10 + 20 * 30)).playout).toBe('late');
    rs.flush();
    expect(rs.totals()).toMatchObject({ expected: 40, received: 40, lost: 0, discardedLate: 1 });
    expect(rs.totals().burstGap).toMatchObject({ lost: 1, discarded: 0 });
  });

  it('echoes LSR and the delay since the last SR', () => {
    const rs = new ReceiverStats(base);
    for (let i = 0; i < 10; i++) rs.onRtp(pkt(i, 10));
    const ntp = ntpFromUnixMs(Date.UTC(2026, 0, 1, 12));
    rs.onSenderReport(ntp, 5000);
    const rb = rs.reportBlock(5250)!;
    expect(rb.lsr).toBe((((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0);
    expect(rb.dlsr).toBe(Math.round(0.25 * 65536));
    // and it encodes
    const d = decodeRtcpCompound(encodeRtcpCompound([{ type: 'rr', ssrc: 1, reports: [rb] }]));
    expect(d.ok && d.value[0]).toMatchObject({ reports: [rb] });
  });

  it('reports nothing before the source is valid, and survives a sender restart', () => {
    const rs = new ReceiverStats(base);
    rs.onRtp(pkt(0, 10, { probe: false }));
    expect(rs.valid).toBe(false);
    expect(rs.reportBlock(100)).toBeUndefined();
    for (let i = 1; i < 50; i++) rs.onRtp(pkt(i, 10, { probe: false }));
    // the sender restarts with new numbering and timestamps
    expect(rs.onRtp(pkt(50, 10, { seq0: 30000, ts0: 777, probe: false })).kind).toBe('jump');
    expect(rs.onRtp(pkt(51, 10, { seq0: 30000, ts0: 777, probe: false })).kind).toBe('restarted');
    for (let i = 52; i < 100; i++) rs.onRtp(pkt(i, 10, { seq0: 30000, ts0: 777, probe: false }));
    rs.flush();
    const t = rs.totals();
    expect(t.restarts).toBe(1);
    expect(t.expected).toBe(50 + 49);
    expect(t.received).toBe(99);
    expect(t.jitterMs).toBe(0);
  });

  it('matches seeded ground truth: loss exactly, jitter as the RFC estimator on the truth', () => {
    for (const seed of [11, 12, 13]) {
      const r = new SeededRandom(seed);
      const rs = new ReceiverStats({ ...base, jitterBuffer: { mode: 'adaptive', minDelayMs: 20, maxDelayMs: 400 } });
      const arrivals: Array<RtpArrival & { i: number }> = [];
      const dropped = new Set<number>();
      const N = 3000;
      for (let i = 0; i < N; i++) {
        // 3 % loss in bursts of 1–3, delay 40 ms ± 15 ms, 1 % duplicated
        if (r.next() < 0.01) {
          const len = 1 + r.int(3);
          for (let k = 0; k < len && i < N; k++) dropped.add(i++);
          if (i >= N) break;
        }
        const p = pkt(i, 40 + (r.next() - 0.5) * 30, { seq0: 64000 });
        arrivals.push({ ...p, i });
        if (r.next() < 0.01) arrivals.push({ ...p, arrivalMs: p.arrivalMs + 1 + r.next() * 5, i });
      }
      arrivals.sort((a, b) => a.arrivalMs - b.arrivalMs);
      const seen = new Set<number>();
      const send: number[] = [];
      const arrive: number[] = [];
      for (const a of arrivals) {
        rs.onRtp(a);
        if (seen.has(a.i)) continue;
        seen.add(a.i);
        send.push(PTIME * a.i);
        arrive.push(a.arrivalMs);
      }
      rs.flush();
      const t = rs.totals();
      const lastSent = Math.max(...seen);
      const truthLost = [...dropped].filter((i) => i <= lastSent).length;
      expect(t.lost, `seed ${seed}`).toBe(truthLost);
      expect(t.received).toBe(seen.size);
      expect(t.duplicates).toBe(arrivals.length - seen.size);
      expect(t.burstGap.lost).toBe(truthLost);
      const truth = jitterFromTruth(send, arrive, 8000);
      expect(Math.abs(t.jitterMs - truth.jitterMs)).toBeLessThan(1e-6);
      expect(t.oneWayDelay!.minMs).toBeGreaterThanOrEqual(25);
      expect(t.oneWayDelay!.maxMs).toBeLessThanOrEqual(61);
    }
  });

  it('rejects nonsense options', () => {
    expect(() => new ReceiverStats({ ...base, clockRate: 0 })).toThrow();
    expect(() => new ReceiverStats({ ...base, packetDurationMs: 0 })).toThrow();
  });
});
