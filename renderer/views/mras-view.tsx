import { useState } from 'react';
import type { ApiResult, EngineEvent, MrasSecret } from '../../main/api';
import { fmtMs } from '../model/format';
import { mrasOf } from '../model/mras';
import { plainError } from '../model/registration';
import { Empty } from './common';

/**
 * The Timeline never carries the MRAS password (a saved run must not): "reveal" asks the engine
 * for the live credential on purpose, and the page keeps it only while it is shown.
 */
type Revealed = { readonly kind: 'shown'; readonly username: string; readonly password: string } | { readonly kind: 'refused'; readonly message: string } | { readonly kind: 'asking' };

export function MrasView({ events, now, reveal: ask }: { events: readonly EngineEvent[]; now?: number; reveal?: () => Promise<ApiResult<MrasSecret>> }) {
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const m = mrasOf(events);
  const t0 = events[0]?.at ?? 0;
  if (m.failure && !m.current) {
    return (
      <div className="stack">
        <p className="error" role="alert">
          MRAS gave no relay credentials. {m.failure.reason ?? ''} {plainError(m.failure.error)}
        </p>
        <p className="muted">Without MRAS credentials the client cannot allocate on the Edge's media relay: calls to outside users may have no path.</p>
      </div>
    );
  }
  if (!m.current) {
    return (
      <Empty title="No MRAS credentials yet.">
        The Media Relay Authentication Service hands out TURN credentials after registration (Lync/Skype for Business). None were requested in this run — a lab ICE run
        uses the lab TURN server with fixed credentials, and a plain SIP registrar does not offer MRAS.
      </Empty>
    );
  }
  const c = m.current;
  const t = now ?? events.at(-1)?.at ?? c.at;
  const left = c.expiresAt - t;
  return (
    <div className="stack">
      <dl className="facts">
        <dt>MRAS URI</dt>
        <dd className="mono">{c.mrasUri ?? '—'}</dd>
        <dt>User name</dt>
        <dd className="mono" data-testid="mras-username">
          {c.username}
        </dd>
        <dt>Password</dt>
        <dd className="mono">
          <span data-testid="mras-password">{revealed?.kind === 'shown' && revealed.username === c.username ? revealed.password : '••••••••'}</span>{' '}
          {ask ? (
            <button
              type="button"
              className="link"
              aria-pressed={revealed?.kind === 'shown'}
              disabled={revealed?.kind === 'asking'}
              onClick={() => {
                if (revealed?.kind === 'shown') return setRevealed(null);
                setRevealed({ kind: 'asking' });
                void ask().then((r) => setRevealed(r.ok ? { kind: 'shown', username: r.value.username, password: r.value.password } : { kind: 'refused', message: r.error.message }));
              }}
            >
              {revealed?.kind === 'shown' ? 'hide' : 'reveal'}
            </button>
          ) : (
            <span className="muted">(a saved run does not keep it)</span>
          )}
          {revealed?.kind === 'refused' ? (
            <span className="error" role="alert">
              {' '}
              {revealed.message}
            </span>
          ) : null}
        </dd>
        <dt>Lifetime</dt>
        <dd>
          {left > 0 ? `${fmtMs(left)} left` : 'expired'}
          {c.durationS !== undefined ? ` of ${Math.round(c.durationS / 60)} min` : ''}
        </dd>
        <dt>Last renewal</dt>
        <dd>{m.lastRenewalAt !== null ? `at ${fmtMs(m.lastRenewalAt - t0)}` : `none (granted at ${fmtMs(c.at - t0)})`}</dd>
      </dl>
      <table className="grid">
        <caption>Relays</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">UDP</th>
            <th scope="col">TCP</th>
            <th scope="col">Location</th>
          </tr>
        </thead>
        <tbody>
          {c.relays.map((r, i) => (
            <tr key={i}>
              <td className="mono">{r.host}</td>
              <td>{r.udpPort ?? '—'}</td>
              <td>{r.tcpPort ?? '—'}</td>
              <td>{r.location ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
