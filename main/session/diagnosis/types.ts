import type { Stamped, TimelineEvent } from '../timeline';

/** The rules' ids: stable, matched by tests, reports and docs/troubleshooting-rules.md. */
export type DiagnosisId =
  | 'no-mras-uri'
  | 'mras-failed'
  | 'no-reflexive-candidates'
  | 'relay-one-transport'
  | 'turn-credentials-untrusted'
  | 'relay-address-unreachable'
  | 'no-pair-succeeded'
  | 'srflx-nominated'
  | 'path-unsettled';

/** `error`: the call cannot get media this way; `warning`: it works, worse or at risk; `info`: worth knowing. */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnosis {
  readonly id: DiagnosisId;
  readonly severity: Severity;
  /** One plain sentence or two: what happened, what it means, where to look. */
  readonly message: string;
  /** Sequence numbers of the Timeline events the rule used. */
  readonly evidence: readonly number[];
  /** The figures the message was written from, for machines. */
  readonly facts?: Readonly<Record<string, string | number | boolean>>;
}

export interface DiagnosisOptions {
  /** Path changes later than this after pickup count as "still changing" (ms). Default 5000. */
  readonly pathSettleMs?: number;
}

export const DEFAULT_DIAGNOSIS_OPTIONS: Required<DiagnosisOptions> = { pathSettleMs: 5000 };

/** A rule is a pure function of the Timeline's events: same events, same diagnosis. */
export interface DiagnosisRule {
  readonly id: DiagnosisId;
  readonly severity: Severity;
  readonly title: string;
  evaluate(events: readonly Stamped<TimelineEvent>[], opts: Required<DiagnosisOptions>): Diagnosis | undefined;
}
