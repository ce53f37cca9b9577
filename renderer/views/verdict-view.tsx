import type { EngineEvent } from '../../main/api';
import { verdictOf } from '../model/verdict';
import { Badge, Empty, stateTone } from './common';

export function VerdictView({ events }: { events: readonly EngineEvent[] }) {
  const { verdict, diagnoses, failedChecks } = verdictOf(events);
  return (
    <div className="stack">
      {verdict ? (
        <section aria-label="Verdict" data-testid="verdict">
          <h3>
            <Badge tone={stateTone(verdict.verdict)}>{verdict.verdict.toUpperCase()}</Badge> {verdict.summary}
          </h3>
          {failedChecks.length ? (
            <p className="error" data-testid="failed-checks">
              {failedChecks.length} check{failedChecks.length === 1 ? '' : 's'} did not hold: {failedChecks.map((c) => c.name).join(', ')}.
            </p>
          ) : null}
          {verdict.checks?.length ? (
            <ul className="checks-list">
              {verdict.checks.map((c, i) => (
                <li key={i}>
                  <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'ok' : 'failed'}</Badge> {c.name}
                  {c.detail ? <span className="muted"> — {c.detail}</span> : null}
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : (
        <Empty title="No verdict yet.">The verdict comes at the end of a run: whether the network is fit for calls, and why not.</Empty>
      )}
      <section aria-label="Diagnoses" data-testid="diagnoses">
        <h3>Diagnoses ({diagnoses.length})</h3>
        {diagnoses.length ? (
          <ul className="diagnoses">
            {diagnoses.map((d, i) => (
              <li key={i} className={`diag diag-${d.severity ?? 'info'}`}>
                <strong>{d.message}</strong> <span className="muted mono">[{d.id}]</span>
                {d.evidence.length ? (
                  <ul>
                    {d.evidence.map((x, j) => (
                      <li key={j} className="mono">
                        {x}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{verdict ? 'None: no diagnosis rule found anything to explain in this run.' : 'None yet: the diagnoses come with the verdict.'}</p>
        )}
      </section>
    </div>
  );
}
