import type { EngineEvent } from '../../main/api';
import { pathKind, pairLabel } from '../model/format';
import { PHASE_LABELS, phasesOf } from '../model/phases';

/** The five phases at a glance, and the path in use now. */
export function PhaseStrip({ events }: { events: readonly EngineEvent[] }) {
  const phases = phasesOf(events);
  let current: string | null = null;
  let kind = 'none';
  for (const e of events) {
    if (e.type === 'path.changed' && e.component === 1) {
      current = e.to ? pairLabel(e.to) : null;
      kind = e.to ? pathKind(e.to) : 'none';
    }
  }
  return (
    <div className="phase-strip">
      <ol className="phases" aria-label="Phases">
        {phases.map((p) => (
          <li key={p.name} className={`phase phase-${p.state}`} title={p.detail ?? p.state}>
            <span className="phase-name">{PHASE_LABELS[p.name]}</span>
            <span className="phase-state">{p.state}</span>
          </li>
        ))}
      </ol>
      <p className="current-path" aria-live="polite">
        Path now: {current ? <span className={`kind kind-${kind}`}>{kind}</span> : null} <span className="mono">{current ?? 'none'}</span>
      </p>
    </div>
  );
}
