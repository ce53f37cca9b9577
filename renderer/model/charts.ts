import type { EngineEvent, MediaPathView } from '../../main/api';

export const METRICS = ['lossPct', 'jitterMs', 'rttMs', 'mos'] as const;
export type Metric = (typeof METRICS)[number];
/** Axis floors and ceilings: loss in %, MOS on its 1–5 scale (ITU-T P.800), delays from 0. */
export const METRIC_LABELS: Readonly<Record<Metric, { name: string; unit: string; digits: number; yMin: number; yMinTop: number; yMaxTop: number }>> = {
  lossPct: { name: 'Loss', unit: '%', digits: 2, yMin: 0, yMinTop: 2, yMaxTop: 100 },
  jitterMs: { name: 'Jitter', unit: 'ms', digits: 1, yMin: 0, yMinTop: 10, yMaxTop: Infinity },
  rttMs: { name: 'RTT', unit: 'ms', digits: 1, yMin: 0, yMinTop: 20, yMaxTop: Infinity },
  mos: { name: 'MOS', unit: '', digits: 2, yMin: 1, yMinTop: 5, yMaxTop: 5 },
};

export interface EpochSeries {
  readonly epoch: number;
  readonly path: MediaPathView | null;
  /** Seconds since the run started, at each interval's end. */
  readonly t: number[];
  readonly values: Readonly<Record<Metric, Array<number | null>>>;
  readonly summary: Readonly<Record<Metric, number | undefined>>;
  readonly packetsSent: number;
  readonly packetsReceived: number;
}

function mean(xs: ReadonlyArray<number | null>): number | undefined {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
}

type Point = { readonly t: number } & Partial<Record<Metric, number>>;

/**
 * `media.stats` grouped per path epoch, in epoch order, with each metric's mean over the epoch.
 * Received figures go to the epoch the peer sent them on when the engine says so (`byEpoch`): the
 * loss of a cut path, learnt only once the new path delivers, is drawn on the old path's series.
 * The round trip and what we sent belong to the interval's own (current) epoch.
 */
export function chartsOf(events: readonly EngineEvent[]): EpochSeries[] {
  const t0 = events[0]?.at ?? 0;
  const epochs = new Map<number, { path: MediaPathView | null; points: Point[]; sent: number; received: number }>();
  const series = (epoch: number, path: MediaPathView | null) => {
    let ep = epochs.get(epoch);
    if (!ep) {
      ep = { path, points: [], sent: 0, received: 0 };
      epochs.set(epoch, ep);
    }
    ep.path ??= path;
    return ep;
  };
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  for (const e of events) {
    if (e.type !== 'media.stats') continue;
    const t = (e.stats.endMs - t0) / 1000;
    const own = series(e.epoch, e.path);
    own.sent += e.stats.packetsSent ?? 0;
    const parts = e.stats.byEpoch;
    if (!parts) {
      own.points.push(defined({ t, lossPct: e.stats.lossPct, jitterMs: e.stats.jitterMs, rttMs: e.stats.rttMs, mos: e.stats.mos }));
      own.received += e.stats.packetsReceived ?? 0;
      continue;
    }
    const mine = parts.find((p) => p.epoch === e.epoch);
    own.points.push(defined({ t, lossPct: mine?.lossPct, jitterMs: mine?.jitterMs, rttMs: e.stats.rttMs, mos: mine?.mos }));
    for (const p of parts) {
      const ep = p.epoch === e.epoch ? own : series(p.epoch, null);
      ep.received += p.packetsReceived;
      if (p.epoch !== e.epoch) ep.points.push(defined({ t, lossPct: p.lossPct, jitterMs: p.jitterMs, mos: p.mos }));
    }
  }
  return [...epochs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, ep]) => {
      const points = [...ep.points].sort((a, b) => a.t - b.t);
      const values = Object.fromEntries(METRICS.map((m) => [m, points.map((p) => p[m] ?? null)])) as Record<Metric, Array<number | null>>;
      return {
        epoch,
        path: ep.path,
        t: points.map((p) => p.t),
        values,
        summary: { lossPct: mean(values.lossPct), jitterMs: mean(values.jitterMs), rttMs: mean(values.rttMs), mos: mean(values.mos) },
        packetsSent: ep.sent,
        packetsReceived: ep.received,
      };
    });
}
