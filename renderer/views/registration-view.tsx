import type { EngineEvent } from '../../main/api';
import { fmtMs } from '../model/format';
import { registrationOf, plainError, remainingS } from '../model/registration';
import { Badge, Empty, stateTone } from './common';

export function RegistrationView({ events, now }: { events: readonly EngineEvent[]; now?: number }) {
  const { current, history } = registrationOf(events);
  if (!current) {
    return (
      <Empty title="Not registered — no registration events yet.">
        Press Register in the Account panel (or Call, which registers the embedded lab's account first): the REGISTER exchange and the binding show here. A lab ICE
        scenario exchanges candidates directly and does not register.
      </Empty>
    );
  }
  const t = now ?? events.at(-1)?.at ?? current.at;
  return (
    <div className="stack">
      <dl className="facts">
        <dt>State</dt>
        <dd>
          <Badge tone={stateTone(current.state)}>{current.state}</Badge>
        </dd>
        <dt>Registrar</dt>
        <dd className="mono">{current.registrar}</dd>
        {current.aor ? (
          <>
            <dt>Address of record</dt>
            <dd className="mono">{current.aor}</dd>
          </>
        ) : null}
        <dt>Transport</dt>
        <dd>{current.transport ?? '—'}</dd>
        <dt>Expires</dt>
        <dd>{current.expires !== undefined ? `${remainingS(current.at, current.expires, t)} s left of ${current.expires} s` : '—'}</dd>
      </dl>
      {current.error ? (
        <p className="error" role="alert">
          {plainError(current.error)}
        </p>
      ) : null}
      {history.length > 1 ? (
        <table className="grid">
          <caption>History</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">State</th>
              <th scope="col">Registrar</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h, i) => (
              <tr key={i}>
                <td>{fmtMs(h.at - (events[0]?.at ?? 0))}</td>
                <td>{h.state}</td>
                <td className="mono">{h.registrar}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
