import type { Disposable } from '../common/events';
import type { IceAgent } from '../ice/agent';
import type { PairView } from '../ice/pair';
import { followSelectedPair, pathInfoOf, selectedPathOf } from '../ice/selected-path';
import type { DatagramPath, MediaEvent, MediaIntervalStats, MediaSession, PathInfo } from '../media/stream';

/**
 * Media over the call's ICE agent: a component as the stream's DatagramPath (it sends on whatever
 * pair is selected now, so the stream follows every path change by itself, and holds packets back
 * while no pair is selected), the agent's `path.changed` as the stream's path epochs, and the
 * stream's events as Timeline entries. The adapter itself is ice/selected-path.ts, shared with the
 * lab's runs.
 */

export function iceMediaPath(agent: IceAgent, component = 1): DatagramPath {
  return selectedPathOf(agent, component);
}

/** A selected pair as the media layer names a path. */
export function pathInfoOfPair(p: PairView | undefined): PathInfo | null {
  return pathInfoOf(p);
}

/** Every path change of `component` opens a new epoch of the stream (none: consent lost, no fallback). */
export function followIcePath(agent: IceAgent, session: MediaSession, component = 1): Disposable {
  return followSelectedPair(agent, session, component);
}

/**
 * main/api's flat figures of one interval (MediaStatsView), computed from main/media's counts:
 * the entry keeps both, so the report reads the counts (bursts, reorder, windows) and the UI reads
 * the flat figures.
 */
export function flatMediaFigures(s: MediaIntervalStats): {
  packetsSent: number;
  packetsReceived?: number;
  lossPct?: number;
  jitterMs?: number;
  rttMs?: number;
  mos?: number;
  byEpoch?: Array<{ epoch: number; packetsExpected: number; packetsReceived: number; lossPct?: number; jitterMs?: number; mos?: number }>;
} {
  const r = s.received;
  const measured = r !== undefined && r.expected > 0;
  const rtt = s.rtt.count > 0 ? (s.rtt.meanMs ?? s.rtt.lastMs) : undefined;
  // Each part under our own epoch on the pair it arrived on (the two ends may number their moves
  // differently, so two of the peer's epochs can be one of ours: their counts add up; jitter and
  // MOS are the larger part's). The api bounds the split at 64: more keeps the latest.
  type Part = { epoch: number; packetsExpected: number; packetsReceived: number; lost: number; jitterMs?: number; mos?: number };
  const merged = new Map<number, Part>();
  for (const p of s.receivedEpochs ?? []) {
    const epoch = p.localEpoch ?? p.epoch;
    const prev = merged.get(epoch);
    const bigger = !prev || p.received > prev.packetsReceived;
    const figures = {
      ...(p.received > 0 ? { jitterMs: p.jitterMs } : {}),
      ...(p.mos !== undefined && Number.isFinite(p.mos) ? { mos: p.mos } : {}),
    };
    merged.set(epoch, {
      ...(bigger ? figures : { ...(prev.jitterMs !== undefined ? { jitterMs: prev.jitterMs } : {}), ...(prev.mos !== undefined ? { mos: prev.mos } : {}) }),
      epoch,
      packetsExpected: (prev?.packetsExpected ?? 0) + Math.max(0, p.expected),
      packetsReceived: (prev?.packetsReceived ?? 0) + p.received,
      lost: (prev?.lost ?? 0) + p.lost,
    });
  }
  const byEpoch = [...merged.values()].slice(-64).map(({ lost, ...p }) => ({
    ...p,
    ...(p.packetsExpected > 0 ? { lossPct: Math.min(100, (100 * Math.max(0, lost)) / p.packetsExpected) } : {}),
  }));
  return {
    packetsSent: s.sent.packets,
    ...(r ? { packetsReceived: r.received } : {}),
    ...(measured ? { lossPct: Math.min(100, (100 * Math.max(0, r.lost)) / r.expected), jitterMs: r.jitterMs } : {}),
    ...(rtt !== undefined && Number.isFinite(rtt) ? { rttMs: rtt } : {}),
    ...(s.mos !== undefined && Number.isFinite(s.mos) ? { mos: s.mos } : {}),
    ...(byEpoch.length ? { byEpoch } : {}),
  };
}

/**
 * A media event as the Timeline keeps it: media.stats gains the flat figures. One-way delay comes
 * from the probes' send times, which mean something only when both ends read one clock (the lab in
 * one process); otherwise it is left out, so it reads "not measured" rather than a clock offset.
 */
export function mediaTimelineEntry(e: MediaEvent, sharedClock: boolean): Record<string, unknown> & { type: string; at: number } {
  if (e.type !== 'media.stats') return { ...e };
  const local = <T extends { readonly oneWayDelay?: unknown }>(r: T): T => (!sharedClock && r.oneWayDelay ? (({ oneWayDelay: _drop, ...rest }) => rest as T)(r) : r);
  const received = e.stats.received ? local(e.stats.received) : undefined;
  const receivedEpochs = e.stats.receivedEpochs?.map(local);
  return { ...e, stats: { ...e.stats, ...(received ? { received } : {}), ...(receivedEpochs ? { receivedEpochs } : {}), ...flatMediaFigures(e.stats) } };
}
