import { MediapathError } from '../common/errors';
import { timestampDelta } from './jitter';

/**
 * An emulated playout buffer: it plays nothing, it only decides, for each packet as it arrives,
 * whether a real receiver would have played it or thrown it away, so that the discard rate of
 * RFC 3611 §4.7.1 and the jitter buffer fields of §4.7.7 can be reported.
 *
 * - fixed: playout time = RTP time + a constant offset set by the first packet + `delayMs`.
 * - adaptive: the delay follows the network: target = (mean transit − minimum transit over a
 *   window) + `jitterFactor` × jitter, clamped to [minDelayMs, maxDelayMs], measured above the
 *   fastest recent packet. It adapts per packet (as a time-stretching buffer would), using only
 *   what it knew before the packet arrived.
 * A packet later than its playout time is discarded late; one earlier than `capacityMs` ahead
 * of its playout time would overflow the buffer and is discarded early (no limit by default).
 */
export type JitterBufferConfig =
  | { readonly mode: 'fixed'; readonly delayMs: number; readonly capacityMs?: number }
  | {
      readonly mode: 'adaptive';
      readonly minDelayMs: number;
      readonly maxDelayMs: number;
      /** Multiplier of the jitter estimate in the target delay (default 3). */
      readonly jitterFactor?: number;
      /** Packets over which the minimum transit is taken (default 500, 10 s at 20 ms). */
      readonly windowPackets?: number;
      readonly capacityMs?: number;
    };

export const DEFAULT_JITTER_BUFFER: JitterBufferConfig = { mode: 'adaptive', minDelayMs: 20, maxDelayMs: 400 };

export type PlayoutVerdict = 'played' | 'late' | 'early';

export class JitterBufferEmulator {
  private refTs = 0;
  private refExt = 0;
  private started = false;
  private offsetMs = 0;
  private index = 0;
  // adaptive state: the window's minimum transit as a monotonic deque (packet index, transit) in
  // a ring that grows by doubling, up to windowPackets + 1 slots, which it never outgrows (see
  // offerAdaptive); a steady path keeps it a few entries long
  private dqIndex = new Float64Array(16);
  private dqTransit = new Float64Array(16);
  private dqHead = 0;
  private dqLength = 0;
  private meanTransit = 0;
  private prevTransit = 0;
  private jitterMs = 0;
  private targetMs: number;
  private intervalMaxMs: number;
  private allMaxMs: number;

  constructor(
    readonly config: JitterBufferConfig,
    private readonly clockRate: number,
  ) {
    if (config.mode === 'fixed') {
      if (!(config.delayMs >= 0)) throw new MediapathError('INVALID_ARGUMENT', `jitter buffer delay ${config.delayMs}`, { layer: 'media' });
      this.targetMs = config.delayMs;
    } else {
      if (!(config.minDelayMs >= 0) || !(config.maxDelayMs >= config.minDelayMs)) {
        throw new MediapathError('INVALID_ARGUMENT', `adaptive jitter buffer range ${config.minDelayMs}–${config.maxDelayMs}`, { layer: 'media' });
      }
      this.targetMs = config.minDelayMs;
    }
    const window = config.mode === 'adaptive' ? (config.windowPackets ?? 500) : 1;
    if (!Number.isInteger(window) || window < 1 || window > 1_000_000) {
      throw new MediapathError('INVALID_ARGUMENT', `jitter buffer window ${window} packets`, { layer: 'media' });
    }
    this.intervalMaxMs = this.targetMs;
    this.allMaxMs = this.targetMs;
  }

  get adaptive(): boolean {
    return this.config.mode === 'adaptive';
  }

  /** The delay the buffer currently aims at (RFC 3611 §4.7.7 JB nominal). */
  get nominalDelayMs(): number {
    return this.targetMs;
  }

  /** The ceiling the buffer may grow to (RFC 3611 §4.7.7 JB abs max). */
  get absMaxDelayMs(): number {
    return this.config.mode === 'fixed' ? this.config.delayMs : this.config.maxDelayMs;
  }

  /** Largest delay used since the start. */
  get maxDelayMs(): number {
    return this.allMaxMs;
  }

  /** Largest delay used since the last call (RFC 3611 §4.7.7 JB maximum, per interval). */
  takeIntervalMaxDelayMs(): number {
    const m = this.intervalMaxMs;
    this.intervalMaxMs = this.targetMs;
    return m;
  }

  /** The decision for one arriving packet. Duplicates should not be offered. */
  offer(rtpTimestamp: number, arrivalMs: number): PlayoutVerdict {
    rtpTimestamp >>>= 0;
    let ts: number;
    if (!this.started) {
      this.started = true;
      this.refTs = rtpTimestamp;
      this.refExt = 0;
      ts = 0;
    } else {
      // Unwrap against the newest timestamp seen, so a late packet never moves the reference back.
      const d = timestampDelta(rtpTimestamp, this.refTs);
      ts = this.refExt + d;
      if (d > 0) {
        this.refTs = rtpTimestamp;
        this.refExt = ts;
      }
    }
    const mediaMs = (ts * 1000) / this.clockRate;
    const transit = arrivalMs - mediaMs;
    const first = this.index === 0;
    this.index++;
    return this.config.mode === 'fixed' ? this.offerFixed(transit, first) : this.offerAdaptive(transit, first, this.config);
  }

  private offerFixed(transit: number, first: boolean): PlayoutVerdict {
    if (first) this.offsetMs = transit;
    return this.verdict(transit - this.offsetMs, this.targetMs);
  }

  private offerAdaptive(
    transit: number,
    first: boolean,
    cfg: Extract<JitterBufferConfig, { mode: 'adaptive' }>,
  ): PlayoutVerdict {
    let v: PlayoutVerdict = 'played';
    if (first) {
      this.meanTransit = transit;
      this.prevTransit = transit;
    } else {
      const minTransit = this.dqTransit[this.dqHead]!;
      const spread = this.meanTransit - minTransit;
      const target = spread + (cfg.jitterFactor ?? 3) * this.jitterMs;
      this.targetMs = Math.min(cfg.maxDelayMs, Math.max(cfg.minDelayMs, target));
      if (this.targetMs > this.intervalMaxMs) this.intervalMaxMs = this.targetMs;
      if (this.targetMs > this.allMaxMs) this.allMaxMs = this.targetMs;
      v = this.verdict(transit - minTransit, this.targetMs);
      this.jitterMs += (Math.abs(transit - this.prevTransit) - this.jitterMs) / 16;
      this.meanTransit += (transit - this.meanTransit) / 16;
      this.prevTransit = transit;
    }
    // Indices in the deque rise strictly and all lie in (i − window, i] after the push and trim,
    // so it holds at most window + 1 entries at any moment (the ring grows at most that far).
    const window = cfg.windowPackets ?? 500;
    const i = this.index;
    let cap = this.dqIndex.length;
    while (this.dqLength > 0 && this.dqTransit[(this.dqHead + this.dqLength - 1) % cap]! >= transit) this.dqLength--;
    if (this.dqLength === cap) cap = this.growDeque();
    const at = (this.dqHead + this.dqLength) % cap;
    this.dqIndex[at] = i;
    this.dqTransit[at] = transit;
    this.dqLength++;
    while (this.dqLength > 1 && this.dqIndex[this.dqHead]! <= i - window) {
      this.dqHead = (this.dqHead + 1) % cap;
      this.dqLength--;
    }
    return v;
  }

  /** Doubles the ring, its entries moved to the front in order; returns the new size. */
  private growDeque(): number {
    const cap = this.dqIndex.length;
    const index = new Float64Array(cap * 2);
    const transit = new Float64Array(cap * 2);
    for (let k = 0; k < this.dqLength; k++) {
      index[k] = this.dqIndex[(this.dqHead + k) % cap]!;
      transit[k] = this.dqTransit[(this.dqHead + k) % cap]!;
    }
    this.dqIndex = index;
    this.dqTransit = transit;
    this.dqHead = 0;
    return cap * 2;
  }

  /** `lateness` is how far after the fastest reference the packet came; the buffer holds `delay`. */
  private verdict(lateness: number, delay: number): PlayoutVerdict {
    if (lateness > delay) return 'late';
    const cap = this.config.capacityMs;
    if (cap !== undefined && delay - lateness > cap) return 'early';
    return 'played';
  }

  /** Forgets the stream (a sender restart changes the timestamp base). */
  reset(): void {
    this.started = false;
    this.index = 0;
    this.dqHead = 0;
    this.dqLength = 0;
    this.jitterMs = 0;
    this.targetMs = this.config.mode === 'fixed' ? this.config.delayMs : this.config.minDelayMs;
  }
}
