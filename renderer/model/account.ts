import type { Account, EngineEvent, EventOf, PasswordStorage, RegistrationInfo } from '../../main/api';

/**
 * The registration as the account panel shows it: what the engine said last, from either of its
 * two voices — the `register`/`unregister` answer (RegistrationInfo) or a `registration` event on
 * the stream. It outlives runs: a call starts a new Timeline, the binding stays.
 */
export interface AccountStatus {
  readonly state: string;
  readonly registrar: string;
  readonly aor?: string;
  readonly transport?: string;
  /** Wall-clock ms at which the binding lapses unless refreshed. */
  readonly expiresAt?: number;
  readonly passwordStored?: PasswordStorage;
  readonly error?: { readonly code: string; readonly message: string };
}

export type AccountInput =
  | { readonly kind: 'info'; readonly info: RegistrationInfo }
  | { readonly kind: 'event'; readonly event: EventOf<'registration'>; readonly receivedAt: number }
  | { readonly kind: 'unregistered' }
  | { readonly kind: 'error'; readonly error: { readonly code: string; readonly message: string }; readonly registrar: string };

export function nextAccountStatus(prev: AccountStatus | null, input: AccountInput): AccountStatus {
  // Where the password is kept is said once, by register(); later events do not repeat it.
  const kept = prev?.passwordStored ? { passwordStored: prev.passwordStored } : {};
  switch (input.kind) {
    case 'info': {
      const i = input.info;
      return { state: i.state, registrar: i.registrar, aor: i.aor, transport: i.transport, ...(i.expiresAt !== undefined ? { expiresAt: i.expiresAt } : {}), ...(i.passwordStored ? { passwordStored: i.passwordStored } : kept) };
    }
    case 'event': {
      const e = input.event;
      // RFC 3261 §10.2.4: the granted expiry counts from the 200 OK, which the event stamps.
      const expiresAt = e.state === 'registered' && e.expires !== undefined ? input.receivedAt + e.expires * 1000 : undefined;
      return {
        state: e.state,
        registrar: e.registrar,
        ...(e.aor ? { aor: e.aor } : prev?.aor ? { aor: prev.aor } : {}),
        ...(e.transport ? { transport: e.transport } : prev?.transport ? { transport: prev.transport } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...kept,
        ...(e.error ? { error: e.error } : {}),
      };
    }
    case 'unregistered':
      return { state: 'unregistered', registrar: prev?.registrar ?? '', ...(prev?.aor ? { aor: prev.aor } : {}), ...(prev?.transport ? { transport: prev.transport } : {}), ...kept };
    case 'error':
      return { state: 'failed', registrar: prev?.registrar ?? input.registrar, ...(prev?.aor ? { aor: prev.aor } : {}), error: input.error, ...kept };
  }
}

/** Whole seconds until `expiresAt` (wall clock), never below 0. */
export function secondsLeft(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

export const PASSWORD_STORAGE_TEXT: Readonly<Record<PasswordStorage, string>> = {
  keychain: 'password kept in the OS keychain',
  memory: 'password kept in memory only for this session',
  none: 'not remembered',
};

const isContext = (e: EngineEvent): boolean => e.type === 'registration' || e.type === 'mras.credentials' || (e.type === 'phase' && (e.name === 'registration' || e.name === 'mras'));

/**
 * Tells, event by event, whether a registration or MRAS event is news. A call's run opens with
 * copies of the registration and MRAS entries it rests on, right after its `run.started`: those
 * are context, and must not restart the expiry countdown.
 */
export function accountNewsFilter(): (e: EngineEvent) => boolean {
  let context = false;
  return (e) => {
    if (e.type === 'run.started') context = true;
    else if (context && !isContext(e)) context = false;
    return !context && (e.type === 'registration' || e.type === 'mras.credentials');
  };
}

/** The latest MRAS grant seen on the stream (any run): the panel shows its user name and relays. */
export function latestMras(prev: EventOf<'mras.credentials'> | null, e: EngineEvent): EventOf<'mras.credentials'> | null {
  return e.type === 'mras.credentials' ? e : prev;
}

// ---- the form -----------------------------------------------------------------------------

export interface AccountForm {
  /** A settings account's id, or NEW_ACCOUNT for one typed in. */
  readonly id: string;
  readonly aor: string;
  readonly registrar: string;
  readonly transport: Account['transport'];
  readonly username: string;
  readonly password: string;
  readonly remember: boolean;
}

export const NEW_ACCOUNT = 'new';

export function formFor(account: Account | undefined): AccountForm {
  if (!account) return { id: NEW_ACCOUNT, aor: '', registrar: '', transport: 'udp', username: '', password: '', remember: false };
  return { id: account.id, aor: account.aor, registrar: account.registrar, transport: account.transport, username: account.username, password: '', remember: false };
}

const SIP_URI = /^sips?:[^\s@]+@[^\s@]+$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * The register() input for the form, or what to fix, in plain words (the engine checks again).
 * An empty password is left out: the engine then uses the one it keeps (the lab account's own,
 * or one remembered earlier).
 */
export function registerInputOf(f: AccountForm): { ok: true; value: { account: Account; password?: string; remember?: boolean } } | { ok: false; field: keyof AccountForm; message: string } {
  const aor = f.aor.trim();
  const registrar = f.registrar.trim();
  const username = f.username.trim();
  if (!SIP_URI.test(aor)) return { ok: false, field: 'aor', message: 'The address of record must be a SIP URI like sip:alice@example.com.' };
  if (!HOST_PORT.test(registrar)) return { ok: false, field: 'registrar', message: 'The registrar must be host or host:port, like sip.example.com:5061.' };
  if (!username) return { ok: false, field: 'username', message: 'Enter the user name to authenticate with.' };
  const id = f.id === NEW_ACCOUNT ? 'manual' : f.id;
  return {
    ok: true,
    value: {
      account: { id, aor, registrar, transport: f.transport, username },
      ...(f.password ? { password: f.password } : {}),
      ...(f.remember ? { remember: true } : {}),
    },
  };
}

/** The call target to offer for an account: the lab's answering far end for a lab account. */
export function defaultTarget(aor: string): string {
  return /@lab\.test$/i.test(aor.trim()) ? 'sip:bob@lab.test' : '';
}
