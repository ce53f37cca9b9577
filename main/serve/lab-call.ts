import { warmUpCallCode } from './warm-up';
import { engineEventSchema, type CallInput, type EngineEvent } from '../api';
import { MediapathError } from '../common/errors';
import { CryptoRandom } from '../common/random';
import { startLoopbackLab, type LabCallWorld } from '../lab/call-lab';
import { reportFromTimeline, toVerdictEvent } from '../report';
import { thresholdsEntry } from '../session/call-events';
import { runTwoPartyCall } from '../session/call-run';
import { DEFAULT_PROFILE } from '../session/thresholds';

/** The embedded lab's domain and its callee: the UI's default target. */
export const LAB_CALL_TARGET = 'sip:bob@lab.test';

export function isLabTarget(target: string): boolean {
  return /@lab\.test$/i.test(target.trim());
}

export interface LabCallOutcome {
  readonly callId: string;
  readonly ok: boolean;
  readonly verdict: 'pass' | 'fail' | 'error';
}

export type LabCallRunner = (input: CallInput, runId: string, emit: (e: EngineEvent) => void) => Promise<LabCallOutcome>;

/**
 * `call` from the UI to the embedded lab (what `mediapath demo` does): the lab starts on loopback
 * (registrar, MRAS, coturn or the lab TURN server), alice calls bob with a promotion, and the
 * caller's Timeline streams to the UI as it happens, as the EngineEvents the views know (other
 * layers' raw entries stay in the Timeline, not on the wire); then the diagnoses and the verdict.
 */
export async function runLabCall(input: CallInput, runId: string, emit: (e: EngineEvent) => void, opts: { start?: () => Promise<LabCallWorld> } = {}): Promise<LabCallOutcome> {
  if (input.target.trim().toLowerCase() !== LAB_CALL_TARGET) {
    throw new MediapathError('INVALID_ARGUMENT', `the embedded lab has alice calling bob: call ${LAB_CALL_TARGET}`, { layer: 'api' });
  }
  await warmUpCallCode();
  const world = await (opts.start ?? (() => startLoopbackLab()))();
  const send = (e: unknown): void => {
    const parsed = engineEventSchema.safeParse(e);
    if (parsed.success) emit(parsed.data);
  };
  let result;
  try {
    result = await runTwoPartyCall(world, {
      strategy: 'lync',
      dialect: 'multipart-draft6',
      codec: 'PCMU',
      random: { caller: new CryptoRandom(), callee: new CryptoRandom() },
      toolVersion: 'serve',
      title: runId,
      meta: { demo: 'loopback', network: world.kind, turn: world.turn.kind },
      preamble: [thresholdsEntry(0, DEFAULT_PROFILE)],
      onEntry: (side, e) => {
        if (side === 'caller') send(e);
      },
    });
  } finally {
    await world.close();
  }
  const t = result.caller.timeline;
  const report = reportFromTimeline(t, { profile: DEFAULT_PROFILE });
  const at = t.events[t.events.length - 1]?.at ?? 0;
  for (const d of report.diagnoses) send({ type: 'diagnosis', at, id: d.id, message: d.message.slice(0, 2048), evidence: d.evidence.slice(0, 64).map(String), severity: d.severity });
  send(toVerdictEvent(report, at));
  return { callId: result.caller.outcome?.callId ?? runId, ok: report.verdict === 'pass', verdict: report.verdict };
}
