import { PROBE_HEADER_BYTES } from '../probe-payload';

/**
 * The sender's path epoch, carried in the probe payload's reserved bytes (probe-payload.ts, bytes
 * 5..7; a version-1 decoder ignores them): byte 5 is the epoch number modulo 256, bytes 6..7 the
 * packet's index inside its epoch modulo 65536. With them a receiver attributes every packet to
 * the path it was sent on, however late it arrives, and learns where an epoch began even when its
 * first packets were lost (extended sequence − index). Epoch 0 with index = extended sequence is
 * what a sender that never changes path writes.
 */
export interface ProbeEpoch {
  readonly epoch: number;
  readonly index: number;
}

const EPOCH_OFFSET = 5;
const INDEX_OFFSET = 6;

/** Writes the epoch fields into an encoded probe payload (in place). */
export function writeProbeEpoch(payload: Uint8Array, e: ProbeEpoch): void {
  if (payload.length < PROBE_HEADER_BYTES) return;
  payload[EPOCH_OFFSET] = e.epoch & 0xff;
  payload[INDEX_OFFSET] = (e.index >>> 8) & 0xff;
  payload[INDEX_OFFSET + 1] = e.index & 0xff;
}

/** The wire fields (epoch modulo 256, index modulo 65536) of a probe payload. */
export function readProbeEpoch(payload: Uint8Array): ProbeEpoch | undefined {
  if (payload.length < PROBE_HEADER_BYTES) return undefined;
  return { epoch: payload[EPOCH_OFFSET]!, index: (payload[INDEX_OFFSET]! << 8) | payload[INDEX_OFFSET + 1]! };
}

/** The full epoch number nearest to `reference` whose low 8 bits are `wire`. */
export function unwrapEpoch(wire: number, reference: number): number {
  const base = reference - (reference & 0xff);
  let best = base + wire;
  for (const c of [best - 256, best + 256]) if (c >= 0 && Math.abs(c - reference) < Math.abs(best - reference)) best = c;
  return Math.max(0, best);
}

/** The extended sequence number (probe numbering) of the first packet of the epoch. */
export function epochStart(extSeq: number, index: number): number {
  // The index wraps at 2^16 (22 min of 20 ms packets): an epoch whose first arrival comes later
  // than that is taken to start at the most recent consistent point.
  return Math.max(0, extSeq - index);
}
