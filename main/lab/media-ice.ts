import { MediapathError } from '../common/errors';
import type { Disposable } from '../common/events';
import { SeededRandom } from '../common/random';
import type { IceAgent, IceStrategy } from '../ice/agent';
import type { PairView } from '../ice/pair';
import { followSelectedPair, pathInfoOf, pathKind, selectedPathOf, type PathKind } from '../ice/selected-path';
import type { CodecName } from '../media/codecs';
import { joinEpochs, MediaSession, PacingScheduler, type DatagramPath, type MediaEvent, type MediaSessionReport, type PathEpochReport } from '../media/stream';
import { runIceScenario, type IceScenarioName, type IceScenarioResult } from './ice-scenarios';

/**
 * Media over ICE: an agent's component as a DatagramPath (it sends on whatever pair is selected
 * at the moment, so the stream follows every path change by itself), and the adapter that turns
 * the agent's `path.changed` events into the session's epochs.
 */

/** One ICE component as a media path; `send` is false while the component has no selected pair. */
export function icePath(agent: IceAgent, component: number): DatagramPath {
  return selectedPathOf(agent, component);
}

/** The kind of path a pair is (ice/selected-path.ts). */
export const pairPathKind = (p: PairView): PathKind => pathKind(p);

export { pathInfoOf };

/** Every `path.changed` of `component` (default 1, RTP) starts a new epoch of the session. */
export function followIcePath(agent: IceAgent, session: MediaSession, component = 1): Disposable {
  return followSelectedPair(agent, session, component);
}

export interface IceMediaOptions {
  readonly strategy?: IceStrategy;
  readonly seed?: number;
  /** Virtual time after checks start (default: the scenario's, plus 1 s). */
  readonly durationMs?: number;
  readonly codec?: CodecName;
  readonly rtcpIntervalMs?: number;
  readonly onEvent?: (side: 'caller' | 'callee', e: MediaEvent) => void;
}

export interface IceMediaResult {
  readonly scenario: IceScenarioResult;
  readonly caller: MediaSessionReport;
  readonly callee: MediaSessionReport;
  /** Per path epoch, each direction: the sender's path and round trip, the receiver's loss and jitter. */
  readonly callerToCallee: PathEpochReport[];
  readonly calleeToCaller: PathEpochReport[];
}

/**
 * One of the field's ICE scenarios (lab/ice-scenarios.ts) with a call-shaped stream both ways on
 * top: each side's session follows its agent's selected pair, so every path change opens an
 * epoch, and the result is the per-path table of each direction.
 */
export async function runIceMedia(name: IceScenarioName, opts: IceMediaOptions = {}): Promise<IceMediaResult> {
  const seed = opts.seed ?? 1;
  const durationMs = opts.durationMs ?? (name === 'consent-loss' ? 12_000 : 6000);
  let caller: MediaSession | undefined;
  let callee: MediaSession | undefined;
  const scenario = await runIceScenario(name, {
    strategy: opts.strategy ?? 'lync',
    seed,
    durationMs,
    onStarted: ({ caller: a, callee: b, clock }) => {
      const scheduler = new PacingScheduler({ clock });
      const random = new SeededRandom(seed * 7 + 1);
      const common = { clock, scheduler, rtcpIntervalMs: opts.rtcpIntervalMs ?? 1000, delaySource: 'probe' as const, ...(opts.codec ? { codec: opts.codec } : {}) };
      const on = opts.onEvent;
      caller = new MediaSession({ ...common, random: random.fork(), rtp: icePath(a, 1), ...(on ? { onEvent: (e: MediaEvent) => on('caller', e) } : {}) });
      callee = new MediaSession({ ...common, random: random.fork(), rtp: icePath(b, 1), ...(on ? { onEvent: (e: MediaEvent) => on('callee', e) } : {}) });
      followIcePath(a, caller);
      followIcePath(b, callee);
      caller.start();
      callee.start();
      // Stop before the scenario closes the agents, so the last packets and the BYEs arrive.
      clock.setTimeout(() => {
        caller!.stop();
        callee!.stop();
      }, Math.max(0, durationMs - 500));
    },
  });
  if (!caller || !callee) throw new MediapathError('INTERNAL', `ICE scenario ${name} did not start checks: ${scenario.error?.message ?? 'no error given'}`, { layer: 'lab' });
  caller.close();
  callee.close();
  const rc = caller.report();
  const re = callee.report();
  return { scenario, caller: rc, callee: re, callerToCallee: joinEpochs(rc, re, 'probe'), calleeToCaller: joinEpochs(re, rc, 'probe') };
}
