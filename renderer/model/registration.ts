import type { EngineEvent, EventOf } from '../../main/api';

export interface RegistrationModel {
  readonly current: EventOf<'registration'> | null;
  readonly history: readonly EventOf<'registration'>[];
}

export function registrationOf(events: readonly EngineEvent[]): RegistrationModel {
  const history = events.filter((e): e is EventOf<'registration'> => e.type === 'registration');
  return { current: history.at(-1) ?? null, history };
}

/** Seconds left of a registration or credential at run-clock `now`, never below 0. */
export function remainingS(grantedAt: number, seconds: number, now: number): number {
  return Math.max(0, Math.round(seconds - (now - grantedAt) / 1000));
}

const PLAIN: Readonly<Record<string, string>> = {
  SIP_TIMEOUT: 'The registrar did not answer. Check the address, the port and that the transport is allowed through the firewall.',
  SIP_AUTH_FAILED: 'The registrar refused the user name or password.',
  SIP_REJECTED: 'The registrar refused the registration.',
  NET_CONNECT_FAILED: 'Could not connect to the registrar.',
  NET_TLS_FAILED: 'The TLS connection to the registrar failed (certificate or protocol).',
  NOT_IMPLEMENTED: 'This build cannot do that yet.',
  SIP_AUTH_UNSUPPORTED: 'The registrar asked for an authentication scheme this client does not speak.',
  MRAS_TIMEOUT: 'The media relay service (MRAS) did not answer: calls can offer no relay.',
  MRAS_FAILED: 'The media relay service (MRAS) refused to hand out relay credentials.',
  API_BUSY: 'The engine is busy with another step: wait for it to finish.',
  API_NOT_REGISTERED: 'Register an account first.',
  API_NO_SUCH_CALL: 'There is no such call (it may have ended already).',
  SECRET_STORE_UNAVAILABLE: 'The password cannot be remembered here: this system offers no encrypted store. Register without "remember".',
  INVALID_ARGUMENT: 'The engine refused the input.',
};

/** An error code and message in plain words for the panel. */
export function plainError(e: { code: string; message: string }): string {
  return `${PLAIN[e.code] ?? 'It failed.'} (${e.code}: ${e.message})`;
}
