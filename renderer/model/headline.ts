import type { EngineEvent } from '../../main/api';
import { phasesOf, runInfoOf } from './phases';

/**
 * The header's one line about the run. The verdict outranks `run.ended`'s ok: ok only says the
 * run got to its end without a crash, the verdict says whether the network is fit for calls — a
 * call that ended cleanly on a lossy path is a FAIL, and the header must not read "ok" then.
 */
export interface Headline {
  readonly title: string;
  readonly outcome: string;
  readonly tone: 'ok' | 'bad' | 'warn' | 'info' | 'muted';
}

export function headlineOf(events: readonly EngineEvent[]): Headline {
  const info = runInfoOf(events);
  let verdict: 'pass' | 'fail' | 'error' | null = null;
  let ended: Extract<EngineEvent, { type: 'run.ended' }> | null = null;
  for (const e of events) {
    if (e.type === 'verdict') verdict = e.verdict;
    else if (e.type === 'run.ended') ended = e;
  }
  if (verdict) return { title: info.title, outcome: verdict.toUpperCase(), tone: verdict === 'pass' ? 'ok' : 'bad' };
  if (ended) return ended.ok ? { title: info.title, outcome: 'ended, no verdict', tone: 'muted' } : { title: info.title, outcome: `ended with an error${ended.error ? ` (${ended.error.code})` : ''}`, tone: 'bad' };
  if (events.length) {
    // A registration's run stays open for the call it leads to: say so rather than "running".
    const p = phasesOf(events);
    const registered = p.find((x) => x.name === 'registration')?.state === 'done';
    const callStarted = p.some((x) => (x.name === 'gathering' || x.name === 'checks' || x.name === 'media') && x.state !== 'pending');
    if (registered && !callStarted) return { title: info.title, outcome: 'registered, no call yet', tone: 'info' };
    return { title: info.title, outcome: 'running', tone: 'info' };
  }
  return { title: info.title, outcome: '', tone: 'muted' };
}
