import type { CodecInfo } from '../media/codecs';
import { classifyDatagram } from '../media/demux';
import { jitterFromTruth } from '../media/jitter';
import type { JitterBufferConfig } from '../media/jitter-buffer';
import { ntpMiddle32 } from '../media/ntp';
import { decodeProbePayload } from '../media/probe-payload';
import { ReceiverStats } from '../media/receiver-stats';
import { decodeRtcpCompound } from '../media/rtcp';
import { decodeRtp } from '../media/rtp';
import { streamFigures, streamQuality, TransitJitter, type RttSample, type StreamFigures, type StreamQuality } from '../media/stream';
import type { PacketRecord } from '../net/virtual';
import type { ForwardRecord } from './forwarder';

/**
 * Ground truth for media, from whatever impaired the packets (the virtual network's GroundTruth
 * or the real-socket forwarder): the same figures the receiver measures, computed on what the
 * network really did, so a measurement can be checked against them.
 */

/**
 * A label naming a media datagram in truth records:
 * `rtp:<ssrc>:<probe seq>:<rtp timestamp>` for our probes, `rtcp:<ssrc>:<SR NTP middle 32 or 0>:<LSR,…>`
 * for compounds (enough to pair each RTT sample with the SR and the report that made it).
 */
export function mediaTruthLabel(payload: Uint8Array): string | undefined {
  const kind = classifyDatagram(payload);
  if (kind === 'rtp') {
    const p = decodeRtp(payload);
    if (!p.ok) return undefined;
    const probe = decodeProbePayload(p.value.payload);
    if (!probe.ok) return undefined;
    return `rtp:${p.value.ssrc}:${probe.value.extSeq}:${p.value.timestamp}`;
  }
  if (kind === 'rtcp') {
    const c = decodeRtcpCompound(payload, { strict: false });
    if (!c.ok) return undefined;
    const first = c.value[0];
    if (!first || (first.type !== 'sr' && first.type !== 'rr')) return undefined;
    const srMid = first.type === 'sr' ? ntpMiddle32(first.ntp) : 0;
    return `rtcp:${first.ssrc}:${srMid}:${first.reports.map((r) => r.lsr).join(',')}`;
  }
  return undefined;
}

/** One datagram's fate, whoever recorded it. */
export interface TruthPacket {
  readonly label?: string | number;
  /** When it entered the impaired path. */
  readonly sentAt: number;
  readonly delivered: boolean;
  /** When it left the impaired path (virtual: delivery; forwarder: the real send). */
  readonly deliveredAt?: number;
  /** A copy made by a duplicating link. */
  readonly copy: boolean;
}

export function truthFromVirtual(records: readonly PacketRecord[]): TruthPacket[] {
  return records.map((r) => ({
    ...(r.label !== undefined ? { label: r.label } : {}),
    sentAt: r.sentAt,
    delivered: r.fate === 'delivered',
    ...(r.deliveredAt !== undefined ? { deliveredAt: r.deliveredAt } : {}),
    copy: r.duplicateOf !== undefined,
  }));
}

export function truthFromForwarder(records: readonly ForwardRecord[]): TruthPacket[] {
  return records.map((r) => ({
    ...(r.label !== undefined ? { label: r.label } : {}),
    sentAt: r.receivedAt,
    delivered: r.fate === 'delivered',
    ...(r.forwardedAt !== undefined ? { deliveredAt: r.forwardedAt } : {}),
    copy: r.duplicateOf !== undefined,
  }));
}

interface RtpPacketTruth {
  readonly extSeq: number;
  readonly timestamp: number;
  sentAt: number;
  /** Every delivery (original and copies), in time order. */
  arrivals: number[];
}

export interface RtpTruthOptions {
  readonly ssrc: number;
  /** The sender's first RTP sequence number (sequence = initial + probe number, mod 2^16). */
  readonly initialSequence: number;
  readonly codec: CodecInfo;
  readonly ptimeMs: number;
  readonly jitterBuffer?: JitterBufferConfig;
  readonly gmin?: number;
}

export interface RtpTruth {
  /** Packets the sender put on the path. */
  readonly sent: number;
  /** Packets of which at least one copy arrived. */
  readonly delivered: number;
  readonly lost: number;
  readonly lossPct: number;
  readonly duplicates: number;
  /** RFC 3550 §A.8 over the true send and arrival times, in arrival order (jitterFromTruth). */
  readonly jitterMs: number;
  /** The same estimate averaged over the stream. */
  readonly jitterMeanMs: number;
  readonly meanDelayMs: number;
  /** The receiver's analysis (ReceiverStats) run on the true arrival times. */
  readonly figures: StreamFigures;
  /** G.107 on the truth: same function, inputs from the truth, delay = true mean one-way delay. */
  readonly quality: StreamQuality;
}

function parseRtpLabel(label: string | number | undefined, ssrc: number): { extSeq: number; timestamp: number } | undefined {
  if (typeof label !== 'string' || !label.startsWith('rtp:')) return undefined;
  const [, s, e, t] = label.split(':');
  if (Number(s) !== ssrc) return undefined;
  return { extSeq: Number(e), timestamp: Number(t) };
}

/** The truth of one RTP stream (one SSRC) from the records of the path it crossed. */
export function rtpTruth(packets: readonly TruthPacket[], o: RtpTruthOptions): RtpTruth {
  const byExt = new Map<number, RtpPacketTruth>();
  for (const p of packets) {
    const l = parseRtpLabel(p.label, o.ssrc);
    if (!l) continue;
    let t = byExt.get(l.extSeq);
    if (!t) {
      t = { extSeq: l.extSeq, timestamp: l.timestamp, sentAt: p.sentAt, arrivals: [] };
      byExt.set(l.extSeq, t);
    }
    if (!p.copy && p.sentAt < t.sentAt) t.sentAt = p.sentAt;
    if (p.delivered && p.deliveredAt !== undefined) t.arrivals.push(p.deliveredAt);
  }
  const all = [...byExt.values()].sort((a, b) => a.extSeq - b.extSeq);
  const delivered = all.filter((t) => t.arrivals.length > 0);
  for (const t of delivered) t.arrivals.sort((a, b) => a - b);
  const duplicates = delivered.reduce((n, t) => n + t.arrivals.length - 1, 0);
  // First arrivals in arrival order: what the RFC 3550 estimator sees.
  const firsts = delivered.map((t) => ({ t, at: t.arrivals[0]! })).sort((a, b) => a.at - b.at || a.t.extSeq - b.t.extSeq);
  const jitter = jitterFromTruth(
    firsts.map((f) => f.t.sentAt),
    firsts.map((f) => f.at),
    o.codec.clockRate,
  );
  const running = new TransitJitter();
  for (const f of firsts) running.update(f.at - f.t.sentAt);
  const meanDelayMs = firsts.length ? firsts.reduce((s, f) => s + (f.at - f.t.sentAt), 0) / firsts.length : 0;

  // Every delivery (copies too) in time order through the receiver's own analysis.
  const stats = new ReceiverStats({
    ssrc: o.ssrc,
    minSequential: 1,
    clockRate: o.codec.clockRate,
    packetDurationMs: o.ptimeMs,
    ...(o.jitterBuffer ? { jitterBuffer: o.jitterBuffer } : {}),
    ...(o.gmin !== undefined ? { gmin: o.gmin } : {}),
  });
  const deliveries = delivered.flatMap((t) => t.arrivals.map((at) => ({ t, at }))).sort((a, b) => a.at - b.at || a.t.extSeq - b.t.extSeq);
  for (const d of deliveries) {
    stats.onRtp({
      sequenceNumber: (o.initialSequence + d.t.extSeq) & 0xffff,
      timestamp: d.t.timestamp,
      arrivalMs: d.at,
      probe: { sendTimeUs: Math.round(d.t.sentAt * 1000), extSeq: d.t.extSeq },
    });
  }
  stats.flush();
  const sent = all.length ? all[all.length - 1]!.extSeq + 1 : 0;
  const maxDelivered = delivered.length ? delivered[delivered.length - 1]!.extSeq : -1;
  const figures = streamFigures(stats.totals(), { networkJitterMs: jitter.jitterMs, networkJitterMeanMs: running.meanMs, tailLost: delivered.length ? sent - (maxDelivered + 1) : 0 });
  const lost = sent - delivered.length;
  const lossPct = sent > 0 ? (100 * lost) / sent : 0;
  const quality = streamQuality(o.codec, o.ptimeMs, {
    lossPct,
    discardPct: figures.discardPct,
    burstR: figures.burstR,
    networkDelayMs: meanDelayMs,
    jitterBufferMs: figures.jitterBufferMs,
  });
  return { sent, delivered: delivered.length, lost, lossPct, duplicates, jitterMs: jitter.jitterMs, jitterMeanMs: running.meanMs, meanDelayMs, figures, quality };
}

export interface RttTruthSample {
  readonly atMs: number;
  readonly measuredMs: number;
  /** Delay the SR got on the way out plus delay the report got on the way back. */
  readonly truthMs: number;
}

export interface RttTruth {
  readonly samples: readonly RttTruthSample[];
  /** Samples that could not be paired with records (evicted, or a copy of unknown origin). */
  readonly unpaired: number;
  readonly meanTruthMs?: number;
  readonly meanMeasuredMs?: number;
}

function parseRtcpLabel(label: string | number | undefined): { ssrc: number; srMid: number; lsrs: number[] } | undefined {
  if (typeof label !== 'string' || !label.startsWith('rtcp:')) return undefined;
  const [, s, m, l] = label.split(':');
  return { ssrc: Number(s), srMid: Number(m), lsrs: l ? l.split(',').map(Number) : [] };
}

/**
 * Pairs each round-trip sample a sender measured with the truth: the report that produced it (the
 * latest delivered before the sample that echoes its LSR) and the copy of our SR the peer last
 * received before sending that report (the one its DLSR counts from: with duplicated or reordered
 * SRs, that is not always the first). Truth = that SR's delay out + the report's delay back.
 */
export function rttTruth(samples: readonly RttSample[], senderSsrc: number, forward: readonly TruthPacket[], reverse: readonly TruthPacket[]): RttTruth {
  const srArrivals = new Map<number, Array<{ at: number; delay: number }>>();
  for (const p of forward) {
    const l = parseRtcpLabel(p.label);
    if (!l || l.ssrc !== senderSsrc || l.srMid === 0 || !p.delivered || p.deliveredAt === undefined) continue;
    let list = srArrivals.get(l.srMid);
    if (!list) srArrivals.set(l.srMid, (list = []));
    list.push({ at: p.deliveredAt, delay: p.deliveredAt - p.sentAt });
  }
  const reports = reverse
    .map((p) => ({ p, l: parseRtcpLabel(p.label) }))
    .filter((x) => x.l && x.p.delivered && x.p.deliveredAt !== undefined)
    .sort((a, b) => a.p.deliveredAt! - b.p.deliveredAt!);
  const out: RttTruthSample[] = [];
  let unpaired = 0;
  for (const s of samples) {
    let report: TruthPacket | undefined;
    for (const r of reports) {
      if (r.p.deliveredAt! > s.atMs + 1e-6) break;
      if (r.l!.lsrs.includes(s.lsr)) report = r.p;
    }
    let sr: { at: number; delay: number } | undefined;
    for (const c of srArrivals.get(s.lsr) ?? []) if (report && c.at <= report.sentAt && (!sr || c.at > sr.at)) sr = c;
    if (!report || !sr) {
      unpaired++;
      continue;
    }
    out.push({ atMs: s.atMs, measuredMs: s.rttMs, truthMs: sr.delay + (report.deliveredAt! - report.sentAt) });
  }
  const mean = (xs: number[]): number | undefined => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const meanTruthMs = mean(out.map((x) => x.truthMs));
  const meanMeasuredMs = mean(out.map((x) => x.measuredMs));
  return { samples: out, unpaired, ...(meanTruthMs !== undefined ? { meanTruthMs } : {}), ...(meanMeasuredMs !== undefined ? { meanMeasuredMs } : {}) };
}
