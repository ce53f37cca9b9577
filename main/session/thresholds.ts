import { err, ok, type Result } from '../common/result';
import { aggregate, type EpochSeries, type IntervalFigures } from './timeline-media';
import type { PathInfoData } from './timeline-events';

/**
 * Whether the network is fit for calls, by named threshold profiles, per metric, per path epoch
 * and overall. The two Microsoft profiles are the network performance targets Microsoft gives for
 * Skype for Business Online and Teams media ("Media quality and network connectivity performance";
 * "Prepare your organization's network for Microsoft Teams"): one for the segment from a client
 * to Microsoft's network edge, one for a customer edge to Microsoft's edge.
 *
 * How each target is measured (docs/report-schema.md repeats this):
 * - `lossPct` "during any 15 s interval": the worst window of consecutive media.stats intervals
 *   spanning at least `windowMs` inside one epoch (the whole epoch when it is shorter);
 *   loss = Σlost / Σexpected over the window.
 * - `jitterMs` "during any 15 s interval": same windows; the window's jitter is the mean of its
 *   intervals' RFC 3550 §A.8 interarrival jitter, weighted by packets received.
 * - `burstLossPct` "during any 200 ms interval": the stats carry no 200 ms windows, so the
 *   closest figure they do carry stands in: the RFC 3611 §4.7.2 burst density (Gmin 16) of the
 *   worst interval, on the packets the network lost (a packet the emulated jitter buffer discarded
 *   arrived: it counts in MOS, not here, as it does not in `lossPct`). A burst runs between losses
 *   fewer than 16 packets (320 ms at 20 ms) apart, so two losses inside one 200 ms window always
 *   make a burst: the proxy is at least as strict.
 * - `reorderPct`: Σreordered / Σexpected over the epoch.
 * - `rttMs`: the epoch's mean RFC 3550 §6.4.1 round trip (LSR/DLSR), weighted by samples.
 * - `oneWayMs`: the mean one-way delay from probe timestamps; only measured in the lab, where
 *   both ends share a clock; elsewhere "not measured", which is not a failure.
 * - `mos` (user-defined profiles only): the epoch's mean G.107 MOS at least `min`.
 * Every limit is strict, as Microsoft writes them ("< 1 %"): a value equal to `max` fails.
 */

export const METRICS = ['lossPct', 'jitterMs', 'rttMs', 'oneWayMs', 'burstLossPct', 'reorderPct', 'mos'] as const;
export type MetricName = (typeof METRICS)[number];

export interface MetricLimit {
  /** Pass when the value is below this. */
  readonly max?: number;
  /** Pass when the value is at least this (MOS). */
  readonly min?: number;
  /** The target holds "during any" window this long (ms); absent: over the whole epoch. */
  readonly windowMs?: number;
}

export interface ThresholdProfile {
  readonly name: string;
  readonly title: string;
  readonly source?: string;
  readonly limits: Readonly<Partial<Record<MetricName, MetricLimit>>>;
}

const MS_SOURCE = 'Microsoft: Media quality and network connectivity performance (Skype for Business Online / Teams network requirements)';

export const MICROSOFT_CLIENT_EDGE: ThresholdProfile = {
  name: 'microsoft-client-edge',
  title: 'Microsoft targets, client to Microsoft network edge',
  source: MS_SOURCE,
  limits: {
    lossPct: { max: 1, windowMs: 15_000 },
    jitterMs: { max: 30, windowMs: 15_000 },
    rttMs: { max: 100 },
    oneWayMs: { max: 50 },
    burstLossPct: { max: 10, windowMs: 200 },
    reorderPct: { max: 0.05 },
  },
};

export const MICROSOFT_EDGE_EDGE: ThresholdProfile = {
  name: 'microsoft-edge-edge',
  title: 'Microsoft targets, customer edge to Microsoft network edge',
  source: MS_SOURCE,
  limits: {
    lossPct: { max: 0.1, windowMs: 15_000 },
    jitterMs: { max: 15, windowMs: 15_000 },
    rttMs: { max: 60 },
    oneWayMs: { max: 30 },
    burstLossPct: { max: 1, windowMs: 200 },
    reorderPct: { max: 0.01 },
  },
};

export const THRESHOLD_PROFILES: Readonly<Record<string, ThresholdProfile>> = {
  [MICROSOFT_CLIENT_EDGE.name]: MICROSOFT_CLIENT_EDGE,
  [MICROSOFT_EDGE_EDGE.name]: MICROSOFT_EDGE_EDGE,
};

export const DEFAULT_PROFILE = MICROSOFT_CLIENT_EDGE;

/**
 * A user-defined profile: the limits given, on top of a named profile's when `base` is given.
 * A limit set to `null` removes the base's limit for that metric.
 */
export function userProfile(
  name: string,
  limits: Readonly<Partial<Record<MetricName, MetricLimit | null>>>,
  base?: ThresholdProfile,
): ThresholdProfile {
  const merged: Partial<Record<MetricName, MetricLimit>> = { ...(base?.limits ?? {}) };
  for (const m of METRICS) {
    const l = limits[m];
    if (l === null) delete merged[m];
    else if (l !== undefined) merged[m] = { ...merged[m], ...l };
  }
  return { name, title: base ? `${name} (from ${base.name})` : name, limits: merged };
}

export function profileByName(name: string): Result<ThresholdProfile, string> {
  const p = THRESHOLD_PROFILES[name];
  return p ? ok(p) : err(`unknown thresholds profile "${name}"; known: ${Object.keys(THRESHOLD_PROFILES).join(', ')}`);
}

export type MetricStatus = 'pass' | 'fail' | 'not-measured';
export type EpochStatus = 'pass' | 'fail' | 'not-measured';
export type Verdict = 'pass' | 'fail' | 'error';

export interface MetricVerdict {
  readonly metric: MetricName;
  readonly status: MetricStatus;
  /** The worst value found (for a windowed metric: of the worst window). */
  readonly value?: number;
  readonly op: '<' | '>=';
  readonly limit: number;
  readonly windowMs?: number;
  /** Where the worst value was found (Timeline ms). */
  readonly window?: { readonly startMs: number; readonly endMs: number };
}

export interface EpochVerdict {
  readonly key: string;
  readonly epoch: number;
  readonly ssrc?: number;
  readonly path: PathInfoData | null;
  readonly status: EpochStatus;
  readonly metrics: readonly MetricVerdict[];
}

export interface ThresholdVerdicts {
  readonly profile: string;
  /** `error`: no epoch had any media to measure. */
  readonly status: Verdict;
  readonly reason: string;
  readonly epochs: readonly EpochVerdict[];
}

/** Windows of consecutive measured intervals spanning at least `windowMs` (the whole run if shorter). */
export function windowsOf(intervals: readonly IntervalFigures[], windowMs: number): IntervalFigures[][] {
  const m = intervals.filter((i) => i.measured);
  if (m.length === 0) return [];
  const span = (a: IntervalFigures, b: IntervalFigures): number => b.endMs - a.startMs;
  if (span(m[0]!, m[m.length - 1]!) <= windowMs) return [m];
  const out: IntervalFigures[][] = [];
  for (let i = 0; i < m.length; i++) {
    let j = i;
    while (j < m.length - 1 && span(m[i]!, m[j]!) < windowMs) j++;
    if (span(m[i]!, m[j]!) < windowMs) break;
    out.push(m.slice(i, j + 1));
  }
  return out;
}

type Figure = 'lossPct' | 'jitterMs' | 'rttMs' | 'oneWayMs' | 'burstLossPct' | 'reorderPct' | 'mos';

function evaluateMetric(metric: MetricName, limit: MetricLimit, e: EpochSeries): MetricVerdict | undefined {
  const isMin = limit.min !== undefined && limit.max === undefined;
  const bound = isMin ? limit.min : limit.max;
  if (bound === undefined) return undefined;
  const op = isMin ? ('>=' as const) : ('<' as const);
  const passes = (v: number): boolean => (isMin ? v >= bound : v < bound);
  const worse = (a: number, b: number): boolean => (isMin ? a < b : a > b);
  const windowed = (metric === 'lossPct' || metric === 'jitterMs') && limit.windowMs !== undefined;
  const candidates: Array<{ value: number; startMs: number; endMs: number }> = [];
  if (windowed) {
    for (const w of windowsOf(e.intervals, limit.windowMs!)) {
      const v = aggregate(w)[metric as Figure];
      if (v !== undefined) candidates.push({ value: v, startMs: w[0]!.startMs, endMs: w[w.length - 1]!.endMs });
    }
  } else if (metric === 'burstLossPct') {
    for (const i of e.intervals) if (i.burstLossPct !== undefined) candidates.push({ value: i.burstLossPct, startMs: i.startMs, endMs: i.endMs });
  } else {
    const v = aggregate(e.intervals)[metric as Figure];
    const measured = e.intervals.filter((i) => i.measured);
    if (v !== undefined) candidates.push({ value: v, startMs: measured[0]?.startMs ?? e.startMs, endMs: measured[measured.length - 1]?.endMs ?? e.endMs });
  }
  const base = { metric, op, limit: bound, ...(limit.windowMs !== undefined ? { windowMs: limit.windowMs } : {}) };
  if (candidates.length === 0) return { ...base, status: 'not-measured' };
  const worst = candidates.reduce((a, b) => (worse(b.value, a.value) ? b : a));
  return { ...base, status: passes(worst.value) ? 'pass' : 'fail', value: worst.value, window: { startMs: worst.startMs, endMs: worst.endMs } };
}

export function evaluateEpoch(e: EpochSeries, profile: ThresholdProfile): EpochVerdict {
  const metrics: MetricVerdict[] = [];
  for (const m of METRICS) {
    const l = profile.limits[m];
    if (!l) continue;
    const v = evaluateMetric(m, l, e);
    if (v) metrics.push(v);
  }
  const measured = e.intervals.some((i) => i.measured);
  const status: EpochStatus = !measured ? 'not-measured' : metrics.some((m) => m.status === 'fail') ? 'fail' : 'pass';
  return { key: e.key, epoch: e.epoch, ...(e.ssrc !== undefined ? { ssrc: e.ssrc } : {}), path: e.path, status, metrics };
}

/**
 * Verdicts for every epoch and overall: `fail` when any measured epoch misses a target, `pass`
 * when every measured epoch meets them all, `error` when no epoch had media to measure (the call
 * did not get that far). Epochs with nothing received are listed as `not-measured`.
 */
export function evaluateThresholds(epochs: readonly EpochSeries[], profile: ThresholdProfile): ThresholdVerdicts {
  const list = epochs.map((e) => evaluateEpoch(e, profile));
  const measured = list.filter((e) => e.status !== 'not-measured');
  if (measured.length === 0) {
    return { profile: profile.name, status: 'error', reason: epochs.length === 0 ? 'no media was measured' : 'no media was received on any path', epochs: list };
  }
  const failed = list.flatMap((e) => e.metrics.filter((m) => m.status === 'fail').map((m) => ({ e, m })));
  if (failed.length === 0) return { profile: profile.name, status: 'pass', reason: `every measured path meets ${profile.name}`, epochs: list };
  const first = failed[0]!;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
  return {
    profile: profile.name,
    status: 'fail',
    reason: `epoch ${first.e.epoch}${first.e.path ? ` (${first.e.path.label})` : ''}: ${describeMetricVerdict(first.m)}${more}`,
    epochs: list,
  };
}

const UNITS: Record<MetricName, string> = { lossPct: '%', jitterMs: ' ms', rttMs: ' ms', oneWayMs: ' ms', burstLossPct: '%', reorderPct: '%', mos: '' };
export const METRIC_TITLES: Record<MetricName, string> = {
  lossPct: 'packet loss',
  jitterMs: 'jitter',
  rttMs: 'round trip',
  oneWayMs: 'one-way latency',
  burstLossPct: 'burst loss',
  reorderPct: 'reorder',
  mos: 'MOS',
};

export function formatMetricValue(metric: MetricName, v: number): string {
  const digits = metric === 'reorderPct' || metric === 'lossPct' || metric === 'burstLossPct' ? 2 : metric === 'mos' ? 2 : 1;
  return `${v.toFixed(digits)}${UNITS[metric]}`;
}

/** `packet loss 2.10% (limit < 1%, any 15 s)`. */
export function describeMetricVerdict(m: MetricVerdict): string {
  const window = m.windowMs !== undefined ? `, any ${m.windowMs >= 1000 ? `${m.windowMs / 1000} s` : `${m.windowMs} ms`}` : '';
  const limit = `${m.op} ${m.limit}${UNITS[m.metric]}${window}`;
  if (m.value === undefined) return `${METRIC_TITLES[m.metric]} not measured (limit ${limit})`;
  return `${METRIC_TITLES[m.metric]} ${formatMetricValue(m.metric, m.value)} (limit ${limit})`;
}
