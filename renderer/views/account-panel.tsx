import { useState } from 'react';
import type { Account, EventOf, MediapathApi } from '../../main/api';
import { NEW_ACCOUNT, PASSWORD_STORAGE_TEXT, formFor, registerInputOf, secondsLeft, type AccountForm, type AccountInput, type AccountStatus } from '../model/account';
import { fmtMs } from '../model/format';
import { plainError } from '../model/registration';
import { Badge, stateTone } from './common';

/** Errors with which the engine refuses a register() before trying it. */
const NOT_TRIED = new Set(['API_BUSY', 'INVALID_ARGUMENT', 'SECRET_STORE_UNAVAILABLE', 'CLOSED']);

export type Notify = (text: string, tone?: 'ok' | 'bad' | 'info') => void;

/**
 * What the engine last said about the registration, the MRAS grant that came with it, and where
 * the password is kept. Every line is always there (a dash until known), so nothing below moves.
 */
export function RegistrationStatus({ status, mras, now, busy }: { status: AccountStatus | null; mras: EventOf<'mras.credentials'> | null; now: number; busy: string | null }) {
  const state = busy ?? status?.state ?? 'unregistered';
  const left = status?.expiresAt !== undefined && status.state === 'registered' ? secondsLeft(status.expiresAt, now) : null;
  const relay = mras?.relays[0];
  return (
    <div className="account-status" aria-live="polite" data-testid="account-status">
      <dl className="facts">
        <dt>State</dt>
        <dd className="wide">
          <Badge tone={stateTone(state)}>
            <span data-testid="account-state">{state}</span>
          </Badge>
          {busy ? <span className="spinner" role="progressbar" aria-label={busy} /> : null}
          {status?.aor ? <span className="mono"> {status.aor}</span> : null}
          {status?.registrar ? <span className="muted"> at </span> : null}
          {status?.registrar ? <span className="mono">{status.registrar}</span> : null}
          {status?.transport ? <span className="muted"> over {status.transport}</span> : null}
        </dd>
        <dt>Expires</dt>
        <dd data-testid="account-expiry">{left !== null ? `in ${fmtMs(left * 1000)}` : '—'}</dd>
        <dt>Password</dt>
        <dd data-testid="account-password-storage">{status?.passwordStored ? PASSWORD_STORAGE_TEXT[status.passwordStored] : '—'}</dd>
        <dt>MRAS user</dt>
        <dd className="mono wide" data-testid="account-mras-username">
          {mras?.username ?? '—'}
        </dd>
        <dt>Relay</dt>
        <dd className="mono wide" data-testid="account-relay">
          {relay ? `${relay.host}${relay.udpPort !== undefined ? ` udp ${relay.udpPort}` : ''}${relay.tcpPort !== undefined ? ` tcp ${relay.tcpPort}` : ''}${mras && mras.relays.length > 1 ? ` (+${mras.relays.length - 1} more)` : ''}` : '—'}
        </dd>
      </dl>
      <p className="error account-error" role={status?.error ? 'alert' : undefined} data-testid="account-error">
        {status?.error ? plainError(status.error) : ''}
      </p>
    </div>
  );
}

/**
 * Pick an account from the settings or type one in, then Register / Unregister. The password is
 * sent with this registration only and the field is cleared after; "remember" asks the engine to
 * keep it (OS keychain in the desktop app, memory only under `mediapath serve`).
 */
export function AccountPanel({
  api,
  accounts,
  form,
  onForm,
  status,
  mras,
  onStatus,
  notify,
  now,
}: {
  api: MediapathApi;
  accounts: readonly Account[];
  form: AccountForm;
  onForm: (f: AccountForm) => void;
  status: AccountStatus | null;
  mras: EventOf<'mras.credentials'> | null;
  onStatus: (i: AccountInput) => void;
  notify: Notify;
  now: number;
}) {
  const [busy, setBusy] = useState<'registering' | 'unregistering' | null>(null);
  const [invalid, setInvalid] = useState<keyof AccountForm | null>(null);
  const set = <K extends keyof AccountForm>(k: K, v: AccountForm[K]): void => {
    if (invalid === k) setInvalid(null);
    onForm({ ...form, [k]: v });
  };
  const registered = status?.state === 'registered';

  const register = async (): Promise<void> => {
    const input = registerInputOf(form);
    if (!input.ok) {
      setInvalid(input.field);
      return notify(input.message, 'bad');
    }
    setBusy('registering');
    notify(`Registering ${input.value.account.aor} at ${input.value.account.registrar}…`, 'info');
    try {
      const r = await api.register(input.value);
      // The password goes no further than this one request.
      onForm({ ...form, password: '' });
      if (r.ok) {
        onStatus({ kind: 'info', info: r.value });
        notify(`Registration: ${r.value.state} as ${r.value.aor}`, r.value.state === 'registered' ? 'ok' : 'info');
      } else {
        // Refused before any REGISTER went out: the registration there was (if any) still stands.
        if (!NOT_TRIED.has(r.error.code)) onStatus({ kind: 'error', error: r.error, registrar: input.value.account.registrar });
        notify(plainError(r.error), 'bad');
      }
    } finally {
      setBusy(null);
    }
  };

  const unregister = async (): Promise<void> => {
    setBusy('unregistering');
    try {
      const r = await api.unregister();
      if (r.ok) {
        onStatus({ kind: 'unregistered' });
        notify('Unregistered.', 'ok');
      } else notify(plainError(r.error), 'bad');
    } finally {
      setBusy(null);
    }
  };

  const field = (k: keyof AccountForm) => ({ name: k, id: `account-${k}`, 'aria-invalid': invalid === k ? true : undefined });
  return (
    <section className="card account-panel" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      <form
        aria-label="Account details"
        onSubmit={(e) => {
          e.preventDefault();
          void register();
        }}
      >
        <div className="form-grid">
          <label htmlFor="account-id">Use account</label>
          <select id="account-id" name="account" className="span" value={form.id} onChange={(e) => onForm(formFor(accounts.find((a) => a.id === e.target.value)))}>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.displayName ? `${a.displayName} (${a.aor})` : `${a.id} — ${a.aor}`}
              </option>
            ))}
            <option value={NEW_ACCOUNT}>Enter an account…</option>
          </select>
          <label htmlFor="account-aor">Address of record</label>
          <input {...field('aor')} value={form.aor} onChange={(e) => set('aor', e.target.value)} placeholder="sip:alice@example.com" autoComplete="off" spellCheck={false} />
          <label htmlFor="account-registrar">Registrar</label>
          <input {...field('registrar')} value={form.registrar} onChange={(e) => set('registrar', e.target.value)} placeholder="host:port" autoComplete="off" spellCheck={false} />
          <label htmlFor="account-transport">Transport</label>
          <select {...field('transport')} value={form.transport} onChange={(e) => set('transport', e.target.value as AccountForm['transport'])}>
            <option value="udp">udp</option>
            <option value="tcp">tcp</option>
            <option value="tls">tls</option>
          </select>
          <label htmlFor="account-username">User name</label>
          <input {...field('username')} value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="username" spellCheck={false} />
          <label htmlFor="account-password">Password</label>
          <input
            {...field('password')}
            type="password"
            value={form.password}
            onChange={(e) => set('password', e.target.value)}
            autoComplete="current-password"
            placeholder={form.id === NEW_ACCOUNT ? '' : '(kept by the engine)'}
            aria-describedby="account-password-hint"
          />
          <label className="check span-pair">
            <input type="checkbox" name="remember" checked={form.remember} onChange={(e) => set('remember', e.target.checked)} aria-describedby="account-password-hint" /> Remember the password
          </label>
        </div>
        <p id="account-password-hint" className="muted small">
          Leave the password empty to use the one the engine keeps for this account. Remembered passwords go to the OS keychain in the desktop app, and stay in memory only under
          mediapath serve.
        </p>
        <div className="controls">
          <button type="submit" className="primary" disabled={busy !== null}>
            Register
          </button>
          <button type="button" onClick={() => void unregister()} disabled={busy !== null || !registered}>
            Unregister
          </button>
        </div>
      </form>
      <RegistrationStatus status={status} mras={mras} now={now} busy={busy} />
    </section>
  );
}
