import type { FakeClock } from '../common/clock';
import { MediapathError } from '../common/errors';
import { SeededRandom } from '../common/random';
import type { IceAgent, IceStrategy } from '../ice/agent';
import type { CandidateView } from '../ice/candidate';
import type { PairView } from '../ice/pair';
import type { CodecName } from '../media/codecs';
import { classifyDatagram } from '../media/demux';
import { joinEpochs, MediaSession, PacingScheduler, type DatagramPath, type MediaEvent, type MediaSessionReport, type PathEpochReport, type PathInfo } from '../media/stream';
import { u32 } from '../media/wire';
import { runIceScenario, type IceScenarioName, type IceScenarioOptions, type IceScenarioResult } from './ice-scenarios';
import { pathInfoOf } from './media-ice';

/**
 * Path matrix: probe streams over every valid ICE pair of a field scenario, at once or in turn,
 * with the figures of each path side by side (what no peer tool shows: not only the path the call
 * ended on, but how good every path it could have taken is).
 *
 * The caller (the prober) runs one MediaSession per distinct valid path, each with its own SSRC,
 * sending on that pair with `IceAgent.sendOnPair`. The callee (the responder) answers each probe
 * stream it hears with a stream of its own, sent back on the valid pair the probe arrived on
 * (`IceAgent.onPairData`), and stops when the probe says BYE. Each side hands a datagram to the
 * session of its SSRC and counts the ones that came in on another pair than the row's own
 * (`offPath`: asymmetric routing would show there).
 */

export type MatrixMode = 'parallel' | 'sequential';

export interface IceMatrixOptions {
  readonly strategy?: IceStrategy;
  readonly seed?: number;
  readonly codec?: CodecName;
  readonly rtcpIntervalMs?: number;
  /** `parallel`: every path probed at once; `sequential`: one after the other. Default parallel. */
  readonly mode?: MatrixMode;
  /** Virtual ms after checks start before probing, so that the valid list is complete (default 3000). */
  readonly settleMs?: number;
  /** How long each path is probed (default 4000 ms at once, 2000 ms in turn). */
  readonly perPathMs?: number;
  /** Paths probed at most; further valid paths are counted in `skippedPaths` (default 16). */
  readonly maxPaths?: number;
  /** Degrade chosen paths on purpose (rules on a phone's own link, see IceScenarioOptions.impair). */
  readonly impair?: IceScenarioOptions['impair'];
  readonly onEvent?: (row: number, side: 'caller' | 'callee', e: MediaEvent) => void;
}

export interface MatrixRow {
  readonly index: number;
  /** The caller's pair, as the media layer names a path. */
  readonly path: PathInfo;
  readonly callerPair: string;
  /** The callee's valid pair the probe arrived on (null if it never arrived on a valid pair). */
  readonly calleePair: string | null;
  /** The caller's selected pair when probing began, and whether it was nominated. */
  readonly selected: boolean;
  readonly nominated: boolean;
  /** Virtual ms from the start of checks. */
  readonly startMs: number;
  readonly endMs: number;
  readonly callerToCallee: PathEpochReport;
  /** Null when the callee never heard the probe, so nothing came back. */
  readonly calleeToCaller: PathEpochReport | null;
  /** Datagrams of this row's streams that arrived on another pair than the row's, per receiving side. */
  readonly offPath: { readonly caller: number; readonly callee: number };
}

export interface IceMatrixResult {
  readonly scenario: IceScenarioResult;
  readonly mode: MatrixMode;
  readonly settleMs: number;
  readonly perPathMs: number;
  readonly rows: MatrixRow[];
  /** Distinct valid paths left out by `maxPaths`. */
  readonly skippedPaths: number;
  /** RTP/RTCP datagrams that belonged to no probe stream, per receiving side. */
  readonly unattributed: { readonly caller: number; readonly callee: number };
}

/** Pause between two paths in turn, so that the previous one's last packets and BYEs drain. */
const SEQUENTIAL_GAP_MS = 250;
/** After the last probe stops: time for the last packets, BYEs and the responders' answers. */
const DRAIN_MS = 1000;

/** The socket address a candidate sends from (RFC 8445 §5.1.1.1: srflx/prflx have a host base). */
function baseOf(c: CandidateView): string {
  const reflexive = (c.type === 'srflx' || c.type === 'prflx') && c.relatedAddress !== undefined;
  return reflexive ? `${c.relatedAddress}:${c.relatedPort}` : `${c.address}:${c.port}`;
}

/** Pairs with the same local base, transport and remote address are one path on the wire. */
function wireKey(p: PairView): string {
  return `${p.local.transport} ${baseOf(p.local)} → ${p.remote.address}:${p.remote.port}`;
}

/** The SSRC a datagram is from: the RTP header's, or the first RTCP packet's sender (RFC 3550 §6.4). */
function ssrcOf(bytes: Uint8Array): number | undefined {
  const kind = classifyDatagram(bytes);
  if (kind === 'rtp') return bytes.length >= 12 ? u32(bytes, 8) : undefined;
  if (kind === 'rtcp') return bytes.length >= 8 ? u32(bytes, 4) : undefined;
  return undefined;
}

/** A path whose datagrams the dispatcher of one side hands in, and that sends on one pair. */
class PairPath implements DatagramPath {
  private readonly listeners = new Set<(b: Uint8Array) => void>();

  constructor(private readonly sendFn: (b: Uint8Array) => boolean) {}

  send(bytes: Uint8Array): boolean {
    return this.sendFn(bytes);
  }

  onDatagram(cb: (bytes: Uint8Array) => void): { dispose(): void } {
    this.listeners.add(cb);
    return { dispose: () => this.listeners.delete(cb) };
  }

  deliver(bytes: Uint8Array): void {
    for (const l of [...this.listeners]) l(bytes);
  }
}

interface Probe {
  readonly index: number;
  readonly pair: PairView;
  readonly path: PairPath;
  readonly session: MediaSession;
  readonly selected: boolean;
  readonly startMs: number;
  readonly endMs: number;
  responder?: Responder;
  offPath: number;
}

interface Responder {
  readonly pairId: string | undefined;
  readonly path: PairPath;
  readonly session: MediaSession;
  offPath: number;
}

/** A sender's epochs joined with a receiver that heard nothing of it: every packet lost. */
function nothingReceived(sender: MediaSessionReport): PathEpochReport[] {
  const { received: _ignored, ...rest } = sender;
  return joinEpochs(sender, { ...rest, receiveEpochs: [] }, 'probe');
}

/**
 * Runs `name` and, once checks have settled, probes every distinct valid path of component 1:
 * the matrix of figures both ways, one row per path.
 */
export async function runIceMatrix(name: IceScenarioName, opts: IceMatrixOptions = {}): Promise<IceMatrixResult> {
  const mode = opts.mode ?? 'parallel';
  if (mode !== 'parallel' && mode !== 'sequential') throw new MediapathError('INVALID_ARGUMENT', `matrix mode ${String(mode)}`, { layer: 'lab' });
  const settleMs = opts.settleMs ?? 3000;
  const perPathMs = opts.perPathMs ?? (mode === 'parallel' ? 4000 : 2000);
  const maxPaths = opts.maxPaths ?? 16;
  if (!(settleMs >= 0) || !(perPathMs >= 200) || !Number.isInteger(maxPaths) || maxPaths < 1) {
    throw new MediapathError('INVALID_ARGUMENT', `matrix settle ${settleMs} ms, per path ${perPathMs} ms (≥ 200), max paths ${maxPaths}`, { layer: 'lab' });
  }
  const seed = opts.seed ?? 1;
  const probes: Probe[] = [];
  const responders = new Map<number, Responder>();
  const probeBySsrc = new Map<number, Probe>();
  const unattributed = { caller: 0, callee: 0 };
  let skippedPaths = 0;
  let started = false;
  let t0 = 0;
  let finishAt = Infinity;
  let clockRef: FakeClock | undefined;

  const begin = (caller: IceAgent, callee: IceAgent, clock: FakeClock): void => {
    const scheduler = new PacingScheduler({ clock });
    const random = new SeededRandom(seed * 11 + 3);
    const usedSsrcs = new Set<number>();
    const common = { clock, scheduler, rtcpIntervalMs: opts.rtcpIntervalMs ?? 1000, delaySource: 'probe' as const, ...(opts.codec ? { codec: opts.codec } : {}) };
    const session = (path: PairPath, pathInfo: PathInfo | null, on: ((e: MediaEvent) => void) | undefined): MediaSession => {
      // Distinct SSRCs on every stream of the run: a receiver tells the paths apart by them.
      for (;;) {
        const s = new MediaSession({ ...common, random: random.fork(), rtp: path, path: pathInfo, ...(on ? { onEvent: on } : {}) });
        if (!usedSsrcs.has(s.ssrc)) {
          usedSsrcs.add(s.ssrc);
          return s;
        }
        s.close();
      }
    };

    // The responder: answers each probe stream on the pair it arrived on.
    callee.onPairData((pair, component, bytes) => {
      if (component !== 1) return;
      const ssrc = ssrcOf(bytes);
      if (ssrc === undefined) return;
      let r = responders.get(ssrc);
      if (!r) {
        const probe = probeBySsrc.get(ssrc);
        if (!probe || classifyDatagram(bytes) !== 'rtp') {
          unattributed.callee++;
          return;
        }
        const pairId = pair?.id;
        const path = new PairPath((b) => pairId !== undefined && callee.sendOnPair(pairId, b));
        const on = (e: MediaEvent): void => {
          opts.onEvent?.(probe.index, 'callee', e);
          // The probe ended: answer with our own BYE once this datagram is handled.
          if (e.type === 'media.bye') clock.setTimeout(() => r!.session.stop('probe ended'), 0);
        };
        r = { pairId, path, session: session(path, pathInfoOf(pair), on), offPath: 0 };
        responders.set(ssrc, r);
        probe.responder = r;
        r.session.start();
        // Both ends are ours and share the clock: a probe whose BYE is lost still ends on time.
        const ends = r.session;
        clock.setTimeout(() => ends.stop('probe slot over'), Math.max(0, probe.endMs - clock.now()));
      }
      if (pair?.id !== r.pairId) r.offPath++;
      r.path.deliver(bytes);
    });

    // The prober's side: the responders' streams back to the probe they answer.
    caller.onPairData((pair, component, bytes) => {
      if (component !== 1) return;
      const ssrc = ssrcOf(bytes);
      if (ssrc === undefined) return;
      const probe = probes.find((p) => p.responder?.session.ssrc === ssrc);
      if (!probe) {
        unattributed.caller++;
        return;
      }
      if (pair?.id !== probe.pair.id) probe.offPath++;
      probe.path.deliver(bytes);
    });

    clock.setTimeout(() => {
      const seen = new Set<string>();
      const paths: PairView[] = [];
      for (const p of caller.validPairs) {
        if (p.component !== 1 || !p.is('succeeded')) continue;
        const v = p.view();
        const key = wireKey(v);
        if (seen.has(key)) continue;
        seen.add(key);
        if (paths.length < maxPaths) paths.push(v);
        else skippedPaths++;
      }
      const now = clock.now();
      const selectedId = caller.selectedPair(1)?.id;
      paths.forEach((pair, index) => {
        const startMs = now + (mode === 'parallel' ? 0 : index * (perPathMs + SEQUENTIAL_GAP_MS));
        const endMs = startMs + perPathMs;
        const path = new PairPath((b) => caller.sendOnPair(pair.id, b));
        const on = opts.onEvent ? (e: MediaEvent) => opts.onEvent!(index, 'caller', e) : undefined;
        const s = session(path, pathInfoOf(pair), on);
        const probe: Probe = { index, pair, path, session: s, selected: pair.id === selectedId, startMs, endMs, offPath: 0 };
        probes.push(probe);
        probeBySsrc.set(s.ssrc, probe);
        clock.setTimeout(() => s.start(), startMs - now);
        clock.setTimeout(() => s.stop('probe done'), endMs - now);
      });
      finishAt = (probes.length ? Math.max(...probes.map((p) => p.endMs)) : now) + DRAIN_MS;
      started = true;
    }, settleMs);
  };

  const scenario = await runIceScenario(name, {
    strategy: opts.strategy ?? 'lync',
    seed,
    // An upper bound: the run ends as soon as every probe has drained (`until`).
    durationMs: settleMs + maxPaths * (perPathMs + SEQUENTIAL_GAP_MS) + DRAIN_MS + 1000,
    ...(opts.impair ? { impair: opts.impair } : {}),
    until: () => started && clockRef !== undefined && clockRef.now() >= finishAt,
    onStarted: ({ caller, callee, clock }) => {
      clockRef = clock;
      t0 = clock.now();
      begin(caller, callee, clock);
    },
  });
  if (!clockRef) throw new MediapathError('INTERNAL', `ICE scenario ${name} did not start checks: ${scenario.error?.message ?? 'no error given'}`, { layer: 'lab' });
  for (const p of probes) p.session.close();
  for (const r of responders.values()) r.session.close();
  const rows: MatrixRow[] = probes.map((p) => {
    const sent = p.session.report();
    const back = p.responder?.session.report();
    const there = back ? joinEpochs(sent, back, 'probe') : nothingReceived(sent);
    const home = back ? joinEpochs(back, sent, 'probe') : [];
    return {
      index: p.index,
      path: pathInfoOf(p.pair)!,
      callerPair: p.pair.id,
      calleePair: p.responder?.pairId ?? null,
      selected: p.selected,
      nominated: p.pair.nominated,
      startMs: p.startMs - t0,
      endMs: p.endMs - t0,
      callerToCallee: there[there.length - 1]!,
      calleeToCaller: home.length ? home[home.length - 1]! : null,
      offPath: { caller: p.offPath, callee: p.responder?.offPath ?? 0 },
    };
  });
  return { scenario, mode, settleMs, perPathMs, rows, skippedPaths, unattributed };
}
