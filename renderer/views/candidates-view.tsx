import type { CandidateView, EngineEvent } from '../../main/api';
import { candidatesOf, type RemoteCandidate } from '../model/candidates';
import { fmtMs, hostPort, transportLabel } from '../model/format';
import { Badge, Empty, stateTone } from './common';

function CandidateTable({ caption, rows, testId }: { caption: string; rows: ReadonlyArray<CandidateView | RemoteCandidate>; testId: string }) {
  return (
    <div className="scroll">
      <table className="grid" data-testid={testId}>
        <caption>
          {caption} ({rows.length})
        </caption>
        <thead>
          <tr>
            <th scope="col">Comp</th>
            <th scope="col">Type</th>
            <th scope="col">Transport</th>
            <th scope="col">Address</th>
            <th scope="col">Port</th>
            <th scope="col">Priority</th>
            <th scope="col">Foundation</th>
            <th scope="col">Related</th>
            <th scope="col">Via / interface</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={9} className="muted">
                none yet
              </td>
            </tr>
          ) : (
            rows.map((c) => (
              <tr key={c.id} data-type={c.type}>
                <td>{c.component}</td>
                <td>
                  <span className={`kind kind-${c.type}`}>{c.type}</span>
                  {'source' in c && c.source === 'prflx' ? ' (learnt)' : ''}
                </td>
                <td>{transportLabel(c)}</td>
                <td className="mono">{c.address}</td>
                <td className="mono">{c.port}</td>
                <td className="mono num">{c.priority}</td>
                <td className="mono">{c.foundation}</td>
                <td className="mono">{c.relatedAddress !== undefined ? hostPort(c.relatedAddress, c.relatedPort ?? 0) : '—'}</td>
                <td>{[c.relayProtocol && c.type !== 'host' ? `${c.relayProtocol}${c.server ? ` to ${c.server}` : ''}` : '', c.interfaceName ?? ''].filter(Boolean).join(' · ') || '—'}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function CandidatesView({ events }: { events: readonly EngineEvent[] }) {
  const m = candidatesOf(events);
  if (!m.local.length && !m.remote.length && !m.steps.length) {
    return <Empty title="No candidates yet.">Local candidates appear as they are gathered (host per interface, server-reflexive, relayed over UDP and TCP); remote ones when the peer's offer or answer arrives.</Empty>;
  }
  const relaySteps = m.steps.filter((s) => s.kind !== 'host');
  return (
    <div className="stack">
      <section aria-label="Gathering progress">
        <h3>Gathering {m.done ? <Badge tone="ok">done in {fmtMs(m.done.summary.ms)}</Badge> : <Badge tone="info">in progress</Badge>}</h3>
        {relaySteps.length ? (
          <ul className="steps">
            {relaySteps.map((s, i) => (
              <li key={i}>
                <Badge tone={stateTone(s.state)}>{s.state}</Badge> {s.kind} from {s.server ?? '?'} over {s.protocol ?? 'udp'} <span className="muted">({fmtMs(s.ms)})</span>
                {s.reason ? <span className="reason"> — {s.reason}</span> : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No STUN or TURN servers asked yet.</p>
        )}
        {m.byInterface.length ? (
          <p className="muted">
            Per interface: {m.byInterface.map(([k, cs]) => `${k} ${cs.length}`).join(' · ')}
          </p>
        ) : null}
      </section>
      <CandidateTable caption="Local candidates" rows={m.local} testId="local-candidates" />
      <CandidateTable caption="Remote candidates" rows={m.remote} testId="remote-candidates" />
    </div>
  );
}
