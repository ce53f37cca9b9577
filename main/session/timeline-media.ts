import { z } from 'zod';
import type { Stamped, TimelineEvent } from './timeline';
import { eventsOf, type KnownEvent, type MediaIntervalStatsData, type PathInfoData } from './timeline-events';

/**
 * The media figures of a run, read from its Timeline: rows of `media.stats` intervals, and the
 * rows grouped into path epochs. An epoch is one stream (SSRC) on one path: `media.epoch` says
 * where it began.
 *
 * What we received is attributed to the peer's SENDER epoch, not to the interval's current path:
 * a stats interval carries its reception split by the peer's path epochs (`receivedEpochs`), and
 * each part becomes a row of the local epoch on the pair it arrived on: the part says which pair
 * its first packet came in on (`via`, the ICE pair id), and the local epoch on that pair is the
 * same path seen from here. The two ends need not have moved the same number of times (one end
 * may pass through a relay-over-TCP pair for a millisecond that the other never selects). Without
 * `via`, the local epoch of the same number (ICE moves both ends onto one pair, one epoch per
 * move, so the numbers usually agree). Packets the peer sent
 * on a path just before it was cut are learnt lost only once its next path's first packet
 * arrives (in a later interval, often on the new path): they still count against the path they
 * were sent on. A peer epoch with no local epoch of its number (the ends moved a different number
 * of times) falls back to the interval's current epoch. Timelines without the split (older runs,
 * a peer that does not tag its packets) give one row per interval in its current epoch.
 */

export interface IntervalFigures {
  /** The `media.stats` event's sequence number. */
  readonly seq: number;
  readonly at: number;
  readonly ssrc?: number;
  readonly epoch: number;
  readonly path: PathInfoData | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly packetsSent?: number;
  /** False before the peer's first packet: nothing received, nothing to measure. */
  readonly measured: boolean;
  readonly expected: number;
  readonly received: number;
  /** expected − received; may be negative inside one interval when a late packet fills an old gap. */
  readonly lost: number;
  readonly lossPct?: number;
  readonly jitterMs?: number;
  /** Absent when the source does not count reordered packets (main/api's flat figures). */
  readonly reordered?: number;
  readonly reorderPct?: number;
  /** RFC 3611 §4.7.2 burst density of the network's losses (percent of packets lost inside bursts), 0 with no burst. */
  readonly burstLossPct?: number;
  readonly rttMs?: number;
  readonly rttSamples: number;
  readonly oneWayMs?: number;
  readonly mos?: number;
  /** The peer's path epoch these received figures belong to (absent: the interval as a whole). */
  readonly senderEpoch?: number;
  /** Received figures of peer epochs of which nothing arrived (all lost). */
  readonly unseen?: boolean;
}

export interface EpochSeries {
  /** `ssrc:epoch`, or `epoch` for a stream without an SSRC. */
  readonly key: string;
  readonly ssrc?: number;
  readonly epoch: number;
  readonly path: PathInfoData | null;
  /** Why the stream moved to this path (from `media.epoch`). */
  readonly reason?: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly intervals: readonly IntervalFigures[];
  /** Sequence numbers of the events this epoch was built from. */
  readonly evidence: readonly number[];
}

const pct = (part: number, whole: number): number | undefined => (whole > 0 ? (100 * part) / whole : undefined);

const finiteSchema = z.number().finite();
const burstSchema = z.object({ burstCount: finiteSchema.optional(), burstDensity: finiteSchema }).passthrough();
// One peer epoch's part of an interval (main/media ReceivedEpochInterval), as far as it is read here.
const receivedEpochSchema = z
  .object({
    epoch: z.number().int().min(0),
    via: z.string().max(1024).optional(),
    unseen: z.boolean().optional(),
    expected: finiteSchema,
    received: finiteSchema,
    lost: finiteSchema,
    reordered: finiteSchema.optional(),
    jitterMs: finiteSchema,
    burstGap: burstSchema.optional(),
    lossBursts: burstSchema.optional(),
    oneWayDelay: z.object({ meanMs: finiteSchema }).passthrough().optional(),
    mos: finiteSchema.optional(),
  })
  .passthrough();
const receivedEpochsSchema = z.array(receivedEpochSchema).max(1024);
type ReceivedPart = z.infer<typeof receivedEpochSchema>;

type Received = Pick<ReceivedPart, 'expected' | 'received' | 'lost' | 'reordered' | 'jitterMs' | 'burstGap' | 'oneWayDelay'> & { readonly lossBursts?: unknown };

/** The counted figures of one reception (the whole interval, or one peer epoch's part of it). */
function receivedFigures(r: Received): Pick<IntervalFigures, 'measured' | 'expected' | 'received' | 'lost' | 'lossPct' | 'jitterMs' | 'reordered' | 'reorderPct' | 'burstLossPct' | 'oneWayMs'> {
  const measured = r.expected > 0;
  // Bursts of the network's losses (lossBursts); older Timelines have only RFC 3611's, which also
  // count the emulated jitter buffer's discards.
  const lossBursts = burstSchema.safeParse(r.lossBursts);
  const bursts = lossBursts.success ? lossBursts.data : r.burstGap;
  const burstLossPct = !bursts ? undefined : (bursts.burstCount ?? 1) > 0 ? 100 * bursts.burstDensity : 0;
  return {
    measured,
    expected: r.expected,
    received: r.received,
    lost: r.lost,
    ...(measured ? { lossPct: pct(Math.max(0, r.lost), r.expected)!, jitterMs: r.jitterMs, reorderPct: pct(r.reordered ?? 0, r.expected)! } : {}),
    reordered: r.reordered ?? 0,
    ...(measured && burstLossPct !== undefined ? { burstLossPct } : {}),
    ...(r.oneWayDelay ? { oneWayMs: r.oneWayDelay.meanMs } : {}),
  };
}

/** Local epochs per stream (`keyOf`) and their paths, from the whole Timeline. */
function localEpochs(events: readonly Stamped<TimelineEvent>[]): Map<string, PathInfoData | null> {
  const paths = new Map<string, PathInfoData | null>();
  for (const e of events) {
    if (e.type === 'media.epoch') {
      const m = e as unknown as KnownEvent<'media.epoch'>;
      paths.set(keyOf(m.ssrc, m.epoch), m.to ?? null);
    }
  }
  for (const e of eventsOf(events, 'media.stats')) {
    const k = keyOf(e.ssrc, e.epoch);
    if (!paths.get(k) && e.path) paths.set(k, e.path);
    else if (!paths.has(k)) paths.set(k, null);
  }
  return paths;
}

/**
 * The rows of every `media.stats` interval: one per peer sender epoch with something in it,
 * each in the local epoch it is attributed to (see the top of this file), the interval's own
 * round trip and packets sent on the row of its current epoch; or one row for the interval as a
 * whole when it carries no split.
 */
export function mediaIntervals(events: readonly Stamped<TimelineEvent>[]): IntervalFigures[] {
  const epochs = localEpochs(events);
  return eventsOf(events, 'media.stats').flatMap((e): IntervalFigures[] => {
    const s = e.stats;
    const base = {
      seq: e.seq,
      at: e.at,
      ...(e.ssrc !== undefined ? { ssrc: e.ssrc } : {}),
      epoch: e.epoch,
      path: e.path ?? null,
      startMs: s.startMs,
      endMs: s.endMs,
    };
    // main/media's MediaIntervalStats has `sent` and `rtt` on every interval; main/api's view has neither.
    if (!s.sent && !s.rtt && !s.received) return [{ ...base, ...flatFigures(s) }];
    const r = s.received;
    const rttMs = s.rtt && s.rtt.count > 0 ? (s.rtt.meanMs ?? s.rtt.lastMs) : undefined;
    const sent = s.sent ? { packetsSent: s.sent.packets } : {};
    const rtt = { ...(rttMs !== undefined ? { rttMs } : {}), rttSamples: s.rtt?.count ?? 0 };
    const mos = s.mos !== undefined ? { mos: s.mos } : {};
    if (!r) return [{ ...base, ...sent, measured: false, expected: 0, received: 0, lost: 0, ...rtt, ...mos }];
    const parts = receivedEpochsSchema.safeParse((s as Record<string, unknown>)['receivedEpochs']);
    if (!parts.success || parts.data.length === 0) return [{ ...base, ...sent, ...receivedFigures(r), ...rtt, ...mos }];
    const rows: IntervalFigures[] = parts.data.map((p) => {
      const own = (p.via !== undefined ? epochOnPath(epochs, e.ssrc, p.via, e.epoch) : undefined) ?? (epochs.has(keyOf(e.ssrc, p.epoch)) ? p.epoch : e.epoch);
      return {
        ...base,
        epoch: own,
        path: own === e.epoch ? base.path : (epochs.get(keyOf(e.ssrc, own)) ?? null),
        ...receivedFigures(p),
        rttSamples: 0,
        ...(p.mos !== undefined ? { mos: p.mos } : {}),
        senderEpoch: p.epoch,
        ...(p.unseen ? { unseen: true } : {}),
      };
    });
    // The round trip and the packets sent are the interval's current path's, on one row of it.
    const i = rows.findIndex((x) => x.epoch === e.epoch);
    if (i >= 0) rows[i] = { ...rows[i]!, ...sent, ...rtt };
    else rows.push({ ...base, ...sent, measured: false, expected: 0, received: 0, lost: 0, ...rtt });
    return rows;
  });
}

/**
 * main/api's flat interval (packetsReceived, lossPct, jitterMs, rttMs, mos): the packets expected
 * are worked back from the loss rate, so windows still sum counts; reorder and bursts are not
 * carried, so they stay unmeasured.
 */
function flatFigures(s: MediaIntervalStatsData): Omit<IntervalFigures, 'seq' | 'at' | 'epoch' | 'path' | 'startMs' | 'endMs' | 'ssrc'> {
  const received = s.packetsReceived ?? 0;
  const measured = s.lossPct !== undefined && (received > 0 || s.lossPct >= 100);
  const expected = !measured ? 0 : s.lossPct! >= 100 ? Math.max(received, s.packetsSent ?? 0) : received / (1 - s.lossPct! / 100);
  return {
    ...(s.packetsSent !== undefined ? { packetsSent: s.packetsSent } : {}),
    measured: measured && expected > 0,
    expected,
    received,
    lost: expected - received,
    ...(measured && expected > 0 ? { lossPct: s.lossPct! } : {}),
    ...(measured && s.jitterMs !== undefined ? { jitterMs: s.jitterMs } : {}),
    ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}),
    rttSamples: s.rttMs !== undefined ? 1 : 0,
    ...(s.mos !== undefined ? { mos: s.mos } : {}),
  };
}

/**
 * The local epoch of stream `ssrc` on path `via`: the latest such epoch not after `current` (a
 * path can be left and taken again), else the earliest after it.
 */
function epochOnPath(epochs: ReadonlyMap<string, PathInfoData | null>, ssrc: number | undefined, via: string, current: number): number | undefined {
  let before: number | undefined;
  let after: number | undefined;
  const prefix = ssrc === undefined ? undefined : `${ssrc}:`;
  for (const [k, path] of epochs) {
    if (path?.id !== via || (prefix ? !k.startsWith(prefix) : k.includes(':'))) continue;
    const n = Number(prefix ? k.slice(prefix.length) : k);
    if (n <= current) before = before === undefined ? n : Math.max(before, n);
    else after = after === undefined ? n : Math.min(after, n);
  }
  return before ?? after;
}

function keyOf(ssrc: number | undefined, epoch: number): string {
  return ssrc === undefined ? String(epoch) : `${ssrc}:${epoch}`;
}

/** The run's path epochs in the order they began, each with its intervals. */
export function mediaEpochs(events: readonly Stamped<TimelineEvent>[]): EpochSeries[] {
  interface Acc {
    key: string;
    ssrc?: number;
    epoch: number;
    path: PathInfoData | null;
    reason?: string;
    startMs?: number;
    intervals: IntervalFigures[];
    evidence: number[];
    order: number;
  }
  const byKey = new Map<string, Acc>();
  let order = 0;
  const acc = (ssrc: number | undefined, epoch: number, path: PathInfoData | null): Acc => {
    const key = keyOf(ssrc, epoch);
    let a = byKey.get(key);
    if (!a) {
      a = { key, ...(ssrc !== undefined ? { ssrc } : {}), epoch, path, intervals: [], evidence: [], order: order++ };
      byKey.set(key, a);
    }
    return a;
  };
  // One pass in Timeline order, so epochs are listed in the order they began.
  const intervals = new Map<number, IntervalFigures[]>();
  for (const i of mediaIntervals(events)) {
    const rows = intervals.get(i.seq);
    if (rows) rows.push(i);
    else intervals.set(i.seq, [i]);
  }
  for (const e of events) {
    if (e.type === 'media.epoch') {
      const m = e as unknown as KnownEvent<'media.epoch'>;
      const a = acc(m.ssrc, m.epoch, m.to ?? null);
      a.path = m.to ?? null;
      if (m.reason !== undefined) a.reason = m.reason;
      a.startMs ??= m.at;
      a.evidence.push(m.seq);
      continue;
    }
    const rows = e.type === 'media.stats' ? intervals.get(e.seq) : undefined;
    for (const i of rows ?? []) {
      const a = acc(i.ssrc, i.epoch, i.path);
      if (!a.path && i.path) a.path = i.path;
      a.intervals.push(i);
      if (a.evidence[a.evidence.length - 1] !== i.seq) a.evidence.push(i.seq);
    }
  }
  const list = [...byKey.values()].sort((x, y) => x.order - y.order);
  return list.map((a) => {
    const startMs = a.startMs ?? a.intervals[0]?.startMs ?? 0;
    // The epoch ends where the same stream's next epoch begins, else with its last interval.
    const next = list.find((b) => b.ssrc === a.ssrc && b.epoch > a.epoch && b.startMs !== undefined);
    const lastEnd = a.intervals.length ? Math.max(...a.intervals.map((i) => i.endMs)) : startMs;
    const endMs = next?.startMs !== undefined && next.startMs >= startMs ? next.startMs : Math.max(startMs, lastEnd);
    return {
      key: a.key,
      ...(a.ssrc !== undefined ? { ssrc: a.ssrc } : {}),
      epoch: a.epoch,
      path: a.path,
      ...(a.reason !== undefined ? { reason: a.reason } : {}),
      startMs,
      endMs,
      durationMs: endMs - startMs,
      intervals: a.intervals,
      evidence: a.evidence.sort((x, y) => x - y),
    };
  });
}

/** Figures of a run of intervals taken together (an epoch, or a window of one). */
export interface AggregateFigures {
  readonly measuredIntervals: number;
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly lossPct?: number;
  /** Mean of the intervals' RFC 3550 jitter, weighted by packets received. */
  readonly jitterMs?: number;
  readonly reorderPct?: number;
  /** The worst interval's burst density. */
  readonly burstLossPct?: number;
  /** Mean round trip, weighted by the number of RTCP samples. */
  readonly rttMs?: number;
  readonly oneWayMs?: number;
  /** Mean MOS weighted by packets expected, and the lowest interval's. */
  readonly mos?: number;
  readonly mosMin?: number;
}

function weightedMean(pairs: ReadonlyArray<readonly [number | undefined, number]>): number | undefined {
  let sum = 0;
  let w = 0;
  for (const [v, weight] of pairs) {
    if (v === undefined || weight <= 0) continue;
    sum += v * weight;
    w += weight;
  }
  return w > 0 ? sum / w : undefined;
}

export function aggregate(intervals: readonly IntervalFigures[]): AggregateFigures {
  const m = intervals.filter((i) => i.measured);
  const expected = m.reduce((s, i) => s + i.expected, 0);
  const received = m.reduce((s, i) => s + i.received, 0);
  // Interval losses may be negative (a late packet filling an earlier gap): sum, then clamp.
  const lost = Math.max(0, m.reduce((s, i) => s + i.lost, 0));
  const counted = m.filter((i) => i.reordered !== undefined);
  const reordered = counted.reduce((s, i) => s + i.reordered!, 0);
  const bursts = m.map((i) => i.burstLossPct).filter((v): v is number => v !== undefined);
  const moses = intervals.map((i) => i.mos).filter((v): v is number => v !== undefined);
  const out = {
    measuredIntervals: m.length,
    expected,
    received,
    lost,
    lossPct: pct(lost, expected),
    jitterMs: weightedMean(m.map((i) => [i.jitterMs, i.received] as const)),
    reorderPct: pct(reordered, counted.reduce((s, i) => s + i.expected, 0)),
    burstLossPct: bursts.length ? Math.max(...bursts) : undefined,
    rttMs: weightedMean(intervals.map((i) => [i.rttMs, i.rttSamples] as const)),
    oneWayMs: weightedMean(m.map((i) => [i.oneWayMs, i.received] as const)),
    mos: weightedMean(intervals.map((i) => [i.mos, Math.max(1, i.expected)] as const)),
    mosMin: moses.length ? Math.min(...moses) : undefined,
  };
  // Drop the figures that could not be measured, so a report says "absent", not "undefined".
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as unknown as AggregateFigures;
}
