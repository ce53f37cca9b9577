import type { CandidateView, EngineEvent, EventOf, GatherStepView } from '../../main/api';

export interface RemoteCandidate extends CandidateView {
  readonly source: 'sdp' | 'prflx';
}

export interface CandidatesModel {
  readonly local: readonly CandidateView[];
  readonly remote: readonly RemoteCandidate[];
  /** Local candidates per interface name (`—` when the engine did not say). */
  readonly byInterface: ReadonlyArray<readonly [string, readonly CandidateView[]]>;
  readonly steps: readonly GatherStepView[];
  readonly done: EventOf<'gather.done'> | null;
}

const byPriority = (a: CandidateView, b: CandidateView): number => b.priority - a.priority || a.id.localeCompare(b.id);

export function candidatesOf(events: readonly EngineEvent[]): CandidatesModel {
  const local = new Map<string, CandidateView>();
  const remote = new Map<string, RemoteCandidate>();
  const steps: GatherStepView[] = [];
  let done: EventOf<'gather.done'> | null = null;
  for (const e of events) {
    if (e.type === 'candidate.gathered') local.set(e.candidate.id, e.candidate);
    else if (e.type === 'candidate.remote') remote.set(e.candidate.id, { ...e.candidate, source: e.source });
    else if (e.type === 'gather.step') steps.push(e.step);
    else if (e.type === 'gather.done') done = e;
  }
  const l = [...local.values()].sort(byPriority);
  const groups = new Map<string, CandidateView[]>();
  for (const c of l) {
    const k = c.interfaceName ?? (c.type === 'host' ? '—' : c.type === 'relay' ? 'relays' : 'reflexive');
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return { local: l, remote: [...remote.values()].sort(byPriority), byInterface: [...groups.entries()], steps, done };
}

