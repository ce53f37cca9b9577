import type { EngineEvent, EventOf } from '../../main/api';

export interface MrasModel {
  readonly current: EventOf<'mras.credentials'> | null;
  /** First grant, then renewals. */
  readonly grants: number;
  readonly lastRenewalAt: number | null;
  readonly failure: EventOf<'mras.failed'> | null;
}

export function mrasOf(events: readonly EngineEvent[]): MrasModel {
  let current: EventOf<'mras.credentials'> | null = null;
  let failure: EventOf<'mras.failed'> | null = null;
  let grants = 0;
  let lastRenewalAt: number | null = null;
  for (const e of events) {
    if (e.type === 'mras.credentials') {
      grants++;
      if (current) lastRenewalAt = e.at;
      current = e;
      failure = null;
    } else if (e.type === 'mras.failed') failure = e;
  }
  return { current, grants, lastRenewalAt, failure };
}
