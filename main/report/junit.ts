import { METRIC_TITLES } from '../session/thresholds';
import type { Report } from './schema';
import { escapeXml } from './xml';

/**
 * JUnit XML for CI dashboards: one test case per phase and one per threshold per path epoch.
 * A failed phase is a <failure>, a phase the run never finished an <error>; a threshold missed
 * is a <failure>, one that could not be measured is <skipped>. When no media could be measured
 * at all the thresholds suite holds one <error> case saying so. Diagnoses go to <system-out>.
 */

interface Case {
  readonly name: string;
  readonly timeS: number;
  readonly outcome?: { readonly kind: 'failure' | 'error' | 'skipped'; readonly message: string; readonly type?: string; readonly body?: string };
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

function suite(name: string, cases: readonly Case[], systemOut?: string): string {
  const count = (k: string): number => cases.filter((c) => c.outcome?.kind === k).length;
  const time = cases.reduce((s, c) => s + c.timeS, 0);
  const lines = [
    `  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time.toFixed(3)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${escapeXml(name)}" name="${escapeXml(c.name)}" time="${c.timeS.toFixed(3)}"`;
    const o = c.outcome;
    if (!o) {
      lines.push(`${open}/>`);
      continue;
    }
    const type = o.type ? ` type="${escapeXml(o.type)}"` : '';
    const inner = o.body ? `>${escapeXml(o.body)}</${o.kind}>` : '/>';
    lines.push(`${open}>`, `      <${o.kind} message="${escapeXml(o.message)}"${type}${inner}`, '    </testcase>');
  }
  if (systemOut) lines.push(`    <system-out>${escapeXml(systemOut)}</system-out>`);
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function toJunitXml(r: Report): string {
  const phases: Case[] = r.phases.map((p) => ({
    name: p.name,
    timeS: Number(seconds(p.ms)),
    ...(p.state === 'failed'
      ? { outcome: { kind: 'failure' as const, message: `${p.name} failed${p.detail ? `: ${p.detail}` : ''}`, type: 'phase' } }
      : p.state === 'running'
        ? { outcome: { kind: 'error' as const, message: `${p.name} did not finish${p.detail ? `: ${p.detail}` : ''}`, type: 'phase' } }
        : p.state === 'skipped'
          ? { outcome: { kind: 'skipped' as const, message: p.detail ?? 'skipped' } }
          : {}),
  }));
  const epochLabel = new Map(r.epochs.map((e) => [e.key, `epoch ${e.epoch}${e.path ? ` ${e.path}` : ''}`]));
  const thresholds: Case[] = r.thresholds.results.map((t) => ({
    name: `${epochLabel.get(t.epoch) ?? `epoch ${t.epoch}`}: ${METRIC_TITLES[t.metric]} ${t.op} ${t.limit}`,
    timeS: 0,
    ...(t.status === 'fail' ? { outcome: { kind: 'failure' as const, message: t.text, type: 'threshold' } } : t.status === 'not-measured' ? { outcome: { kind: 'skipped' as const, message: t.text } } : {}),
  }));
  if (r.thresholds.status === 'error') thresholds.push({ name: 'media measured', timeS: 0, outcome: { kind: 'error', message: r.thresholds.reason, type: 'thresholds' } });
  const diagnoses = r.diagnoses.map((d) => `[${d.severity}] ${d.id}: ${d.message}`).join('\n');
  const all = [...phases, ...thresholds];
  const count = (k: string): number => all.filter((c) => c.outcome?.kind === k).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mediapath" tests="${all.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(r.run.durationMs)}">`,
    suite('mediapath.phases', phases, diagnoses ? `verdict: ${r.verdict} (${r.verdictReason})\n${diagnoses}` : `verdict: ${r.verdict} (${r.verdictReason})`),
    suite(`mediapath.thresholds.${r.thresholds.profile}`, thresholds),
    '</testsuites>',
    '',
  ].join('\n');
}
