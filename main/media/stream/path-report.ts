import { CODECS } from '../codecs';
import type { DelaySource, MediaSessionReport, PathInfo } from './media-session';
import { streamQuality } from './quality';

/** One direction of a call on one path, from the sender's epoch and the receiver's figures for it. */
export interface PathEpochReport {
  readonly epoch: number;
  readonly path: PathInfo | null;
  /** Why the stream moved onto this path (`start`, `first-success`, `consent-lost`…). */
  readonly reason: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly lossPct: number;
  readonly discardPct: number;
  readonly jitterMs: number;
  readonly networkJitterMs?: number;
  /** Mean round trip the sender measured while on this path. */
  readonly rttMs?: number;
  readonly oneWayDelayMs?: number;
  readonly mos?: number;
  /** No packet of this epoch reached the receiver. */
  readonly unseen: boolean;
}

/**
 * Joins what a sender knows about its epochs (path, time span, packets, round trip) with what the
 * receiver measured of each (loss, jitter): the per-path table of one direction of a call. Both
 * reports must be of the same stream (the receiver's source is the sender's SSRC).
 */
export function joinEpochs(sender: MediaSessionReport, receiver: MediaSessionReport, delay: DelaySource = 'rtt'): PathEpochReport[] {
  const codec = CODECS[sender.codec];
  const rx = receiver.received?.ssrc === sender.ssrc ? receiver.receiveEpochs : [];
  return sender.sendEpochs.map((se) => {
    const r = rx.find((x) => !x.unseen && x.epoch === se.epoch) ?? rx.find((x) => x.unseen && x.epoch <= se.epoch && se.epoch < x.epoch + x.epochs);
    const base = {
      epoch: se.epoch,
      path: se.path,
      reason: se.reason,
      startMs: se.startMs,
      endMs: se.endMs,
      durationMs: se.durationMs,
      sent: se.packets,
      ...(se.rtt.meanMs !== undefined ? { rttMs: se.rtt.meanMs } : {}),
    };
    if (!r || r.unseen) {
      return { ...base, received: 0, lost: se.packets, lossPct: se.packets > 0 ? 100 : 0, discardPct: 0, jitterMs: 0, unseen: se.packets > 0 };
    }
    const f = r.figures;
    const networkDelayMs = delay === 'probe' && f.oneWayDelayMs !== undefined ? f.oneWayDelayMs : se.rtt.meanMs !== undefined ? se.rtt.meanMs / 2 : (f.oneWayDelayMs ?? 0);
    const q = f.expected > 0 ? streamQuality(codec, sender.ptimeMs, { lossPct: f.lossPct, discardPct: f.discardPct, burstR: f.burstR, networkDelayMs, jitterBufferMs: f.jitterBufferMs }) : undefined;
    return {
      ...base,
      received: f.received,
      lost: f.lost,
      lossPct: f.lossPct,
      discardPct: f.discardPct,
      jitterMs: f.jitterMs,
      ...(f.networkJitterMs !== undefined ? { networkJitterMs: f.networkJitterMs } : {}),
      ...(f.oneWayDelayMs !== undefined ? { oneWayDelayMs: f.oneWayDelayMs } : {}),
      ...(q ? { mos: q.mos } : {}),
      unseen: false,
    };
  });
}
