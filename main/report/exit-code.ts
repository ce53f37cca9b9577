import type { Verdict } from '../session/thresholds';

/** The CLI's exit codes (issue 6): 0 pass, 1 thresholds failed, 2 could not run. */
export type ExitCode = 0 | 1 | 2;

export const EXIT_CODES: Readonly<Record<Verdict, ExitCode>> = { pass: 0, fail: 1, error: 2 };

export function exitCodeFor(verdict: Verdict): ExitCode {
  return EXIT_CODES[verdict];
}
