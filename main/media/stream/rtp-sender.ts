import type { RandomSource } from '../../common/random';
import { chooseCodec, frameBytes, timestampIncrement, type CodecChoice, type CodecName } from '../codecs';
import { clockMsToProbeUs, encodeProbePayload, PROBE_HEADER_BYTES } from '../probe-payload';
import { encodeRtp, RTP_FIXED_HEADER_BYTES } from '../rtp';
import { put16, put32 } from '../wire';
import { randomSsrc, type SsrcRange } from '../ssrc';
import { writeProbeEpoch } from './probe-epoch';

/**
 * Packets are views carved from a slab shared by every sender of the process rather than arrays
 * of their own: a typed array with its own backing store costs an allocation the GC tracks apart,
 * several times the copy. A slab is never written again once handed out (a path may keep a packet:
 * a TURN queue, the virtual network's delay line), so a new one is taken when it is used up; a
 * slab lives while any packet cut from it does.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabOffset = 0;

function carve(template: Uint8Array): Uint8Array {
  const n = template.length;
  if (n > SLAB_BYTES / 8) return template.slice();
  if (slabOffset + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabOffset = 0;
  }
  const bytes = new Uint8Array(slab, slabOffset, n);
  slabOffset += (n + 7) & ~7;
  bytes.set(template);
  return bytes;
}

export interface RtpSenderOptions {
  readonly random: RandomSource;
  /** Default PCMU. */
  readonly codec?: CodecName;
  /** Packetization, 10–60 ms as the codec allows (default 20). */
  readonly ptimeMs?: number;
  /** For a dynamic payload type (Opus), the negotiated number. */
  readonly payloadType?: number;
  /** A fixed SSRC; otherwise a random one, inside `ssrcRange` when one was negotiated. */
  readonly ssrc?: number;
  /** Lync/SfB `a=x-ssrc-range` ([MS-SDPEXT]): the SSRC is drawn inside it. */
  readonly ssrcRange?: SsrcRange;
  /** SSRCs already in use (RFC 3550 §8.2 collision avoidance). */
  readonly avoidSsrcs?: ReadonlySet<number>;
}

/** One packet built and not yet counted: counted by `commit` once the path took it. */
export interface BuiltPacket {
  readonly bytes: Uint8Array;
  readonly extSeq: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
}

/**
 * The sending half of a synthetic audio stream (RFC 3550 §5.1): random SSRC, random initial
 * sequence number and timestamp, the timestamp advancing by one frame per packet time whether or
 * not the packet could be sent (it is media time), the sequence number advancing only for packets
 * that left (a held-back packet is a silence gap, as with RFC 3551 §4.1 silence suppression, and
 * the next packet carries the marker bit). The payload is our probe (send time, extended sequence,
 * path epoch) padded to the codec's frame size, so packet sizes match the imitated codec.
 */
export class RtpSender {
  readonly ssrc: number;
  readonly choice: CodecChoice;
  readonly initialSequence: number;
  readonly initialTimestamp: number;
  /** Timestamp units per packet. */
  readonly increment: number;
  readonly payloadBytes: number;
  /** Packets that left (RFC 3550 §6.4.1 sender's packet count). */
  packets = 0;
  /** Payload octets that left (RFC 3550 §6.4.1 sender's octet count). */
  octets = 0;
  /** Packets not sent because the path could not carry them. */
  heldBack = 0;
  /** Frames never sent because this process ran too late to send them in real time. */
  skipped = 0;
  private marker = true;
  private epoch = 0;
  private epochIndex = 0;
  private epochFirstExtSeq = 0;
  private originMs = 0;
  /**
   * One packet encoded by the codecs (encodeRtp around encodeProbePayload, silence-padded); each
   * packet is a copy with the per-packet fields patched at their fixed offsets (RFC 3550 §5.1
   * header: bytes 1–7; probe: payload bytes 5–19), which costs a tenth of encoding afresh.
   */
  private readonly template: Uint8Array;

  constructor(opts: RtpSenderOptions) {
    this.choice = chooseCodec(opts.codec ?? 'PCMU', opts.ptimeMs, opts.payloadType);
    this.ssrc = opts.ssrc ?? randomSsrc(opts.random, opts.ssrcRange, opts.avoidSsrcs);
    this.initialSequence = opts.random.int(0x10000);
    this.initialTimestamp = (opts.random.int(0x10000) * 0x10000 + opts.random.int(0x10000)) >>> 0;
    this.increment = timestampIncrement(this.choice.codec, this.choice.ptimeMs);
    this.payloadBytes = Math.max(PROBE_HEADER_BYTES, frameBytes(this.choice.codec, this.choice.ptimeMs));
    const payload = encodeProbePayload({ sendTimeUs: 0, extSeq: 0 }, this.payloadBytes, this.choice.codec.fillByte);
    this.template = encodeRtp({ payloadType: this.choice.payloadType, sequenceNumber: 0, timestamp: 0, ssrc: this.ssrc, payload });
  }

  get ptimeMs(): number {
    return this.choice.ptimeMs;
  }

  get clockRate(): number {
    return this.choice.codec.clockRate;
  }

  /** The path epoch packets are stamped with now. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** Extended sequence number (probe numbering) of the first packet of the current epoch. */
  get currentEpochFirstExtSeq(): number {
    return this.epochFirstExtSeq;
  }

  /** The clock time of frame 0 (the stream's media origin), for the SR's RTP timestamp. */
  setOrigin(originMs: number): void {
    this.originMs = originMs;
  }

  /** Packets from now on belong to a new path epoch. */
  nextEpoch(): number {
    this.epoch++;
    this.epochIndex = 0;
    this.epochFirstExtSeq = this.packets;
    return this.epoch;
  }

  /** RTP timestamp of frame `frameIndex` (RFC 3550 §5.1: the sampling instant, modulo 2^32). */
  timestampOf(frameIndex: number): number {
    return (this.initialTimestamp + ((frameIndex * this.increment) % 0x1_0000_0000)) % 0x1_0000_0000;
  }

  /** RTP timestamp of clock time `ms` on the media clock (RFC 3550 §6.4.1, the SR's RTP time). */
  rtpTimestampAt(ms: number): number {
    const units = Math.round(((ms - this.originMs) * this.clockRate) / 1000);
    return (((this.initialTimestamp + units) % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
  }

  /** Builds the packet of frame `frameIndex`, stamped with the actual send time. */
  build(frameIndex: number, sendTimeMs: number): BuiltPacket {
    const extSeq = this.packets;
    const sequenceNumber = (this.initialSequence + extSeq) & 0xffff;
    const timestamp = this.timestampOf(frameIndex);
    const sendTimeUs = clockMsToProbeUs(sendTimeMs);
    const bytes = carve(this.template);
    bytes[1] = (this.marker ? 0x80 : 0) | this.choice.payloadType;
    put16(bytes, 2, sequenceNumber);
    put32(bytes, 4, timestamp);
    const payload = bytes.subarray(RTP_FIXED_HEADER_BYTES);
    put32(payload, 8, Math.floor(sendTimeUs / 0x1_0000_0000));
    put32(payload, 12, sendTimeUs % 0x1_0000_0000);
    put32(payload, 16, extSeq);
    writeProbeEpoch(payload, { epoch: this.epoch, index: this.epochIndex });
    return { bytes, extSeq, sequenceNumber, timestamp };
  }

  /** The path took the packet: count it. */
  commit(p: BuiltPacket): void {
    this.packets++;
    this.octets += p.bytes.length - 12;
    this.epochIndex++;
    this.marker = false;
  }

  /** The path could not take it: nothing is counted, and the next packet starts a talkspurt. */
  holdBack(): void {
    this.heldBack++;
    this.marker = true;
  }

  /** `n` frames are given up (the sender fell behind real time); the next packet starts a talkspurt. */
  skip(n: number): void {
    if (n <= 0) return;
    this.skipped += n;
    this.marker = true;
  }
}
