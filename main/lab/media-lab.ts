import { formatAddress } from '../common/address';
import { FakeClock, RealClock, type Clock } from '../common/clock';
import { MediapathError } from '../common/errors';
import { SeededRandom } from '../common/random';
import type { CodecName } from '../media/codecs';
import { MediaSession, PacingScheduler, schedulerFor, socketPath, type MediaSessionReport, type SendJitterStats } from '../media/stream';
import { NodeNet } from '../net/node/node-net';
import type { DatagramSocket, Net } from '../net/types';
import { VirtualNetwork, type ImpairmentSpec, type LossSpec } from '../net/virtual';
import { longTermCredentials, TurnAllocation } from '../turn';
import { startCoturn, type CoturnInstance } from './coturn';
import { startForwarder, type ForwardDirection, type ImpairmentForwarder } from './forwarder';
import { mediaTruthLabel, rtpTruth, rttTruth, truthFromForwarder, type RtpTruth, type RttTruth } from './media-truth';
import { startLabTurnServer, type LabTurnServer } from './turn-server';

/**
 * `mediapath lab media`: a call-shaped stream (both directions, RTCP every second) through the
 * impairment forwarder, measured by the sessions and set beside the forwarder's record of what it
 * did. Real sockets on loopback with the real clock by default; the same run on the virtual
 * network in fake time with `network: 'virtual'`. With `path: 'relay'` the caller's socket is a
 * TURN allocation (a real coturn, or the lab TURN server on the virtual network), so the stream
 * crosses a relay before the impairment.
 */
export interface MediaLabOptions {
  /** Loss in percent (0–100), on both directions and on RTP and RTCP alike. */
  readonly lossPct: number;
  /** Mean loss burst length in packets (Gilbert-Elliott); absent: independent losses. */
  readonly burst?: number;
  /** One-way delay added in each direction (ms). */
  readonly delayMs: number;
  /** Extra one-way delay, uniform in [0, jitter) per packet (ms). */
  readonly jitterMs: number;
  /** Percent of packets held back `reorderDelayMs` more, so later ones overtake them. */
  readonly reorderPct?: number;
  readonly reorderDelayMs?: number;
  readonly duplicatePct?: number;
  readonly seed: number;
  readonly durationS: number;
  readonly path?: 'host' | 'relay';
  readonly network?: 'real' | 'virtual';
  readonly codec?: CodecName;
  readonly ptimeMs?: number;
  readonly rtcpIntervalMs?: number;
  /** Fixed jitter buffer depth of both ends (default jitter + 30 ms). */
  readonly jitterBufferMs?: number;
  /** Warm the code up on the virtual network before a real run (default true). */
  readonly warmUp?: boolean;
  /** Pacing lead on the real clock (see PacingSchedulerOptions.leadMs). Default 0. */
  readonly leadMs?: number;
  readonly onProgress?: (line: string) => void;
}

/** The four figures the lab compares. */
export interface LabFigures {
  readonly lossPct: number;
  readonly jitterMs: number;
  readonly rttMs: number | null;
  readonly mos: number;
}

export interface LabDirection {
  readonly truth: LabFigures & { readonly jitterFinalMs: number; readonly sent: number; readonly lost: number; readonly duplicates: number; readonly meanDelayMs: number };
  readonly measured: LabFigures & {
    /** The A.8 estimate at the end of the stream (jitterMs is its stream average). */
    readonly jitterFinalMs: number;
    readonly expected: number;
    readonly lost: number;
    readonly duplicates: number;
    /** RFC 3550 §A.8 on RTP timestamps at the end (what a report block says): includes our own send jitter. */
    readonly rtpJitterMs: number;
    readonly oneWayDelayMs: number | null;
    readonly rttSamples: number;
  };
  /**
   * measured − truth. `rttVsPathMs` is the median over samples of measured − truth, less the
   * overhead of both directions (the hops outside the impairment, measured from the RTP probes):
   * what the RTT tolerance applies to.
   */
  readonly errors: LabFigures & { readonly lostPackets: number; readonly rttMaxAbsMs: number | null; readonly rttVsPathMs: number | null };
  /** Mean one-way delay outside the impairment (loopback hops, event loop): measured − truth. */
  readonly overheadMs: number;
  readonly withinTolerance: { readonly loss: boolean; readonly jitter: boolean; readonly rtt: boolean; readonly mos: boolean };
}

export interface MediaLabResult {
  readonly ok: boolean;
  readonly network: 'real' | 'virtual';
  readonly path: 'host' | 'relay';
  readonly config: {
    readonly lossPct: number;
    readonly burst: number | null;
    readonly delayMs: number;
    readonly jitterMs: number;
    readonly reorderPct: number;
    readonly reorderDelayMs: number;
    readonly duplicatePct: number;
    readonly seed: number;
    readonly durationS: number;
    readonly codec: CodecName;
    readonly ptimeMs: number;
    readonly rtcpIntervalMs: number;
    readonly jitterBufferMs: number;
  };
  /** The stream from the caller (behind the relay, with `--path relay`) to the callee. */
  readonly truth: LabDirection['truth'];
  readonly measured: LabDirection['measured'];
  readonly errors: LabDirection['errors'];
  readonly overheadMs: number;
  readonly withinTolerance: LabDirection['withinTolerance'];
  /** The callee's stream back to the caller. */
  readonly reverse: LabDirection;
  /** The process scheduler's send deviation over the run (both streams). */
  readonly sendJitterP50Ms: number;
  readonly sendJitterP99Ms: number;
  readonly sendJitterMaxMs: number;
  readonly sendJitter: SendJitterStats;
  /**
   * Whether this process was starved during the run (a send more than 20 ms late, or p99 over
   * 5 ms, a quarter packet time): then the receive times of the forwarder and of the sessions carry our own scheduling
   * stalls too, and the comparison says more about the machine than about the measurement.
   */
  readonly disturbed: boolean;
  readonly disturbance: string | null;
  readonly relay?: { readonly server: string; readonly relayed: string; readonly kind: 'coturn' | 'lab' };
  readonly forwarder: { readonly sideA: string; readonly sideB: string; readonly stray: number };
}

/** Beyond these, the run is `disturbed` (see MediaLabResult). */
export const DISTURBED_MAX_MS = 20;
export const DISTURBED_P99_MS = 5;

/** The issue's tolerances: loss exact, jitter 5 % or 0.5 ms, RTT 1 ms (mean, beside the path's own overhead), MOS 0.05. */
export const LAB_TOLERANCE = { jitterRel: 0.05, jitterAbsMs: 0.5, rttMs: 1, mos: 0.05 } as const;

interface Stack {
  readonly clock: Clock;
  readonly caller: Net;
  readonly callee: Net;
  readonly box: Net;
  readonly ip: { caller: string; callee: string; box: string };
  readonly close: () => Promise<void>;
  readonly relay?: () => Promise<{ socket: DatagramSocket; server: string; kind: 'coturn' | 'lab'; stop: () => Promise<void> }>;
}

function invalid(msg: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `lab media: ${msg}`, { layer: 'lab' });
}

function check(o: MediaLabOptions): void {
  const range = (name: string, v: number | undefined, lo: number, hi: number): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= lo && v <= hi)) throw invalid(`${name} must be ${lo}–${hi}, got ${v}`);
  };
  range('loss', o.lossPct, 0, 100);
  range('burst', o.burst, 1, 1000);
  range('delay', o.delayMs, 0, 5000);
  range('jitter', o.jitterMs, 0, 5000);
  range('reorder', o.reorderPct, 0, 100);
  range('reorder delay', o.reorderDelayMs, 0, 5000);
  range('duplicate', o.duplicatePct, 0, 100);
  range('jitter buffer', o.jitterBufferMs, 0, 5000);
  range('duration', o.durationS, 0.5, 3600);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw invalid(`seed must be a non-negative integer, got ${o.seed}`);
}

function impairment(o: MediaLabOptions, reorderDelayMs: number): ImpairmentSpec {
  const rate = o.lossPct / 100;
  const loss: LossSpec | undefined = rate > 0 ? (o.burst !== undefined && o.burst > 1 ? { rate, meanBurst: o.burst } : rate) : undefined;
  return {
    ...(loss !== undefined ? { loss } : {}),
    delayMs: o.delayMs,
    jitterMs: o.jitterMs,
    ...(o.reorderPct ? { reorder: { rate: o.reorderPct / 100, delayMs: reorderDelayMs } } : {}),
    ...(o.duplicatePct ? { duplicate: o.duplicatePct / 100 } : {}),
  };
}

function realStack(): Stack {
  const net = new NodeNet();
  const clock = new RealClock();
  const ip = '127.0.0.1';
  return {
    clock,
    caller: net,
    callee: net,
    box: net,
    ip: { caller: ip, callee: ip, box: ip },
    close: async () => undefined,
    relay: async () => {
      const coturn: CoturnInstance = await startCoturn({ ip, auth: { kind: 'long-term', users: [{ name: 'caller', password: 'callerpw' }] } });
      try {
        const socket = await TurnAllocation.allocate({ net, clock, server: { address: coturn.udp, transport: 'udp' }, credentials: longTermCredentials('caller', 'callerpw'), localIp: ip });
        return { socket, server: formatAddress(coturn.udp), kind: 'coturn' as const, stop: () => coturn.stop() };
      } catch (e) {
        await coturn.stop();
        throw e;
      }
    },
  };
}

function virtualStack(seed: number): Stack {
  const clock = new FakeClock();
  const vnet = new VirtualNetwork({ clock, random: seed });
  const caller = vnet.addHost('caller', { ip: '203.0.113.11' });
  const callee = vnet.addHost('callee', { ip: '203.0.113.12' });
  const box = vnet.addHost('forwarder', { ip: '203.0.113.20' });
  const edge = vnet.addHost('edge', { ip: '203.0.113.10' });
  return {
    clock,
    caller,
    callee,
    box,
    ip: { caller: caller.address, callee: callee.address, box: box.address },
    close: () => vnet.close(),
    relay: async () => {
      const turn: LabTurnServer = await startLabTurnServer({
        net: edge,
        clock,
        listen: { ip: edge.address, udpPort: 3478, tcpPort: 443 },
        relayIp: edge.address,
        realm: 'lab.test',
        auth: { kind: 'long-term', users: { caller: 'callerpw' } },
      });
      const allocating = TurnAllocation.allocate({ net: caller, clock, server: { address: turn.udp!, transport: 'udp' }, credentials: longTermCredentials('caller', 'callerpw') });
      const socket = await settle(clock, allocating);
      return { socket, server: formatAddress(turn.udp!), kind: 'lab' as const, stop: () => turn.stop() };
    },
  };
}

/** Waits `ms` on the clock: real time, or fake time moved forward in steps that let promises run. */
async function wait(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof FakeClock) {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(Math.min(10, ms - t));
      for (let i = 0; i < 4; i++) await Promise.resolve();
    }
    return;
  }
  await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
}

async function settle<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  watched.catch(() => undefined);
  for (let i = 0; i < 3000 && !done; i++) await wait(clock, 10);
  return p;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Mean one-way delay the receiver measured minus the mean delay the impairment gave: the path
 * outside the impairment (loopback hops, event-loop and scheduling latency). 0 on the virtual
 * network; on a loaded machine a few tenths of a millisecond per hop.
 */
function overheadOf(truth: RtpTruth, rx: MediaSessionReport): number {
  const owd = rx.received?.figures.oneWayDelayMs;
  return owd === undefined ? 0 : owd - truth.meanDelayMs;
}

function direction(truth: RtpTruth, rtt: RttTruth, rx: MediaSessionReport, overheadMs: number, rttOverheadMs: number): LabDirection {
  const got = rx.received;
  if (!got) throw new MediapathError('INTERNAL', 'lab media: the receiving end got no RTP at all', { layer: 'lab' });
  const f = got.figures;
  // The stream average of the RFC 3550 §A.8 estimate (Lync's JitterInterArrival) on both sides:
  // the final value says only how the last second went, and one scheduling stall of our own
  // process near the end would dominate it.
  const jitterMs = f.networkJitterMeanMs ?? f.jitterMs;
  const truthRtt = rtt.meanTruthMs ?? null;
  const measRtt = rtt.meanMeasuredMs ?? null;
  const rttErrors = rtt.samples.map((s) => s.measuredMs - s.truthMs);
  const rttMaxAbs = rttErrors.length ? Math.max(...rttErrors.map(Math.abs)) : null;
  const t = { lossPct: truth.lossPct, jitterMs: truth.jitterMeanMs, rttMs: truthRtt, mos: truth.quality.mos };
  const m = { lossPct: f.lossPct, jitterMs, rttMs: measRtt, mos: got.quality.mos };
  // Per sample: measured − (truth + the overhead of both hops outside the impairment); the
  // median, so one sample caught by a scheduling stall of this process does not decide.
  const rttVsPath = rttErrors.length ? median(rttErrors) - rttOverheadMs : null;
  return {
    truth: { ...t, jitterFinalMs: truth.jitterMs, sent: truth.sent, lost: truth.lost, duplicates: truth.duplicates, meanDelayMs: truth.meanDelayMs },
    measured: {
      ...m,
      jitterFinalMs: f.networkJitterMs ?? f.jitterMs,
      expected: f.expected,
      lost: f.lost,
      duplicates: f.duplicates,
      rtpJitterMs: f.jitterMs,
      oneWayDelayMs: f.oneWayDelayMs ?? null,
      rttSamples: rtt.samples.length,
    },
    errors: {
      lossPct: m.lossPct - t.lossPct,
      jitterMs: m.jitterMs - t.jitterMs,
      rttMs: m.rttMs !== null && t.rttMs !== null ? m.rttMs - t.rttMs : null,
      mos: m.mos - t.mos,
      lostPackets: f.lost - truth.lost,
      rttMaxAbsMs: rttMaxAbs,
      rttVsPathMs: rttVsPath,
    },
    overheadMs,
    withinTolerance: {
      loss: f.lost === truth.lost && f.expected === truth.sent,
      jitter: Math.abs(m.jitterMs - t.jitterMs) <= Math.max(LAB_TOLERANCE.jitterRel * t.jitterMs, LAB_TOLERANCE.jitterAbsMs),
      rtt: rttVsPath !== null && Math.abs(rttVsPath) <= LAB_TOLERANCE.rttMs && rtt.unpaired === 0,
      mos: Math.abs(m.mos - t.mos) <= LAB_TOLERANCE.mos,
    },
  };
}

export async function runMediaLab(o: MediaLabOptions): Promise<MediaLabResult> {
  check(o);
  const network = o.network ?? 'real';
  // The first packets of a fresh process meet cold code (module loading, the JIT): a second of
  // the same run on the virtual network first, in fake time, so the real run measures the path
  // and not the compiler.
  if (network === 'real' && o.warmUp !== false) await runMediaLab({ ...o, network: 'virtual', path: 'host', durationS: 1, warmUp: false, onProgress: () => undefined });
  const pathKind = o.path ?? 'host';
  const codec = o.codec ?? 'PCMU';
  const rtcpIntervalMs = o.rtcpIntervalMs ?? 1000;
  // A reordered packet is held long enough to be overtaken by two packets whatever its jitter, and
  // to miss the jitter buffer by a clear margin.
  const reorderDelayMs = o.reorderDelayMs ?? o.jitterMs + 3 * (o.ptimeMs ?? 20);
  // A fixed jitter buffer 30 ms deeper than the injected jitter: it discards reordered and truly
  // late packets, not a packet that our own process was a few milliseconds slow to read, so the
  // MOS compares networks, not scheduling hiccups (a discard moves the MOS by ~0.05 at 200 packets).
  const jitterBufferMs = o.jitterBufferMs ?? o.jitterMs + 30;
  const stack = network === 'real' ? realStack() : virtualStack(o.seed);
  const { clock } = stack;
  const progress = o.onProgress ?? (() => undefined);
  const scheduler = network === 'real' ? schedulerFor(clock, { leadMs: o.leadMs ?? 0 }) : new PacingScheduler({ clock });
  const opened: Array<() => Promise<void>> = [];
  try {
    const calleeSock = await stack.callee.bindUdp({ ip: stack.ip.callee });
    opened.push(() => calleeSock.close());
    const spec = impairment(o, reorderDelayMs);
    const fw: ImpairmentForwarder = await startForwarder({
      net: stack.box,
      clock,
      seed: o.seed,
      ip: stack.ip.box,
      target: calleeSock.local,
      aToB: spec,
      bToA: spec,
      label: mediaTruthLabel,
    });
    opened.push(() => fw.close());
    let callerSock: DatagramSocket;
    let relay: MediaLabResult['relay'];
    if (pathKind === 'relay') {
      progress('allocating a TURN relay for the caller…');
      const r = await stack.relay!();
      opened.push(r.stop);
      callerSock = r.socket;
      relay = { server: r.server, relayed: formatAddress(r.socket.local), kind: r.kind };
    } else {
      callerSock = await stack.caller.bindUdp({ ip: stack.ip.caller });
    }
    opened.push(() => callerSock.close());

    const random = new SeededRandom(o.seed ^ 0x6d70);
    const jitterBuffer = { mode: 'fixed' as const, delayMs: jitterBufferMs };
    const common = { clock, scheduler, rtcpIntervalMs, delaySource: 'probe' as const, codec, jitterBuffer, ...(o.ptimeMs ? { ptimeMs: o.ptimeMs } : {}) };
    const caller = new MediaSession({ ...common, random: random.fork(), rtp: socketPath(callerSock, fw.sideA) });
    const callee = new MediaSession({ ...common, random: random.fork(), rtp: socketPath(calleeSock, fw.sideB) });
    progress(`streaming ${o.durationS} s each way through ${fw.toString()}${relay ? ` (caller behind relay ${relay.relayed})` : ''}…`);
    caller.start();
    callee.start();
    await wait(clock, o.durationS * 1000);
    caller.stop();
    callee.stop();
    // Let the last packets and the BYEs through the forwarder, however late its timers fire.
    await wait(clock, o.delayMs + o.jitterMs + (o.reorderPct ? reorderDelayMs : 0) + 50);
    for (let i = 0; i < 100 && fw.inFlight > 0; i++) await wait(clock, 20);
    await wait(clock, 100);
    caller.close();
    callee.close();
    const after = scheduler.sendJitter();
    const rCaller = caller.report();
    const rCallee = callee.report();
    const recs = (dir: ForwardDirection) => truthFromForwarder(fw.records({ dir }));
    const ab = recs('a>b');
    const ba = recs('b>a');
    const truthOf = (s: MediaSession, packets: typeof ab) =>
      rtpTruth(packets, { ssrc: s.ssrc, initialSequence: s.rtpOrigin.initialSequence, codec: s.codecChoice.codec, ptimeMs: s.codecChoice.ptimeMs, jitterBuffer });
    const tAb = truthOf(caller, ab);
    const tBa = truthOf(callee, ba);
    const oAb = overheadOf(tAb, rCallee);
    const oBa = overheadOf(tBa, rCaller);
    const forward = direction(tAb, rttTruth(rCaller.rttSamples, caller.ssrc, ab, ba), rCallee, oAb, oAb + oBa);
    const reverse = direction(tBa, rttTruth(rCallee.rttSamples, callee.ssrc, ba, ab), rCaller, oBa, oAb + oBa);
    const sj = after;
    const disturbance =
      sj.maxMs > DISTURBED_MAX_MS || sj.p99Ms > DISTURBED_P99_MS
        ? `this process was starved: a send ${sj.maxMs.toFixed(1)} ms late, p99 ${sj.p99Ms.toFixed(1)} ms (limits ${DISTURBED_MAX_MS} and ${DISTURBED_P99_MS} ms)`
        : null;
    const ok = Object.values(forward.withinTolerance).every(Boolean) && Object.values(reverse.withinTolerance).every(Boolean);
    return {
      ok,
      network,
      path: pathKind,
      config: {
        lossPct: o.lossPct,
        burst: o.burst ?? null,
        delayMs: o.delayMs,
        jitterMs: o.jitterMs,
        reorderPct: o.reorderPct ?? 0,
        reorderDelayMs,
        duplicatePct: o.duplicatePct ?? 0,
        seed: o.seed,
        durationS: o.durationS,
        codec,
        ptimeMs: caller.codecChoice.ptimeMs,
        rtcpIntervalMs,
        jitterBufferMs,
      },
      truth: forward.truth,
      measured: forward.measured,
      errors: forward.errors,
      overheadMs: forward.overheadMs,
      withinTolerance: forward.withinTolerance,
      reverse,
      sendJitterP50Ms: sj.p50Ms,
      sendJitterP99Ms: sj.p99Ms,
      sendJitterMaxMs: sj.maxMs,
      sendJitter: sj,
      disturbed: disturbance !== null,
      disturbance,
      ...(relay ? { relay } : {}),
      forwarder: { sideA: formatAddress(fw.sideA), sideB: formatAddress(fw.sideB), stray: fw.stray },
    };
  } finally {
    for (const c of opened.reverse()) {
      const closing = c().catch(() => undefined);
      // A relay's deallocation is a Refresh exchange: fake time must move meanwhile.
      await (clock instanceof FakeClock ? settle(clock, closing) : closing);
    }
    if (network === 'virtual') scheduler.close();
    await stack.close();
  }
}
