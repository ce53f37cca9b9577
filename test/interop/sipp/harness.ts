import * as path from 'node:path';
import { expect } from 'vitest';
import { pickFreePort } from '../../support/ports';
import { SIPP_FIXTURES, SippProcess, type SippResult } from '../../support/sipp';

/** What a failed SIPp run printed, for the assertion message. */
export function sippReport(r: SippResult): string {
  return `sipp exit ${r.code} ${r.signal ?? ''}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

export interface SippRun {
  readonly sipp: SippProcess;
  readonly port: number;
}

/**
 * Starts SIPp with a scenario kept in test/fixtures/sipp, on 127.0.0.1 at a port free on UDP
 * and TCP, towards `remote` (`ip:port`) over `transport`. SIPp ends by itself (-timeout,
 * -timeout_error; see SippProcess); `expectSippOk` waits for it and shows its output on failure.
 */
export async function runSipp(
  scenario: string,
  remote: string,
  transport: 'udp' | 'tcp',
  extra: readonly string[] = [],
  timeoutS = 20,
): Promise<SippRun> {
  const port = await pickFreePort('127.0.0.1', { udp: true, tcp: true });
  const sipp = new SippProcess(
    ['-sf', path.join(SIPP_FIXTURES, scenario), '-i', '127.0.0.1', '-p', String(port), '-m', '1', ...(transport === 'tcp' ? ['-t', 't1'] : []), ...extra, remote],
    timeoutS,
  );
  return { sipp, port };
}

export async function expectSippOk(run: SippRun): Promise<SippResult> {
  const r = await run.sipp.done;
  expect(r.code, sippReport(r)).toBe(0);
  return r;
}
