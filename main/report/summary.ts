import type { Report } from './schema';

/**
 * The human summary: what a person reads at the end of a run, in the order the call happened,
 * ending with what went wrong and where to look. Plain ASCII so any terminal or log shows it.
 */

const fmt = (v: number | null, digits: number, unit = ''): string => (v === null ? '-' : `${v.toFixed(digits)}${unit}`);
const sec = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function countBy<T>(xs: readonly T[], key: (x: T) => string): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
}

export function humanSummary(r: Report): string {
  const L: string[] = [];
  const meta = r.run.meta ? Object.entries(r.run.meta).map(([k, v]) => `${k} ${String(v)}`).join(', ') : '';
  L.push(`mediapath ${r.tool.version}, run of ${r.run.startedAt}${meta ? ` (${meta})` : ''}, ${sec(r.run.durationMs)}`);
  L.push(`Verdict: ${r.verdict.toUpperCase()} - ${r.verdictReason}`);
  if (r.phases.length) {
    L.push('', 'Phases:');
    for (const p of r.phases) L.push(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.name.padEnd(13)} ${String(Math.round(p.ms)).padStart(7)} ms  ${p.state === 'done' ? '' : p.state}${p.detail ? ` ${p.detail}` : ''}`.trimEnd());
  }
  if (r.registration) {
    const g = r.registration;
    L.push('', `Registration: ${g.aor ?? ''}${g.registrar ? ` at ${g.registrar}` : ''} ${g.ok ? `registered${g.expiresS !== undefined ? ` for ${g.expiresS} s` : ''}` : `not registered${g.error ? ` (${g.error.code}: ${g.error.message})` : ''}`}`.replace('  ', ' '));
  }
  if (r.mras) {
    const m = r.mras;
    const relays = m.relays.map((x) => `${x.host}${x.udpPort !== undefined ? ` udp ${x.udpPort}` : ''}${x.tcpPort !== undefined ? ` tcp ${x.tcpPort}` : ''}`).join('; ');
    L.push(`MRAS: ${m.ok ? `credentials for ${m.relays.length} relay(s)${relays ? ` (${relays})` : ''}${m.validForMs !== undefined ? `, valid ${(m.validForMs / 3_600_000).toFixed(1)} h` : ''}` : `failed${m.error ? ` (${m.error.code}: ${m.error.message})` : ''}`}`);
  }
  if (r.qoe) L.push(`QoE report: ${r.qoe.qosUri} ${r.qoe.ok ? `took it (${r.qoe.status ?? ''}${r.qoe.ms !== undefined ? ` after ${Math.round(r.qoe.ms)} ms` : ''})` : `not taken${r.qoe.error ? ` (${r.qoe.error.code}: ${r.qoe.error.message})` : r.qoe.status !== undefined ? ` (${r.qoe.status})` : ''}`}`);
  L.push('', `Candidates: local ${r.candidates.local.length} (${countBy(r.candidates.local, (c) => c.type) || 'none'}); remote ${r.candidates.remote.length} (${countBy(r.candidates.remote, (c) => c.type) || 'none'})`);
  if (r.gathering) for (const s of r.gathering.steps.filter((x) => x.kind !== 'host')) L.push(`  ${s.kind.padEnd(6)} ${(s.server ?? '').padEnd(26)} ${(s.protocol ?? '').padEnd(4)} ${s.state}${s.reason ? `: ${s.reason}` : ''}`);
  if (r.checks.pairs > 0) L.push(`Checks: ${r.checks.pairs} pairs (${Object.entries(r.checks.byState).map(([k, v]) => `${k} ${v}`).join(', ')})${r.checks.firstSuccessMs !== null ? `, first success at ${sec(r.checks.firstSuccessMs)}` : ''}`);
  if (r.pathChanges.length) {
    L.push('Path changes:');
    for (const p of r.pathChanges) L.push(`  ${sec(p.atMs).padStart(8)}  ${p.reason.padEnd(26)} ${p.to ?? '(no path)'}`);
  }
  L.push(`Final path: ${r.finalPath ? `${r.finalPath.pathKind}: ${r.finalPath.label}` : 'none'}`);
  L.push('', `Media (thresholds: ${r.thresholds.profile}):`);
  if (r.epochs.length === 0) L.push('  no media measured');
  for (const e of r.epochs) {
    L.push(
      `  epoch ${e.epoch} ${e.pathKind ?? '-'} ${sec(e.durationMs)}: loss ${fmt(e.lossPct, 2, '%')}, jitter ${fmt(e.jitterMs, 1, ' ms')}, rtt ${fmt(e.rttMs, 1, ' ms')}, MOS ${fmt(e.mos, 2)} - ${e.verdict}${e.path ? `\n    ${e.path}` : ''}`,
    );
    for (const t of r.thresholds.results.filter((x) => x.epoch === e.key && x.status === 'fail')) L.push(`    missed: ${t.text}`);
  }
  if (r.diagnoses.length) {
    L.push('', 'Diagnoses:');
    for (const d of r.diagnoses) L.push(`  [${d.severity}] ${d.id}: ${d.message}`);
  }
  return L.join('\n') + '\n';
}
