import type { EngineEvent, PhaseName, PhaseState, RunScenarioInput } from '../api';
import { MediapathError, toErrorInfo } from '../common/errors';
import type { IceEvent } from '../ice/agent';
import { EXPECTED_PATH, ICE_SCENARIOS, runIceScenario, type IceScenarioName, type IceScenarioOptions, type IceScenarioResult } from '../lab/ice-scenarios';
import { iceToEngineEvent } from './ice-timeline';

export type IceScenarioRunner = (name: IceScenarioName, opts: IceScenarioOptions) => Promise<IceScenarioResult>;

export interface LabRunOutcome {
  readonly ok: boolean;
  readonly verdict: 'pass' | 'fail' | 'error';
}

/**
 * A lab ICE scenario as a Timeline: the five phases (registration and MRAS do not take part in
 * a lab ICE run, media not yet), the caller agent's events as they happen, then a verdict and
 * the diagnoses the result supports. Everything is stamped with the scenario's virtual clock.
 */
export async function runLabIce(input: RunScenarioInput, runId: string, emit: (e: EngineEvent) => void, opts: { run?: IceScenarioRunner; wallNow?: () => number } = {}): Promise<LabRunOutcome> {
  if (!(ICE_SCENARIOS as readonly string[]).includes(input.scenario)) {
    throw new MediapathError('SCENARIO_INVALID', `unknown ICE scenario "${input.scenario}"; known: ${ICE_SCENARIOS.join(', ')}`, { layer: 'api' });
  }
  const name = input.scenario as IceScenarioName;
  const run = opts.run ?? runIceScenario;
  let at = 0;
  const put = (e: EngineEvent): void => {
    at = Math.max(at, e.at);
    emit(e);
  };
  const phase = (p: PhaseName, state: PhaseState, detail?: string): void => put({ type: 'phase', at, name: p, state, ...(detail ? { detail } : {}) });
  put({ type: 'run.started', at: 0, runId, title: `lab ICE ${name} · ${input.strategy} · seed ${input.seed}`, source: 'lab', startedAt: (opts.wallNow ?? Date.now)() });
  phase('registration', 'skipped', 'a lab ICE run has no SIP: the two agents exchange candidates directly');
  phase('mras', 'skipped', 'the lab TURN server takes long-term credentials: no MRAS');
  phase('gathering', 'running');
  let checking = false;
  const onEvent = (side: 'caller' | 'callee', e: IceEvent): void => {
    const mapped = iceToEngineEvent(side, e);
    if (!mapped) return;
    put(mapped);
    if (mapped.type === 'gather.done') phase('gathering', 'done', `${mapped.summary.candidates} candidates, ${mapped.summary.failed} failed steps`);
    if (mapped.type === 'ice.state' && mapped.to === 'checking' && !checking) {
      checking = true;
      phase('checks', 'running');
    }
  };
  let result: IceScenarioResult;
  try {
    result = await run(name, { strategy: input.strategy, seed: input.seed, onEvent });
  } catch (e) {
    const error = toErrorInfo(e);
    phase(checking ? 'checks' : 'gathering', 'failed', error.message);
    put({ type: 'verdict', at, verdict: 'error', summary: `the scenario could not run: ${error.code}: ${error.message}` });
    put({ type: 'run.ended', at, runId, ok: false, error });
    return { ok: false, verdict: 'error' };
  }
  phase('checks', result.selected ? 'done' : 'failed', result.selected ? `selected a ${result.selected.path} path` : 'no pair succeeded');
  phase('media', 'skipped', 'media streams are not part of a lab ICE run');
  for (const d of diagnose(result)) put({ type: 'diagnosis', at, ...d });
  const verdict: LabRunOutcome['verdict'] = result.error ? 'error' : result.ok ? 'pass' : 'fail';
  const exp = EXPECTED_PATH[name];
  const expected = `${exp.path}${exp.relayProtocol ? ` (relay over ${exp.relayProtocol})` : ''}`;
  const selected = result.selected ? `${result.selected.path}${result.selected.local.type === 'relay' && result.selected.local.relayProtocol ? ` (relay over ${result.selected.local.relayProtocol})` : ''}` : 'none';
  put({
    type: 'verdict',
    at,
    verdict,
    summary: result.ok ? `ended on the expected ${expected} path` : `ended on ${selected}; expected ${expected}${result.applicable ? '' : ` (scenario not meant for ${input.strategy})`}`,
    checks: [
      { name: 'selected path', ok: !!result.selected && result.selected.path === exp.path, detail: `${selected}, expected ${expected}` },
      ...(name === 'promotion' && input.strategy === 'lync'
        ? [{ name: 'promotion', ok: result.pathChanges.some((c) => c.reason === 'higher-priority-succeeded'), detail: 'a higher-priority pair took over while checks went on' }]
        : []),
      ...(name === 'consent-loss' ? [{ name: 'consent loss', ok: result.pathChanges.some((c) => c.reason === 'consent-lost'), detail: 'the path moved when consent was lost' }] : []),
      { name: 'no leftovers', ok: result.leftovers.timers === 0 && result.leftovers.openResources === 0, detail: `${result.leftovers.timers} timers, ${result.leftovers.openResources} open resources after teardown` },
    ],
  });
  put({ type: 'run.ended', at, runId, ok: result.ok, ...(result.error ? { error: result.error } : {}) });
  return { ok: result.ok, verdict };
}

/** What the lab result itself shows; the session's diagnosis rules (issue 6) go further. */
function diagnose(r: IceScenarioResult): Array<{ id: string; message: string; evidence: string[]; severity: 'info' | 'warning' | 'error' }> {
  const out: Array<{ id: string; message: string; evidence: string[]; severity: 'info' | 'warning' | 'error' }> = [];
  const failedRelays = r.gather.filter((g) => g.kind === 'relay' && g.state === 'failed');
  if (failedRelays.length) {
    out.push({
      id: 'relay-transport-failed',
      message: 'Some relay allocations failed: a firewall may block that transport towards the relay.',
      evidence: failedRelays.map((g) => `${g.server ?? '?'} over ${g.protocol ?? '?'}: ${g.reason ?? 'failed'}`),
      severity: 'info',
    });
  }
  if (!r.selected) {
    out.push({ id: 'no-pair-succeeded', message: 'No candidate pair succeeded: there is no media path between the two sides.', evidence: Object.entries(r.checks).map(([k, v]) => `${v} pairs ${k}`), severity: 'error' });
  } else if (r.selected.path !== r.expected.path) {
    out.push({ id: 'unexpected-path', message: `The call ended on a ${r.selected.path} path where a ${r.expected.path} path was expected.`, evidence: r.pathChanges.map((c) => `${c.at} ms ${c.reason}: ${c.to ?? '(none)'}`), severity: 'warning' });
  }
  if (r.pathChanges.length > 1) {
    out.push({ id: 'path-changed', message: `The media path changed ${r.pathChanges.length - 1} time(s) after the first working pair.`, evidence: r.pathChanges.map((c) => `${c.at} ms ${c.reason}: ${c.to ?? '(none)'}`), severity: 'info' });
  }
  return out;
}
