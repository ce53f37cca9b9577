import { useState } from 'react';
import type { EngineEvent } from '../../main/api';
import { fmtMs } from '../model/format';
import { mrasOf } from '../model/mras';
import { plainError } from '../model/registration';
import { Empty } from './common';

export function MrasView({ events, now }: { events: readonly EngineEvent[]; now?: number }) {
  const [reveal, setReveal] = useState(false);
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
          {reveal ? (c.password ?? '(not shown to the UI)') : '••••••••'}{' '}
          <button type="button" className="link" onClick={() => setReveal(!reveal)} aria-pressed={reveal}>
            {reveal ? 'hide' : 'reveal'}
          </button>
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
