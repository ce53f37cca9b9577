import type { TimelineReader } from '../timeline';
import { mrasFailed } from './mras-failed';
import { noMrasUri } from './no-mras-uri';
import { noPairSucceeded } from './no-pair-succeeded';
import { noReflexive } from './no-reflexive';
import { pathUnsettled } from './path-unsettled';
import { relayAddressUnreachable } from './relay-address-unreachable';
import { relayOneTransport } from './relay-one-transport';
import { srflxNominated } from './srflx-nominated';
import { turnCredentialsUntrusted } from './turn-credentials-untrusted';
import { DEFAULT_DIAGNOSIS_OPTIONS, type Diagnosis, type DiagnosisOptions, type DiagnosisRule } from './types';

export type { Diagnosis, DiagnosisId, DiagnosisOptions, DiagnosisRule, Severity } from './types';
export { DEFAULT_DIAGNOSIS_OPTIONS } from './types';

/** Every rule, in the order of the call's phases (docs/troubleshooting-rules.md lists the same). */
export const DIAGNOSIS_RULES: readonly DiagnosisRule[] = [
  noMrasUri,
  mrasFailed,
  noReflexive,
  relayOneTransport,
  turnCredentialsUntrusted,
  relayAddressUnreachable,
  noPairSucceeded,
  srflxNominated,
  pathUnsettled,
];

/** Runs every rule over the Timeline; the diagnoses come in rule order. */
export function diagnose(t: Pick<TimelineReader, 'events'>, opts: DiagnosisOptions = {}, rules: readonly DiagnosisRule[] = DIAGNOSIS_RULES): Diagnosis[] {
  const o = { ...DEFAULT_DIAGNOSIS_OPTIONS, ...opts };
  return rules.flatMap((r) => {
    const d = r.evaluate(t.events, o);
    return d ? [d] : [];
  });
}

/**
 * A diagnosis as a Timeline entry (main/api's `diagnosis` event), for the UI to show live. The
 * evidence becomes the cited events' sequence numbers as text. Reports never read these entries
 * back: they run the rules again, so a file opened later is judged by the same rules.
 */
export function toDiagnosisEvent(d: Diagnosis, at: number): { type: 'diagnosis'; at: number; id: string; message: string; evidence: string[]; severity: Diagnosis['severity'] } {
  return { type: 'diagnosis', at, id: d.id, message: d.message, evidence: d.evidence.slice(0, 64).map(String), severity: d.severity };
}
