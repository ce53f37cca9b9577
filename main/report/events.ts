import type { Report } from './schema';

/**
 * The report's verdict as a Timeline entry (main/api's `verdict` event): one check per phase and
 * per threshold result, at most 64 (the event's bound), failures first so none is cut off.
 */
export function toVerdictEvent(r: Report, at: number): { type: 'verdict'; at: number; verdict: Report['verdict']; summary: string; checks: Array<{ name: string; ok: boolean; detail?: string }> } {
  const phases = r.phases.map((p) => ({ name: `phase ${p.name}`, ok: p.ok, ...(p.detail ? { detail: p.detail.slice(0, 512) } : {}) }));
  // A person reads "epoch 2 relay", not the stream key (`ssrc:epoch`) the results are keyed by.
  const label = new Map(r.epochs.map((e) => [e.key, `epoch ${e.epoch}${e.pathKind ? ` ${e.pathKind}` : ''}`]));
  const thresholds = r.thresholds.results
    .filter((t) => t.status !== 'not-measured')
    .map((t) => ({ name: `${label.get(t.epoch) ?? `epoch ${t.epoch}`} ${t.metric}`, ok: t.status === 'pass', detail: t.text.slice(0, 512) }));
  const checks = [...phases, ...thresholds].sort((a, b) => Number(a.ok) - Number(b.ok)).slice(0, 64);
  return { type: 'verdict', at, verdict: r.verdict, summary: r.verdictReason.slice(0, 2048), checks };
}
