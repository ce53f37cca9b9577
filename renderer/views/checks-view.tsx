import { useState } from 'react';
import type { EngineEvent, PairState } from '../../main/api';
import { PAIR_STATES } from '../model/constants';
import { checksOf, filterChecks } from '../model/checks';
import { fmtMs, fmtNum } from '../model/format';
import { Badge, Empty, stateTone } from './common';

export function ChecksView({ events }: { events: readonly EngineEvent[] }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<PairState | 'all'>('all');
  const m = checksOf(events);
  if (!m.rows.length) return <Empty title="No connectivity checks yet.">The check list fills once both sides' candidates are paired (RFC 8445 §6.1.2).</Empty>;
  const rows = filterChecks(m.rows, { text, state });
  const t0 = events[0]?.at ?? 0;
  return (
    <div className="stack">
      <div className="toolbar" role="search">
        <label>
          Filter <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="address, type, reason" aria-label="Filter pairs" />
        </label>
        <label>
          State{' '}
          <select value={state} onChange={(e) => setState(e.target.value as PairState | 'all')} aria-label="Pair state">
            <option value="all">all</option>
            {PAIR_STATES.map((s) => (
              <option key={s} value={s}>
                {s} ({m.counts[s]})
              </option>
            ))}
          </select>
        </label>
        <span className="muted" aria-live="polite">
          {rows.length} of {m.rows.length} pairs
        </span>
      </div>
      <div className="scroll tall">
        <table className="grid" data-testid="checks">
          <thead>
            <tr>
              <th scope="col">Pair (local → remote)</th>
              <th scope="col">State</th>
              <th scope="col">RTT</th>
              <th scope="col">Valid</th>
              <th scope="col">Nominated</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} className={r.nominated ? 'nominated' : undefined}>
                <td className="mono">{r.label}</td>
                <td>
                  <Badge tone={stateTone(r.state)}>{r.state}</Badge>
                </td>
                <td className="num">{fmtNum(r.rtt, 1, ' ms')}</td>
                <td>{r.valid ? 'yes' : ''}</td>
                <td>{r.nominated ? 'yes' : ''}</td>
                <td>
                  {fmtMs(r.at - t0)} <span className="muted">{r.reason}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
