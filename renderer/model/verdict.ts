import type { EngineEvent, EventOf } from '../../main/api';

export interface VerdictModel {
  readonly verdict: EventOf<'verdict'> | null;
  readonly diagnoses: readonly EventOf<'diagnosis'>[];
}

export function verdictOf(events: readonly EngineEvent[]): VerdictModel {
  let verdict: EventOf<'verdict'> | null = null;
  const diagnoses: EventOf<'diagnosis'>[] = [];
  for (const e of events) {
    if (e.type === 'verdict') verdict = e;
    else if (e.type === 'diagnosis') diagnoses.push(e);
  }
  return { verdict, diagnoses };
}
