import type { Stamped, TimelineEvent } from '../session/timeline';
import { eventsOf } from '../session/timeline-events';
import type { ReportPhase } from './schema';

type Events = readonly Stamped<TimelineEvent>[];

/**
 * The call's phases with their timings. The session announces them (`phase` events: running,
 * then done, failed or skipped); a Timeline without them (a lab ICE run, an older file) gets
 * phases worked out from the protocol events, so every report has a phase list.
 */
export function phasesOf(events: Events, origin: number): ReportPhase[] {
  const announced = eventsOf(events, 'phase');
  return announced.length > 0 ? fromPhaseEvents(events, announced, origin) : derivePhases(events, origin);
}

function fromPhaseEvents(events: Events, announced: ReturnType<typeof eventsOf<'phase'>>, origin: number): ReportPhase[] {
  const end = events[events.length - 1]?.at ?? origin;
  const byName = new Map<string, { start?: number; last?: (typeof announced)[number] }>();
  for (const p of announced) {
    let acc = byName.get(p.name);
    if (!acc) {
      acc = {};
      byName.set(p.name, acc);
    }
    if (p.state === 'running' && acc.start === undefined) acc.start = p.at;
    if (p.state !== 'pending' && p.state !== 'running') acc.last = p;
    else if (p.state === 'running' && acc.last) delete acc.last; // ran again (a renewal, a retry)
  }
  return [...byName.entries()].map(([name, a]) => {
    const last = a.last;
    const start = a.start ?? last?.at ?? origin;
    const state = !last ? 'running' : last.state === 'done' || last.state === 'failed' || last.state === 'skipped' ? last.state : 'done';
    const detail = last?.detail ?? (!last ? 'did not finish' : undefined);
    return {
      name,
      ok: state === 'done' || state === 'skipped',
      ms: (last?.at ?? end) - start,
      state,
      startMs: start - origin,
      ...(detail !== undefined ? { detail } : {}),
    };
  });
}

function phase(name: string, ok: boolean, start: number, end: number, origin: number, detail?: string): ReportPhase {
  return { name, ok, ms: Math.max(0, end - start), state: ok ? 'done' : 'failed', startMs: start - origin, ...(detail !== undefined ? { detail } : {}) };
}

/** Phases read from the protocol events, in the order of PROTOCOLS.md §0. */
function derivePhases(events: Events, origin: number): ReportPhase[] {
  const out: ReportPhase[] = [];
  const reg = eventsOf(events, 'registration');
  if (reg.length > 0) {
    const ok = reg.find((e) => e.to === 'registered' || e.state === 'registered');
    const failed = reg.find((e) => e.to === 'failed' || e.state === 'failed');
    const last = ok ?? failed ?? reg[reg.length - 1]!;
    out.push(phase('registration', !!ok, reg[0]!.at, last.at, origin, ok ? undefined : (failed?.error?.message ?? failed?.reason ?? 'not registered')));
  }
  const grants = eventsOf(events, 'mras.credentials');
  const mrasFailures = eventsOf(events, 'mras.failed');
  if (grants.length > 0 || mrasFailures.length > 0) {
    const firstTry = eventsOf(events, 'mras.state').find((e) => e.to === 'requesting');
    const grant = grants[0];
    const end = grant ?? mrasFailures[0]!;
    out.push(phase('mras', !!grant, firstTry?.at ?? end.at, end.at, origin, grant ? undefined : `${mrasFailures[0]!.error.code}: ${mrasFailures[0]!.error.message}`));
  }
  const steps = eventsOf(events, 'gather.step');
  const done = eventsOf(events, 'gather.done')[0];
  const gathered = eventsOf(events, 'candidate.gathered');
  if (steps.length > 0 || done || gathered.length > 0) {
    const all = [...steps, ...gathered];
    const end = done?.at ?? Math.max(...all.map((e) => e.at));
    const start = done?.summary.ms !== undefined ? end - done.summary.ms : Math.min(...all.map((e) => e.at));
    out.push(phase('gathering', gathered.length > 0, start, end, origin, gathered.length > 0 ? undefined : 'no candidate'));
  }
  const checks = eventsOf(events, 'check');
  if (checks.length > 0) {
    const path = eventsOf(events, 'path.changed').find((e) => e.to);
    const lastCheck = checks[checks.length - 1]!;
    out.push(phase('checks', !!path, checks[0]!.at, path?.at ?? lastCheck.at, origin, path ? undefined : 'no candidate pair succeeded'));
  }
  const stats = eventsOf(events, 'media.stats');
  if (stats.length > 0) {
    const received = stats.some((e) => (e.stats.received?.expected ?? 0) > 0 || e.stats.lossPct !== undefined);
    const start = Math.min(...stats.map((e) => e.stats.startMs));
    const end = Math.max(...stats.map((e) => e.stats.endMs));
    out.push(phase('media', received, start, end, origin, received ? undefined : 'no media received'));
  }
  return out;
}
