import type { EngineEvent, PairState, PairView } from '../../main/api';
import { PAIR_STATES } from './constants';
import { comparePriority, pairLabel } from './format';

export interface CheckRow {
  readonly id: string;
  readonly pair: PairView;
  readonly label: string;
  readonly state: PairState;
  readonly rtt?: number;
  readonly nominated: boolean;
  readonly valid: boolean;
  readonly reason: string;
  readonly at: number;
  /** State changes seen for this pair. */
  readonly transitions: number;
}

export interface ChecksModel {
  readonly rows: readonly CheckRow[];
  readonly counts: Readonly<Record<PairState, number>>;
}

/** The check list as it stands: one row per pair, its latest state, highest priority first. */
export function checksOf(events: readonly EngineEvent[]): ChecksModel {
  const rows = new Map<string, CheckRow>();
  for (const e of events) {
    if (e.type === 'check') {
      const prev = rows.get(e.pair.id);
      const rtt = e.rtt ?? e.pair.lastRtt ?? prev?.rtt;
      rows.set(e.pair.id, {
        id: e.pair.id,
        pair: e.pair,
        label: pairLabel(e.pair),
        state: e.to,
        ...(rtt !== undefined ? { rtt } : {}),
        nominated: e.pair.nominated || (prev?.nominated ?? false),
        valid: e.pair.valid || (prev?.valid ?? false),
        reason: e.reason,
        at: e.at,
        transitions: (prev?.transitions ?? 0) + 1,
      });
    } else if (e.type === 'pair.nominated' || e.type === 'pair.valid') {
      const prev = rows.get(e.pair.id);
      if (prev) rows.set(prev.id, { ...prev, ...(e.type === 'pair.nominated' ? { nominated: true } : { valid: true }) });
    }
  }
  const list = [...rows.values()].sort((a, b) => comparePriority(b.pair.priority, a.pair.priority));
  const counts = Object.fromEntries(PAIR_STATES.map((s) => [s, 0])) as Record<PairState, number>;
  for (const r of list) counts[r.state]++;
  return { rows: list, counts };
}

export interface CheckFilter {
  readonly text: string;
  readonly state: PairState | 'all';
}

export function filterChecks(rows: readonly CheckRow[], f: CheckFilter): CheckRow[] {
  const needle = f.text.trim().toLowerCase();
  return rows.filter((r) => (f.state === 'all' || r.state === f.state) && (!needle || r.label.toLowerCase().includes(needle) || r.reason.toLowerCase().includes(needle)));
}
