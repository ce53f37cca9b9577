import type { EngineEvent, PhaseName, PhaseState } from '../../main/api';
import { PHASE_NAMES } from './constants';

export interface PhaseRow {
  readonly name: PhaseName;
  readonly state: PhaseState;
  readonly detail?: string;
  readonly at?: number;
}

export const PHASE_LABELS: Readonly<Record<PhaseName, string>> = {
  registration: 'Registration',
  mras: 'MRAS',
  gathering: 'Gathering',
  checks: 'Checks',
  media: 'Media',
};

/** Each phase's latest state; a phase nothing spoke of yet is pending. */
export function phasesOf(events: readonly EngineEvent[]): PhaseRow[] {
  const last = new Map<PhaseName, PhaseRow>();
  for (const e of events) if (e.type === 'phase') last.set(e.name, { name: e.name, state: e.state, at: e.at, ...(e.detail ? { detail: e.detail } : {}) });
  return PHASE_NAMES.map((name) => last.get(name) ?? { name, state: 'pending' });
}

export interface RunInfo {
  readonly runId: string | null;
  readonly title: string;
  readonly source: string | null;
  /** Run-clock ms of the first event: the zero of every time axis. */
  readonly t0: number;
  readonly ended: boolean;
  readonly ok: boolean | null;
}

export function runInfoOf(events: readonly EngineEvent[]): RunInfo {
  const started = events.find((e) => e.type === 'run.started');
  const ended = [...events].reverse().find((e) => e.type === 'run.ended');
  return {
    runId: started?.type === 'run.started' ? started.runId : null,
    title: started?.type === 'run.started' ? started.title : events.length ? 'run' : 'no run yet',
    source: started?.type === 'run.started' ? started.source : null,
    t0: events[0]?.at ?? 0,
    ended: !!ended,
    ok: ended?.type === 'run.ended' ? ended.ok : null,
  };
}
