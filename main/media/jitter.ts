import { MediapathError } from '../common/errors';

/** The signed difference of two 32-bit RTP timestamps, so wrap-around does not look like a jump. */
export function timestampDelta(a: number, b: number): number {
  return ((a - b) | 0);
}

/**
 * RFC 3550 §A.8 interarrival jitter: J += (|D| − J) / 16, where D is the change in transit time
 * (arrival minus RTP timestamp) between consecutive arrivals, in timestamp units. Kept in floating
 * point (A.8's integer form only avoids division); reports carry the floor.
 */
export class InterarrivalJitter {
  private prevArrivalTs: number | undefined;
  private prevTimestamp = 0;
  private j = 0;

  constructor(readonly clockRate: number) {}

  /** `arrivalMs` on the receiver's clock; `rtpTimestamp` as carried (32 bits). */
  update(arrivalMs: number, rtpTimestamp: number): void {
    const arrivalTs = (arrivalMs * this.clockRate) / 1000;
    if (this.prevArrivalTs !== undefined) {
      const d = arrivalTs - this.prevArrivalTs - timestampDelta(rtpTimestamp, this.prevTimestamp);
      this.j += (Math.abs(d) - this.j) / 16;
    }
    this.prevArrivalTs = arrivalTs;
    this.prevTimestamp = rtpTimestamp >>> 0;
  }

  /** Jitter in timestamp units, as the report block field wants it (RFC 3550 §6.4.1). */
  get timestampUnits(): number {
    return this.j;
  }

  get ms(): number {
    return (this.j * 1000) / this.clockRate;
  }

  reset(): void {
    this.prevArrivalTs = undefined;
    this.j = 0;
  }
}

export interface JitterTruth {
  /** Final estimate, in timestamp units and in ms. */
  readonly jitterTs: number;
  readonly jitterMs: number;
  /** Largest value the estimate took along the way. */
  readonly maxJitterMs: number;
}

/**
 * The RFC 3550 §A.8 estimator computed from ground truth: packet i left at `sendTimesMs[i]` and
 * arrived at `arrivalTimesMs[i]`, listed in arrival order (lost packets absent). Transit is
 * arrival − send, so the result is the jitter a receiver would see if RTP timestamps were exact
 * send times. The accuracy tests compare the receiver's figure with this one.
 */
export function jitterFromTruth(sendTimesMs: readonly number[], arrivalTimesMs: readonly number[], clockRate: number): JitterTruth {
  if (sendTimesMs.length !== arrivalTimesMs.length) {
    throw new MediapathError('INVALID_ARGUMENT', `jitterFromTruth: ${sendTimesMs.length} send times but ${arrivalTimesMs.length} arrivals`, {
      layer: 'media',
    });
  }
  if (!(clockRate > 0)) throw new MediapathError('INVALID_ARGUMENT', `jitterFromTruth: clock rate ${clockRate}`, { layer: 'media' });
  let j = 0;
  let max = 0;
  for (let i = 1; i < sendTimesMs.length; i++) {
    const transitNow = arrivalTimesMs[i]! - sendTimesMs[i]!;
    const transitPrev = arrivalTimesMs[i - 1]! - sendTimesMs[i - 1]!;
    const d = ((transitNow - transitPrev) * clockRate) / 1000;
    j += (Math.abs(d) - j) / 16;
    if (j > max) max = j;
  }
  return { jitterTs: j, jitterMs: (j * 1000) / clockRate, maxJitterMs: (max * 1000) / clockRate };
}
