import { MediapathError } from '../common/errors';
import type { RandomSource } from '../common/random';

/**
 * An inclusive SSRC range. Lync/SfB announce one per media line (`a=x-ssrc-range:<a>-<b>`,
 * [MS-SDPEXT] 3.1.5.x, see PROTOCOLS.md §2) and expect the sender's SSRCs inside it.
 */
export interface SsrcRange {
  readonly min: number;
  readonly max: number;
}

const U32_SPAN = 0x1_0000_0000;

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * A random SSRC (RFC 3550 §8.1: chosen at random so two sources are unlikely to collide), drawn
 * uniformly from `range` when one was negotiated, avoiding the SSRCs in `avoid` (ours and those
 * already seen, for the collision rule of RFC 3550 §8.2).
 */
export function randomSsrc(random: RandomSource, range?: SsrcRange, avoid: ReadonlySet<number> = new Set()): number {
  const min = range?.min ?? 0;
  const max = range?.max ?? 0xffffffff;
  if (!isU32(min) || !isU32(max) || min > max) {
    throw new MediapathError('INVALID_ARGUMENT', `SSRC range ${min}-${max} is not an ordered pair of 32-bit values`, { layer: 'media' });
  }
  const span = max - min + 1;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const v = min + (span === U32_SPAN ? randomU32(random) : random.int(span));
    if (!avoid.has(v)) return v;
  }
  // A tiny range crowded by `avoid`: scan from a random start instead of drawing forever.
  const start = random.int(span);
  for (let i = 0; i < span; i++) {
    const v = min + ((start + i) % span);
    if (!avoid.has(v)) return v;
  }
  throw new MediapathError('INVALID_ARGUMENT', `SSRC range ${min}-${max} has no free value`, { layer: 'media' });
}

function randomU32(random: RandomSource): number {
  const b = random.bytes(4);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function ssrcInRange(ssrc: number, range: SsrcRange): boolean {
  return ssrc >= range.min && ssrc <= range.max;
}
