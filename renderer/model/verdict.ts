import type { EngineEvent, EventOf } from '../../main/api';

export interface VerdictModel {
  readonly verdict: EventOf<'verdict'> | null;
  readonly diagnoses: readonly EventOf<'diagnosis'>[];
  /** The verdict's checks that did not hold: what made a FAIL, named even when no rule fired. */
  readonly failedChecks: NonNullable<EventOf<'verdict'>['checks']>;
}

/**
 * The verdict and the diagnoses of the run. The diagnoses are `diagnosis` events of their own,
 * emitted after `run.ended`, just before the verdict; they are taken wherever they sit in the
 * list, and a rule reported twice for the same finding (a saved run the engine concluded again)
 * counts once.
 */
export function verdictOf(events: readonly EngineEvent[]): VerdictModel {
  let verdict: EventOf<'verdict'> | null = null;
  const diagnoses = new Map<string, EventOf<'diagnosis'>>();
  for (const e of events) {
    if (e.type === 'verdict') verdict = e;
    else if (e.type === 'diagnosis') diagnoses.set(`${e.id}\n${e.message}`, e);
  }
  return { verdict, diagnoses: [...diagnoses.values()], failedChecks: (verdict?.checks ?? []).filter((c) => !c.ok) };
}
