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

/** `media.stats` grouped per path epoch, in epoch order, with each metric's mean over the epoch. */
export function chartsOf(events: readonly EngineEvent[]): EpochSeries[] {
  const t0 = events[0]?.at ?? 0;
  const epochs = new Map<number, { path: MediaPathView | null; t: number[]; values: Record<Metric, Array<number | null>>; sent: number; received: number }>();
  for (const e of events) {
    if (e.type !== 'media.stats') continue;
    let ep = epochs.get(e.epoch);
    if (!ep) {
      ep = { path: e.path, t: [], values: { lossPct: [], jitterMs: [], rttMs: [], mos: [] }, sent: 0, received: 0 };
      epochs.set(e.epoch, ep);
    }
    ep.path ??= e.path;
    ep.t.push((e.stats.endMs - t0) / 1000);
    for (const m of METRICS) ep.values[m].push(e.stats[m] ?? null);
    ep.sent += e.stats.packetsSent ?? 0;
    ep.received += e.stats.packetsReceived ?? 0;
  }
  return [...epochs.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, ep]) => ({
      epoch,
      path: ep.path,
      t: ep.t,
      values: ep.values,
      summary: { lossPct: mean(ep.values.lossPct), jitterMs: mean(ep.values.jitterMs), rttMs: mean(ep.values.rttMs), mos: mean(ep.values.mos) },
      packetsSent: ep.sent,
      packetsReceived: ep.received,
    }));
}
