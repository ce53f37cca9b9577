import { formatAddress, sameAddress, type TransportAddress } from '../common/address';
import type { Clock, TimerHandle } from '../common/clock';
import { MediapathError } from '../common/errors';
import { createLogger } from '../common/logger';
import { SeededRandom } from '../common/random';
import { classifyDatagram } from '../media/demux';
import type { DatagramSocket, Net } from '../net/types';
import { ImpairmentRule, type ImpairmentSpec } from '../net/virtual/impairment';
import { MinHeap } from '../common/heap';

const log = createLogger('lab/forwarder');

/** `a>b`: from whoever talks to side A, on to the target; `b>a`: the target's answers back. */
export type ForwardDirection = 'a>b' | 'b>a';

/** Flows get their own random streams, so RTCP timing never shifts which RTP packets are lost. */
export const FORWARDER_FLOWS = ['rtp', 'rtcp', 'other'] as const;
export type ForwarderFlow = (typeof FORWARDER_FLOWS)[number];

/** What the forwarder did to one datagram: the lab's ground truth on real sockets. */
export interface ForwardRecord {
  readonly id: number;
  readonly dir: ForwardDirection;
  readonly flow: ForwarderFlow;
  readonly label?: string | number;
  readonly size: number;
  /** Clock time the datagram reached the forwarder. */
  readonly receivedAt: number;
  readonly fate: 'in-flight' | 'delivered' | 'dropped';
  readonly dropReason?: 'loss' | 'queue-overflow' | 'no-peer' | 'closed';
  /** The delay the impairment chose. */
  readonly intendedDelayMs?: number;
  /** Clock time it was actually sent on (timers fire late: this, not the intent, is the truth). */
  readonly forwardedAt?: number;
  /** forwardedAt − receivedAt. */
  readonly delayMs?: number;
  /** Set on a copy made by duplication: the id of the original. */
  readonly duplicateOf?: number;
}

type MutableRecord = { -readonly [K in keyof ForwardRecord]: ForwardRecord[K] };

export interface ForwarderOptions {
  readonly net: Net;
  readonly clock: Clock;
  /** Seeds every impairment decision (one stream per direction, flow and part). */
  readonly seed: number;
  /** Where the two sides bind (default 127.0.0.1). */
  readonly ip?: string;
  /** The endpoint behind side B: datagrams arriving at side A go there. */
  readonly target: TransportAddress;
  readonly aToB?: ImpairmentSpec;
  readonly bToA?: ImpairmentSpec;
  /** Labels a datagram for the record (an RTP probe's SSRC and number, an RTCP report's NTP time…). */
  readonly label?: (payload: Uint8Array) => string | number | undefined;
  /** Records kept (oldest evicted first). Default 200 000. */
  readonly recordCap?: number;
}

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly rec: MutableRecord;
}

const TCP_UNUSED = { retransmitMs: 200, maxRetransmits: 0 };

function flowOf(b: Uint8Array): ForwarderFlow {
  const k = classifyDatagram(b);
  return k === 'rtp' ? 'rtp' : k === 'rtcp' ? 'rtcp' : 'other';
}

/**
 * A user-space UDP impairment box for real sockets (the kernel here has no netem): two sockets,
 * side A and side B; what reaches side A is impaired and sent from side B to the target, what the
 * target sends to side B is impaired and sent from side A back to the last sender on side A. The
 * impairment is the virtual network's own (ImpairmentRule: loss with Gilbert-Elliott bursts,
 * delay, jitter, reorder, duplication), seeded, and every datagram's fate and real delay is
 * recorded. One timer serves all delayed datagrams.
 */
export class ImpairmentForwarder {
  private readonly rules = new Map<string, ImpairmentRule>();
  private readonly ring: MutableRecord[] = [];
  private ringHead = 0;
  private readonly cap: number;
  private nextId = 1;
  private seq = 0;
  private readonly heap = new MinHeap<Pending>(before);
  private timer: TimerHandle | undefined;
  private armedFor = Infinity;
  private peerA: TransportAddress | undefined;
  private isClosed = false;
  /** Datagrams on side B from anyone but the target (ignored). */
  stray = 0;
  evicted = 0;

  private constructor(
    private readonly opts: ForwarderOptions,
    private readonly a: DatagramSocket,
    private readonly b: DatagramSocket,
  ) {
    this.cap = opts.recordCap ?? 200_000;
    const rng = new SeededRandom(opts.seed);
    for (const dir of ['a>b', 'b>a'] as const) {
      const spec = (dir === 'a>b' ? opts.aToB : opts.bToA) ?? {};
      for (const flow of FORWARDER_FLOWS) {
        this.rules.set(`${dir}|${flow}`, new ImpairmentRule(spec, { loss: rng.fork(), delay: rng.fork(), reorder: rng.fork(), duplicate: rng.fork() }));
      }
    }
    a.onMessage((bytes, from) => {
      this.peerA = from;
      this.accept('a>b', bytes, from);
    });
    b.onMessage((bytes, from) => {
      if (!sameAddress(from, opts.target)) {
        this.stray++;
        return;
      }
      this.accept('b>a', bytes, from);
    });
  }

  static async start(opts: ForwarderOptions): Promise<ImpairmentForwarder> {
    const ip = opts.ip ?? '127.0.0.1';
    const a = await opts.net.bindUdp({ ip });
    let b: DatagramSocket;
    try {
      b = await opts.net.bindUdp({ ip });
    } catch (e) {
      await a.close();
      throw e;
    }
    try {
      return new ImpairmentForwarder(opts, a, b);
    } catch (e) {
      await Promise.all([a.close(), b.close()]);
      throw e instanceof MediapathError ? e : new MediapathError('INVALID_ARGUMENT', `forwarder: ${String(e)}`, { layer: 'lab' }, { cause: e });
    }
  }

  /** Send here to reach the target. */
  get sideA(): TransportAddress {
    return this.a.local;
  }

  /** The target's peer address: the target sends here to reach whoever spoke on side A. */
  get sideB(): TransportAddress {
    return this.b.local;
  }

  /** Records kept, oldest first, optionally of one direction and flow. */
  records(q: { dir?: ForwardDirection; flow?: ForwarderFlow } = {}): ForwardRecord[] {
    const out: ForwardRecord[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const r = this.ring[(this.ringHead + i) % this.ring.length]!;
      if ((q.dir === undefined || r.dir === q.dir) && (q.flow === undefined || r.flow === q.flow)) out.push(r);
    }
    return out;
  }

  /** Datagrams still waiting for their release time. */
  get inFlight(): number {
    return this.heap.size;
  }

  /** Closes both sides; datagrams still held are recorded as dropped (`closed`). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.heap.values()) this.markDropped(p.rec, 'closed');
    this.heap.clear();
    await Promise.all([this.a.close(), this.b.close()]);
  }

  private accept(dir: ForwardDirection, bytes: Uint8Array, from: TransportAddress): void {
    if (this.isClosed) return;
    const now = this.opts.clock.now();
    const flow = flowOf(bytes);
    const rec = this.record(dir, flow, bytes, now);
    const rule = this.rules.get(`${dir}|${flow}`)!;
    const to = dir === 'a>b' ? this.opts.target : this.peerA;
    if (!to) {
      this.markDropped(rec, 'no-peer');
      return;
    }
    const v = rule.apply({ proto: 'udp', src: from, dst: to, size: bytes.length }, now, TCP_UNUSED);
    if (v.drop) {
      this.markDropped(rec, v.drop);
      return;
    }
    // Copy: the socket layer may reuse the buffer it handed us.
    const copy = bytes.slice();
    rec.intendedDelayMs = v.delayMs;
    this.hold(now + v.delayMs, copy, rec);
    if (v.duplicate) {
      const dup = this.record(dir, flow, bytes, now);
      dup.duplicateOf = rec.id;
      dup.intendedDelayMs = rule.copyDelay();
      this.hold(now + dup.intendedDelayMs, copy, dup);
    }
  }

  private record(dir: ForwardDirection, flow: ForwarderFlow, bytes: Uint8Array, now: number): MutableRecord {
    const label = this.opts.label?.(bytes);
    const r: MutableRecord = { id: this.nextId++, dir, flow, size: bytes.length, receivedAt: now, fate: 'in-flight', ...(label !== undefined ? { label } : {}) };
    if (this.ring.length < this.cap) this.ring.push(r);
    else {
      this.ring[this.ringHead] = r;
      this.ringHead = (this.ringHead + 1) % this.cap;
      this.evicted++;
    }
    return r;
  }

  private markDropped(r: MutableRecord, reason: NonNullable<ForwardRecord['dropReason']>): void {
    r.fate = 'dropped';
    r.dropReason = reason;
  }

  private hold(at: number, bytes: Uint8Array, rec: MutableRecord): void {
    this.heap.push({ at, seq: this.seq++, bytes, rec });
    this.arm();
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!top || this.isClosed) return;
    if (this.timer && this.armedFor <= top.at) return;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.armedFor = top.at;
    this.timer = this.opts.clock.setTimeout(() => this.release(), Math.max(0, top.at - this.opts.clock.now()));
  }

  private release(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.at > this.opts.clock.now()) break;
      this.heap.pop();
      const r = top.rec;
      const to = r.dir === 'a>b' ? this.opts.target : this.peerA;
      const out = r.dir === 'a>b' ? this.b : this.a;
      if (!to) {
        this.markDropped(r, 'no-peer');
        continue;
      }
      const now = this.opts.clock.now();
      out.send(top.bytes, to);
      r.fate = 'delivered';
      r.forwardedAt = now;
      r.delayMs = now - r.receivedAt;
    }
    this.arm();
  }

  toString(): string {
    return `forwarder ${formatAddress(this.sideA)} ⇄ ${formatAddress(this.sideB)} → ${formatAddress(this.opts.target)}`;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Starts a forwarder (both sides bound) in front of `opts.target`. */
export function startForwarder(opts: ForwarderOptions): Promise<ImpairmentForwarder> {
  log.debug({ target: opts.target }, 'starting impairment forwarder');
  return ImpairmentForwarder.start(opts);
}
