import type { EngineEvent, ExportFormat, RunExport } from '../api';
import { humanSummary, intervalCsv, reportFromTimeline, toJunitXml, type Report } from '../report';
import { zip } from '../report/zip';
import type { ThresholdProfile } from '../session/thresholds';
import { parseTimelineJsonl, timelineToJsonl, type TimelineReader } from '../session/timeline';
import { serializeRun } from './run-file';

/**
 * The current run as a file for the user (exportRun): the UI's event list (jsonl, what openRun
 * reads back), or the CLI's report files built by the same code (main/report) — JSON report,
 * JUnit, interval CSV, the human summary — or all of them in one evidence bundle (.zip).
 *
 * A call made by this engine has its whole session Timeline (every layer's entries, as
 * `mediapath call` writes it); a lab ICE scenario or an opened file has only the events the UI
 * shows, so its report is built from those and the bundle's README says what that leaves out.
 */

export interface ExportSource {
  readonly runId: string | null;
  readonly name: string;
  readonly events: readonly EngineEvent[];
  /** The session Timeline of a call this engine made (absent: only the UI's events exist). */
  readonly timeline?: TimelineReader;
  readonly profile: ThresholdProfile;
  /** Wall time for the archive's entries. */
  readonly now?: Date;
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'run';

function sourceTimeline(s: ExportSource): TimelineReader | undefined {
  if (s.timeline) return s.timeline;
  const r = parseTimelineJsonl(serializeRun(s.events), 'events');
  return r.ok ? r.value : undefined;
}

function reportOf(t: TimelineReader | undefined, s: ExportSource): Report | undefined {
  if (!t) return undefined;
  try {
    return reportFromTimeline(t, { profile: s.profile });
  } catch {
    return undefined;
  }
}

function readme(s: ExportSource, report: Report | undefined, full: boolean): string {
  const lines = [
    `mediapath evidence bundle: ${s.name}`,
    `run: ${s.runId ?? '(none)'}; exported ${(s.now ?? new Date()).toISOString()}`,
    '',
    'report.json     the JSON report (verdict, phases, candidates, path changes, media epochs, diagnoses)',
    'junit.xml       the same verdict as JUnit, one test case per phase and threshold',
    'intervals.csv   media figures per interval and path epoch',
    'summary.txt     the report as `mediapath report` prints it',
    full ? 'timeline.jsonl  the session Timeline: every layer\'s entries (open it with `mediapath report` or in the app)' : 'timeline.jsonl  the events the UI showed (open it in the app)',
    '',
  ];
  if (!full) {
    lines.push(
      'This run was not a call made by this engine (a lab ICE scenario, or a run opened from a file), so only',
      'the events the UI shows exist: the report is built from those. SIP, registration and MRAS sections are',
      'empty unless those events were there, and a run without media has no interval rows and no figures.',
      '',
    );
  }
  if (!report) lines.push('The report could not be built from these events: report.json, junit.xml and summary.txt are absent.', '');
  return lines.join('\n');
}

export function exportRun(format: ExportFormat, s: ExportSource): RunExport {
  const base = safeName(s.runId ?? 'run');
  if (format === 'jsonl') return { fileName: `${base}.timeline.jsonl`, mimeType: 'application/x-ndjson', text: serializeRun(s.events), encoding: 'utf8' };
  const t = sourceTimeline(s);
  const report = reportOf(t, s);
  switch (format) {
    case 'json':
      return { fileName: `${base}.report.json`, mimeType: 'application/json', text: JSON.stringify(report ?? null, null, 2) + '\n', encoding: 'utf8' };
    case 'junit':
      return { fileName: `${base}.junit.xml`, mimeType: 'application/xml', text: report ? toJunitXml(report) : '', encoding: 'utf8' };
    case 'csv':
      return { fileName: `${base}.intervals.csv`, mimeType: 'text/csv', text: t ? intervalCsv(t) : '', encoding: 'utf8' };
    case 'summary':
      return { fileName: `${base}.summary.txt`, mimeType: 'text/plain', text: report ? humanSummary(report) : '', encoding: 'utf8' };
    case 'bundle': {
      const full = !!s.timeline;
      const entries = [
        { name: 'README.txt', data: readme(s, report, full) },
        ...(report ? [{ name: 'report.json', data: JSON.stringify(report, null, 2) + '\n' }, { name: 'junit.xml', data: toJunitXml(report) }, { name: 'summary.txt', data: humanSummary(report) }] : []),
        ...(t ? [{ name: 'intervals.csv', data: intervalCsv(t) }] : []),
        { name: 'timeline.jsonl', data: s.timeline ? timelineToJsonl(s.timeline) : serializeRun(s.events) },
      ];
      const bytes = zip(entries, s.now ?? new Date());
      return { fileName: `${base}.evidence.zip`, mimeType: 'application/zip', text: bytes.toString('base64'), encoding: 'base64' };
    }
  }
}
