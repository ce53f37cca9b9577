import type { Clock } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import { StateMachine } from '../../common/fsm';
import { createLogger } from '../../common/logger';
import type { RandomSource } from '../../common/random';
import type { CodecChoice, CodecName } from '../codecs';
import { classifyDatagram } from '../demux';
import { burstRatio } from '../emodel';
import type { JitterBufferConfig } from '../jitter-buffer';
import { msToCompact, ntpFromUnixMs, type NtpTime } from '../ntp';
import type { IntervalStats } from '../receiver-stats';
import { decodeRtcpCompound, encodeRtcpCompound, SDES, type ReportBlock, type RtcpPacket } from '../rtcp';
import type { VoipMetrics } from '../rtcp-xr';
import { decodeRtp } from '../rtp';
import { RttTracker, type RttSummary } from '../rtt';
import type { SsrcRange } from '../ssrc';
import { buildVoipMetrics } from '../voip-metrics';
import type { DatagramPath } from './datagram-path';
import { DeviationHistogram, schedulerFor, type PacedTask, type PacingScheduler, type SendJitterStats } from './pacer';
import { streamQuality, type StreamFigures, type StreamQuality } from './quality';
import { RtpSender, type BuiltPacket } from './rtp-sender';
import { StreamReceiver, type EpochInterval, type ReceiveEpochReport } from './stream-receiver';

const log = createLogger('media/session');

/** The path a stream is on, as the layer that chose it names it (an ICE pair, a fixed socket). */
export interface PathInfo {
  /** Stable id (an ICE pair id, `host:127.0.0.1:4000→…`). */
  readonly id: string;
  /** `host`, `srflx`, `relay`, `socket`… */
  readonly kind: string;
  /** For people: `relay/udp 203.0.113.10:50000 → host 10.1.0.12:4000`. */
  readonly label: string;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly';

/** Where the E-model's network delay comes from. `probe` needs a clock shared by both ends (lab). */
export type DelaySource = 'rtt' | 'probe';

export interface MediaSessionOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** RTP goes here; RTCP too unless `rtcp` is given (rtcp-mux, RFC 5761). */
  readonly rtp: DatagramPath;
  /** RTCP on its own path (ICE component 2, or the next port). */
  readonly rtcp?: DatagramPath;
  /** Default: the process's scheduler for `clock` (schedulerFor). */
  readonly scheduler?: PacingScheduler;
  readonly direction?: MediaDirection;
  readonly codec?: CodecName;
  readonly ptimeMs?: number;
  readonly payloadType?: number;
  readonly ssrc?: number;
  readonly ssrcRange?: SsrcRange;
  /** RFC 3550 §6.5.1 CNAME; default a random one (RFC 7022 style). */
  readonly cname?: string;
  /** RTCP report interval (RFC 3550 §6.2); default 5000 ms, tests use 1000. */
  readonly rtcpIntervalMs?: number;
  /** Randomise each interval over [0.5, 1.5] × the interval (RFC 3550 §6.3.1). Default true. */
  readonly rtcpRandomize?: boolean;
  /** Send the RFC 3611 VoIP Metrics block (BT=7) about the stream we receive. Default true. */
  readonly xr?: boolean;
  /** How often `media.stats` is emitted; default the RTCP interval. */
  readonly statsIntervalMs?: number;
  readonly jitterBuffer?: JitterBufferConfig;
  readonly gmin?: number;
  readonly delaySource?: DelaySource;
  /**
   * A frame due longer ago than this is given up rather than sent late (counted as skipped): a
   * process that fell behind real time catches up like an audio device would, by dropping
   * frames, not by bursting a backlog. Default 200 ms.
   */
  readonly maxLateMs?: number;
  /** The path of the first epoch (default none: set it with changePath). */
  readonly path?: PathInfo | null;
  /** Clock time of the first packet (default: now at start()). */
  readonly startAtMs?: number;
  readonly onEvent?: (e: MediaEvent) => void;
}

export interface MediaIntervalStats {
  readonly startMs: number;
  readonly endMs: number;
  readonly sent: { readonly packets: number; readonly heldBack: number };
  /** What we received in the interval (absent before the peer's first packet). */
  readonly received?: IntervalStats;
  /**
   * The same split by the peer's path epochs (only those with something new): the loss of
   * packets the peer sent on a path it has left is learnt when its next epoch begins, and belongs
   * to the epoch it was sent in, not to the interval's current path. Empty when the peer's
   * packets carry no epochs (not our probe).
   */
  readonly receivedEpochs?: readonly ReceivedEpochInterval[];
  readonly rtt: RttSummary;
  readonly mos?: number;
  /** How far from their due times this stream's packets left, over the interval. */
  readonly sendJitter: SendJitterStats;
}

/** One peer path epoch's part of an interval, with its MOS. */
export interface ReceivedEpochInterval extends EpochInterval {
  readonly mos?: number;
  /** Our own epoch on the path (pair) the part arrived on (`via`), when one of ours was on it. */
  readonly localEpoch?: number;
}

export type MediaEvent =
  | { readonly type: 'media.stats'; readonly at: number; readonly ssrc: number; readonly epoch: number; readonly path: PathInfo | null; readonly stats: MediaIntervalStats }
  | { readonly type: 'media.epoch'; readonly at: number; readonly ssrc: number; readonly epoch: number; readonly from: PathInfo | null; readonly to: PathInfo | null; readonly reason: string }
  | { readonly type: 'media.bye'; readonly at: number; readonly ssrc: number; readonly reason?: string }
  | { readonly type: 'media.state'; readonly at: number; readonly ssrc: number; readonly from: MediaSessionState; readonly to: MediaSessionState; readonly reason: string };

export type MediaSessionState = 'new' | 'running' | 'stopped' | 'closed';

const TRANSITIONS: Readonly<Record<MediaSessionState, readonly MediaSessionState[]>> = {
  new: ['running', 'closed'],
  running: ['stopped', 'closed'],
  stopped: ['closed'],
  closed: [],
};

export interface RttSample {
  readonly atMs: number;
  readonly epoch: number;
  /** The LSR the peer echoed (middle 32 bits of our SR's NTP time) and its DLSR. */
  readonly lsr: number;
  readonly dlsr: number;
  readonly rttMs: number;
}

export interface SendEpochReport {
  readonly epoch: number;
  readonly path: PathInfo | null;
  readonly reason: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  /** Probe numbering of the epoch's first packet, and packets sent in it. */
  readonly firstExtSeq: number;
  readonly packets: number;
  readonly heldBack: number;
  readonly rtt: RttSummary;
}

export interface MediaSessionReport {
  readonly ssrc: number;
  readonly cname: string;
  readonly codec: CodecName;
  readonly payloadType: number;
  readonly ptimeMs: number;
  readonly direction: MediaDirection;
  readonly state: MediaSessionState;
  readonly startedAtMs?: number;
  readonly stoppedAtMs?: number;
  readonly sent: { readonly packets: number; readonly octets: number; readonly heldBack: number; readonly skipped: number; readonly rtcp: number };
  readonly received?: {
    readonly ssrc: number;
    readonly cname?: string;
    readonly bye: boolean;
    readonly figures: StreamFigures;
    readonly quality: StreamQuality;
    readonly foreignPackets: number;
  };
  /** Round trips measured from the peer's report blocks (RFC 3550 §6.4.1). */
  readonly rtt: RttSummary;
  readonly rttSamples: readonly RttSample[];
  /** What the peer last said about our stream. */
  readonly remote: { readonly reportBlock?: ReportBlock; readonly voipMetrics?: VoipMetrics };
  readonly sendEpochs: readonly SendEpochReport[];
  readonly receiveEpochs: readonly ReceiveEpochReport[];
  readonly invalidDatagrams: number;
  /** The process scheduler's send deviation since it started (every stream it drives). */
  readonly sendJitter: SendJitterStats;
}

interface SendEpoch {
  readonly epoch: number;
  readonly path: PathInfo | null;
  readonly reason: string;
  readonly startMs: number;
  endMs: number | undefined;
  readonly firstExtSeq: number;
  readonly heldBackAtStart: number;
  readonly rtt: RttTracker;
}

const MAX_RTT_SAMPLES = 10_000;
const CNAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

interface SessionEvents {
  event: MediaEvent;
}

/**
 * One end of a synthetic audio call: an RTP stream out (paced by the process's one scheduler),
 * the peer's stream in (ReceiverStats and the probe-based extras), compound RTCP both ways (SR or
 * RR, SDES CNAME, XR VoIP Metrics; BYE at the end) on its own path or muxed, round trips from
 * LSR/DLSR, `media.stats` every interval, and per-path epochs: `changePath` closes the figures of
 * the path the stream was on and opens a new epoch, and every packet carries its epoch so the peer
 * can split what it received the same way.
 */
export class MediaSession {
  readonly ssrc: number;
  readonly cname: string;
  private readonly opts: MediaSessionOptions;
  private readonly clock: Clock;
  private readonly scheduler: PacingScheduler;
  private readonly sender: RtpSender;
  private readonly receiver: StreamReceiver;
  private readonly fsm: StateMachine<MediaSessionState>;
  private readonly events = new TypedEmitter<SessionEvents>((e) => log.warn({ err: e }, 'media event listener threw'));
  private readonly subs: Disposable[] = [];
  private readonly tasks: PacedTask[] = [];
  private readonly rtt = new RttTracker();
  private readonly rttSamples: RttSample[] = [];
  private readonly epochs: SendEpoch[] = [];
  private readonly ntpOriginMs: number;
  private readonly direction: MediaDirection;
  private readonly rtcpIntervalMs: number;
  private readonly statsIntervalMs: number;
  private remoteCname: string | undefined;
  private remoteBye = false;
  private lastRemoteBlock: ReportBlock | undefined;
  private lastRemoteXr: VoipMetrics | undefined;
  private rtcpSent = 0;
  private invalid = 0;
  private startedAt: number | undefined;
  private stoppedAt: number | undefined;
  private statsFrom = 0;
  private statsPacketsAt = 0;
  private statsHeldAt = 0;
  // This stream's own send deviation per stats interval (coarse buckets: one per session).
  private readonly pacing = new DeviationHistogram(0.05, 400);

  constructor(opts: MediaSessionOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.scheduler = opts.scheduler ?? schedulerFor(opts.clock);
    this.direction = opts.direction ?? 'sendrecv';
    this.rtcpIntervalMs = opts.rtcpIntervalMs ?? 5000;
    this.statsIntervalMs = opts.statsIntervalMs ?? this.rtcpIntervalMs;
    if (!(this.rtcpIntervalMs >= 10) || !(this.statsIntervalMs >= 10)) {
      throw new MediapathError('INVALID_ARGUMENT', `RTCP interval ${this.rtcpIntervalMs} ms / stats interval ${this.statsIntervalMs} ms (≥ 10)`, { layer: 'media' });
    }
    this.sender = new RtpSender({
      random: opts.random,
      ...(opts.codec ? { codec: opts.codec } : {}),
      ...(opts.ptimeMs !== undefined ? { ptimeMs: opts.ptimeMs } : {}),
      ...(opts.payloadType !== undefined ? { payloadType: opts.payloadType } : {}),
      ...(opts.ssrc !== undefined ? { ssrc: opts.ssrc } : {}),
      ...(opts.ssrcRange ? { ssrcRange: opts.ssrcRange } : {}),
    });
    this.ssrc = this.sender.ssrc;
    this.cname = opts.cname ?? randomCname(opts.random);
    this.receiver = new StreamReceiver({
      clockRate: this.sender.clockRate,
      ptimeMs: this.sender.ptimeMs,
      ...(opts.jitterBuffer ? { jitterBuffer: opts.jitterBuffer } : {}),
      ...(opts.gmin !== undefined ? { gmin: opts.gmin } : {}),
    });
    // NTP time for SRs: the wall clock at creation plus the monotonic clock since, so that
    // LSR/DLSR arithmetic runs on one smooth, sub-millisecond time line.
    this.ntpOriginMs = opts.clock.wallNow() - opts.clock.now();
    this.fsm = new StateMachine<MediaSessionState>('media session', 'new', TRANSITIONS, () => this.clock.now(), (t) => this.emit({ type: 'media.state', ssrc: this.ssrc, ...t }), 'media');
    this.openEpoch(opts.path ?? null, 'start', this.clock.now());
    if (opts.onEvent) this.subs.push(this.events.on('event', opts.onEvent));
    this.subs.push(opts.rtp.onDatagram((b, via) => this.onDatagram(b, via)));
    if (opts.rtcp) this.subs.push(opts.rtcp.onDatagram((b) => this.onDatagram(b)));
  }

  get state(): MediaSessionState {
    return this.fsm.state;
  }

  get currentEpoch(): number {
    return this.sender.currentEpoch;
  }

  /** The stream's RTP numbering origin (RFC 3550 §5.1 random initial values), for truth analysis. */
  get rtpOrigin(): { readonly initialSequence: number; readonly initialTimestamp: number; readonly clockRate: number; readonly ptimeMs: number } {
    const s = this.sender;
    return { initialSequence: s.initialSequence, initialTimestamp: s.initialTimestamp, clockRate: s.clockRate, ptimeMs: s.ptimeMs };
  }

  /** The negotiated codec and packetization. */
  get codecChoice(): CodecChoice {
    return this.sender.choice;
  }

  get currentPath(): PathInfo | null {
    return this.epochs[this.epochs.length - 1]!.path;
  }

  onEvent(cb: (e: MediaEvent) => void): Disposable {
    return this.events.on('event', cb);
  }

  /** Starts sending (unless recvonly), RTCP and stats ticks, all on the shared scheduler. */
  start(): void {
    this.fsm.transition('running', 'started');
    const now = this.clock.now();
    const origin = Math.max(now, this.opts.startAtMs ?? now);
    this.startedAt = origin;
    this.statsFrom = origin;
    this.sender.setOrigin(origin);
    const ptime = this.sender.ptimeMs;
    const maxLate = this.opts.maxLateMs ?? 200;
    if (this.direction !== 'recvonly') {
      this.tasks.push(
        this.scheduler.add(
          origin,
          (due, at) => {
            this.pacing.add(at - due);
            const behind = at - due > maxLate ? Math.floor((at - due) / ptime) : 0;
            if (behind > 0) this.sender.skip(behind);
            const slot = due + behind * ptime;
            this.sendFrame(Math.round((slot - origin) / ptime), at);
            return slot + ptime;
          },
          'media',
        ),
      );
    }
    // RFC 3550 §6.3.2: the first report after half an interval, randomised like the rest.
    this.tasks.push(
      this.scheduler.add(
        origin + this.rtcpDelay(0.5),
        (_due, at) => {
          this.sendRtcp(at, false);
          return at + this.rtcpDelay(1);
        },
        'control',
      ),
    );
    this.tasks.push(
      this.scheduler.add(
        origin + this.statsIntervalMs,
        (due, at) => {
          this.emitStats(at);
          return due + this.statsIntervalMs;
        },
        'control',
      ),
    );
  }

  /**
   * The stream moved to another path (an ICE path change): the current epoch ends now and a new
   * one starts; packets from now on carry the new epoch.
   */
  changePath(to: PathInfo | null, reason: string): void {
    if (this.fsm.is('closed')) return;
    const now = this.clock.now();
    const from = this.currentPath;
    this.closeEpoch(now);
    this.sender.nextEpoch();
    this.openEpoch(to, reason, now);
    this.emit({ type: 'media.epoch', at: now, ssrc: this.ssrc, epoch: this.sender.currentEpoch, from, to, reason });
  }

  /** Stops sending: a last interval of stats, then the final compound with BYE (RFC 3550 §6.6). */
  stop(reason = 'session ended'): void {
    if (!this.fsm.is('running')) return;
    const now = this.clock.now();
    for (const t of this.tasks.splice(0)) t.cancel();
    this.emitStats(now);
    this.sendRtcp(now, true, reason);
    this.stoppedAt = now;
    this.closeEpoch(now);
    this.fsm.transition('stopped', reason);
  }

  /** Stops (if running) and lets go of the paths; figures stay readable. */
  close(): void {
    if (this.fsm.is('closed')) return;
    this.stop();
    this.receiver.flush();
    for (const s of this.subs.splice(0)) s.dispose();
    this.fsm.transition('closed', 'closed');
    this.events.removeAll();
  }

  /** Everything measured so far (call after `close()` for settled end-of-stream figures). */
  report(): MediaSessionReport {
    const now = this.clock.now();
    const figures = this.receiver.figures();
    const rsrc = this.receiver.ssrc;
    return {
      ssrc: this.ssrc,
      cname: this.cname,
      codec: this.sender.choice.codec.name,
      payloadType: this.sender.choice.payloadType,
      ptimeMs: this.sender.ptimeMs,
      direction: this.direction,
      state: this.fsm.state,
      ...(this.startedAt !== undefined ? { startedAtMs: this.startedAt } : {}),
      ...(this.stoppedAt !== undefined ? { stoppedAtMs: this.stoppedAt } : {}),
      sent: { packets: this.sender.packets, octets: this.sender.octets, heldBack: this.sender.heldBack, skipped: this.sender.skipped, rtcp: this.rtcpSent },
      ...(figures && rsrc !== undefined
        ? {
            received: {
              ssrc: rsrc,
              ...(this.remoteCname !== undefined ? { cname: this.remoteCname } : {}),
              bye: this.remoteBye,
              figures,
              quality: this.quality(figures, this.rtt.totals()),
              foreignPackets: this.receiver.foreignPackets,
            },
          }
        : {}),
      rtt: this.rtt.totals(),
      rttSamples: [...this.rttSamples],
      remote: { ...(this.lastRemoteBlock ? { reportBlock: this.lastRemoteBlock } : {}), ...(this.lastRemoteXr ? { voipMetrics: this.lastRemoteXr } : {}) },
      sendEpochs: this.epochs.map((e) => this.epochReport(e, now)),
      receiveEpochs: this.receiver.epochReports(),
      invalidDatagrams: this.invalid,
      sendJitter: this.scheduler.sendJitter(),
    };
  }

  /** The E-model for figures received here, with the network delay this session is set to use. */
  quality(figures: StreamFigures, rtt: RttSummary): StreamQuality {
    const c = this.sender.choice;
    return streamQuality(c.codec, c.ptimeMs, {
      lossPct: figures.lossPct,
      discardPct: figures.discardPct,
      burstR: figures.burstR,
      networkDelayMs: this.networkDelay(figures.oneWayDelayMs, rtt.meanMs),
      jitterBufferMs: figures.jitterBufferMs,
    });
  }

  // ---- sending -----------------------------------------------------------------------------

  private sendFrame(frame: number, at: number): void {
    const p: BuiltPacket = this.sender.build(frame, at);
    if (this.opts.rtp.send(p.bytes) === false) this.sender.holdBack();
    else this.sender.commit(p);
  }

  private rtcpDelay(factor: number): number {
    const r = this.opts.rtcpRandomize === false ? 1 : 0.5 + this.opts.random.next();
    return factor * this.rtcpIntervalMs * r;
  }

  private ntpAt(ms: number): NtpTime {
    return ntpFromUnixMs(this.ntpOriginMs + ms);
  }

  private sendRtcp(now: number, bye: boolean, reason?: string): void {
    // The slow parts first (figures, the E-model for XR); the time-critical fields (SR NTP time,
    // DLSR) are stamped at the last moment, so our own computing never counts as round trip.
    const xr = this.voipMetricsBlock();
    const early = this.direction === 'sendonly' ? undefined : this.receiver.reportBlock(now);
    const t = this.clock.now();
    const block = early && early.lsr !== 0 && t > now ? { ...early, dlsr: Math.min(0xffffffff, early.dlsr + msToCompact(t - now)) } : early;
    const reports = block ? [block] : [];
    const packets: RtcpPacket[] = [];
    // RFC 3550 §6.4: an SR when we sent RTP since the last report (we always send unless recvonly).
    if (this.direction !== 'recvonly' && this.sender.packets > 0) {
      packets.push({
        type: 'sr',
        ssrc: this.ssrc,
        ntp: this.ntpAt(t),
        rtpTimestamp: this.sender.rtpTimestampAt(t),
        packetCount: this.sender.packets >>> 0,
        octetCount: this.sender.octets >>> 0,
        reports,
      });
    } else {
      packets.push({ type: 'rr', ssrc: this.ssrc, reports });
    }
    packets.push({ type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: SDES.CNAME, text: this.cname }] }] });
    if (xr) packets.push({ type: 'xr', ssrc: this.ssrc, blocks: [{ type: 'voip-metrics', ...xr }] });
    if (bye) packets.push({ type: 'bye', ssrcs: [this.ssrc], ...(reason ? { reason: reason.slice(0, 200) } : {}) });
    const bytes = encodeRtcpCompound(packets);
    const path = this.opts.rtcp ?? this.opts.rtp;
    if (path.send(bytes) !== false) this.rtcpSent++;
  }

  private voipMetricsBlock(): VoipMetrics | undefined {
    if (this.opts.xr === false || this.direction === 'sendonly') return undefined;
    const stats = this.receiver.stats;
    const figures = this.receiver.figures();
    if (!stats?.valid || !figures || this.receiver.ssrc === undefined) return undefined;
    const rtt = this.rtt.totals();
    const q = this.quality(figures, rtt);
    const c = this.sender.choice;
    return buildVoipMetrics({
      ssrc: this.receiver.ssrc,
      figures: stats.totals(),
      gmin: this.opts.gmin ?? 16,
      ...(rtt.lastMs !== undefined ? { roundTripMs: rtt.lastMs } : {}),
      oneWayDelayMs: q.mouthToEarMs,
      endSystemDelayMs: figures.jitterBufferMs + c.ptimeMs,
      codec: c.codec.emodel,
      burstR: figures.burstR,
    }).block;
  }

  // ---- receiving ---------------------------------------------------------------------------

  private onDatagram(b: Uint8Array, via?: string): void {
    if (this.fsm.state === 'closed') return;
    const kind = classifyDatagram(b);
    const now = this.clock.now();
    if (kind === 'rtp') {
      if (this.direction === 'sendonly') return;
      const p = decodeRtp(b);
      if (!p.ok) {
        this.invalid++;
        return;
      }
      this.receiver.onRtp(p.value, now, via);
    } else if (kind === 'rtcp') {
      const c = decodeRtcpCompound(b);
      if (!c.ok) {
        this.invalid++;
        return;
      }
      this.onRtcp(c.value, now);
    } else {
      // STUN on an ICE component is the agent's business; anything else is noise here.
      if (kind !== 'stun') this.invalid++;
    }
  }

  private onRtcp(packets: readonly RtcpPacket[], now: number): void {
    const byeFrom = new Set<number>();
    for (const p of packets) if (p.type === 'bye') for (const s of p.ssrcs) byeFrom.add(s);
    for (const p of packets) {
      switch (p.type) {
        case 'sr':
          this.receiver.onSenderReport(p.ssrc, p.ntp, p.packetCount, now, byeFrom.has(p.ssrc));
          this.onReportBlocks(p.reports, now);
          break;
        case 'rr':
          this.onReportBlocks(p.reports, now);
          break;
        case 'sdes':
          for (const c of p.chunks) {
            if (c.ssrc !== this.receiver.ssrc) continue;
            const cname = c.items.find((i) => i.type === SDES.CNAME);
            if (cname) this.remoteCname = cname.text;
          }
          break;
        case 'xr':
          for (const blk of p.blocks) if (blk.type === 'voip-metrics' && blk.ssrc === this.ssrc) this.lastRemoteXr = blk;
          break;
        case 'bye':
          if (this.receiver.ssrc !== undefined && p.ssrcs.includes(this.receiver.ssrc) && !this.remoteBye) {
            this.remoteBye = true;
            this.emit({ type: 'media.bye', at: now, ssrc: this.receiver.ssrc, ...(p.reason !== undefined ? { reason: p.reason } : {}) });
          }
          break;
        default:
          break;
      }
    }
  }

  private onReportBlocks(blocks: readonly ReportBlock[], now: number): void {
    for (const b of blocks) {
      if (b.ssrc !== this.ssrc) continue;
      this.lastRemoteBlock = b;
      const rtt = this.rtt.onReportBlock(b, this.ntpAt(now));
      if (rtt === undefined) continue;
      const epoch = this.epochs[this.epochs.length - 1]!;
      epoch.rtt.onReportBlock(b, this.ntpAt(now));
      if (this.rttSamples.length < MAX_RTT_SAMPLES) this.rttSamples.push({ atMs: now, epoch: epoch.epoch, lsr: b.lsr, dlsr: b.dlsr, rttMs: rtt });
    }
  }

  // ---- epochs and stats --------------------------------------------------------------------

  private openEpoch(path: PathInfo | null, reason: string, at: number): void {
    this.epochs.push({
      epoch: this.sender.currentEpoch,
      path,
      reason,
      startMs: at,
      endMs: undefined,
      firstExtSeq: this.sender.currentEpochFirstExtSeq,
      heldBackAtStart: this.sender.heldBack,
      rtt: new RttTracker(),
    });
  }

  /** Our latest epoch on path `id` (a path left and taken again is the later epoch). */
  private localEpochOn(id: string): number | undefined {
    for (let i = this.epochs.length - 1; i >= 0; i--) if (this.epochs[i]!.path?.id === id) return this.epochs[i]!.epoch;
    return undefined;
  }

  private closeEpoch(at: number): void {
    const e = this.epochs[this.epochs.length - 1]!;
    if (e.endMs === undefined) e.endMs = at;
  }

  private epochReport(e: SendEpoch, now: number): SendEpochReport {
    const next = this.epochs[this.epochs.indexOf(e) + 1];
    const lastPackets = next ? next.firstExtSeq : this.sender.packets;
    const lastHeld = next ? next.heldBackAtStart : this.sender.heldBack;
    const start = this.startedAt !== undefined ? Math.max(e.startMs, Math.min(this.startedAt, e.endMs ?? now)) : e.startMs;
    const end = e.endMs ?? now;
    return {
      epoch: e.epoch,
      path: e.path,
      reason: e.reason,
      startMs: start,
      endMs: end,
      durationMs: Math.max(0, end - start),
      firstExtSeq: e.firstExtSeq,
      packets: lastPackets - e.firstExtSeq,
      heldBack: lastHeld - e.heldBackAtStart,
      rtt: e.rtt.totals(),
    };
  }

  private networkDelay(oneWayMs: number | undefined, rttMeanMs: number | undefined): number {
    if (this.opts.delaySource === 'probe' && oneWayMs !== undefined) return oneWayMs;
    return rttMeanMs !== undefined ? rttMeanMs / 2 : (oneWayMs ?? 0);
  }

  /** The G.107 MOS of an interval's reception (undefined when nothing was expected). */
  private intervalMos(r: IntervalStats, rttMeanMs: number | undefined): number | undefined {
    if (r.expected <= 0) return undefined;
    const c = this.sender.choice;
    return streamQuality(c.codec, c.ptimeMs, {
      lossPct: 100 * r.lossRate,
      discardPct: 100 * r.discardRate,
      burstR: burstRatio(r.burstGap.transitions),
      networkDelayMs: this.networkDelay(r.oneWayDelay?.meanMs, rttMeanMs),
      jitterBufferMs: r.jitterBuffer.nominalMs,
    }).mos;
  }

  private emitStats(now: number): void {
    const snap = this.direction === 'sendonly' ? undefined : this.receiver.snapshotIntervals(now);
    const received = snap?.stream;
    const rtt = this.rtt.snapshotInterval();
    const rttMean = rtt.meanMs ?? this.rtt.totals().meanMs;
    const mos = received ? this.intervalMos(received, rttMean) : undefined;
    const receivedEpochs = snap?.epochs.map((e): ReceivedEpochInterval => {
      const m = this.intervalMos(e, rttMean);
      const local = e.via === undefined ? undefined : this.localEpochOn(e.via);
      return { ...e, startMs: this.statsFrom, endMs: now, ...(m !== undefined ? { mos: m } : {}), ...(local !== undefined ? { localEpoch: local } : {}) };
    });
    const stats: MediaIntervalStats = {
      startMs: this.statsFrom,
      endMs: now,
      sent: { packets: this.sender.packets - this.statsPacketsAt, heldBack: this.sender.heldBack - this.statsHeldAt },
      ...(received ? { received } : {}),
      ...(received && receivedEpochs ? { receivedEpochs } : {}),
      rtt,
      ...(mos !== undefined ? { mos } : {}),
      sendJitter: this.pacing.stats(),
    };
    this.pacing.reset();
    this.statsFrom = now;
    this.statsPacketsAt = this.sender.packets;
    this.statsHeldAt = this.sender.heldBack;
    this.emit({ type: 'media.stats', at: now, ssrc: this.ssrc, epoch: this.sender.currentEpoch, path: this.currentPath, stats });
  }

  private emit(e: MediaEvent): void {
    this.events.emit('event', e);
  }
}

function randomCname(random: RandomSource): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += CNAME_ALPHABET[random.int(CNAME_ALPHABET.length)];
  return `${s}@mediapath`;
}
