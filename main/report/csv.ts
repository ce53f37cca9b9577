import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { err, ok, type Result } from '../common/result';
import { wallTimeOf, type TimelineReader } from '../session/timeline';
import { mediaIntervals } from '../session/timeline-media';

/**
 * One CSV row per media interval, like the Network Assessment Tool's results file: a file that
 * many runs append to (the header written once), one row per interval with its wall time, so a
 * spreadsheet or a dashboard can chart a site's network over days. RFC 4180 quoting; a figure not
 * measured is an empty field.
 */
export const CSV_COLUMNS = [
  'timestamp',
  'run_started',
  'run',
  'epoch',
  'path_kind',
  'path',
  'interval_ms',
  'packets_sent',
  'packets_expected',
  'packets_received',
  'loss_pct',
  'jitter_ms',
  'rtt_ms',
  'reorder_pct',
  'burst_loss_pct',
  'mos',
] as const;

export const CSV_HEADER = CSV_COLUMNS.join(',');

function field(v: string | number | undefined | null): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The rows (no header) for a Timeline's media intervals. */
export function intervalCsvRows(t: TimelineReader): string[] {
  const meta = t.header.meta ?? {};
  const run = String(meta['scenario'] ?? meta['name'] ?? '');
  return mediaIntervals(t.events).map((i) =>
    [
      new Date(wallTimeOf(t.header, i.endMs)).toISOString(),
      t.header.startedAt,
      run,
      i.ssrc !== undefined ? `${i.ssrc}:${i.epoch}` : i.epoch,
      i.path?.kind,
      i.path?.label,
      i.endMs - i.startMs,
      i.packetsSent,
      i.measured ? i.expected : undefined,
      i.measured ? i.received : undefined,
      i.lossPct,
      i.jitterMs,
      i.rttMs,
      i.reorderPct,
      i.burstLossPct,
      i.mos,
    ]
      .map(field)
      .join(','),
  );
}

/** A whole CSV file: header and rows. */
export function intervalCsv(t: TimelineReader): string {
  return [CSV_HEADER, ...intervalCsvRows(t)].join('\r\n') + '\r\n';
}

/**
 * Appends this run's rows to `file`, writing the header first when the file is new or empty.
 * A file whose first line is another header is left alone (mixing columns would corrupt it).
 */
export async function appendIntervalCsv(file: string, t: TimelineReader): Promise<Result<{ rows: number; created: boolean }, string>> {
  let existing = '';
  try {
    existing = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return err(`${file}: cannot read: ${(e as Error).message}`);
  }
  const rows = intervalCsvRows(t);
  const created = existing.length === 0;
  const firstLine = existing.split(/\r?\n/, 1)[0] ?? '';
  if (!created && firstLine !== CSV_HEADER) return err(`${file}: its first line is not this tool's CSV header; not appending`);
  const body = rows.map((r) => `${r}\r\n`).join('');
  try {
    if (created) await writeFile(file, `${CSV_HEADER}\r\n${body}`, 'utf8');
    else await appendFile(file, (existing.endsWith('\n') ? '' : '\r\n') + body, 'utf8');
  } catch (e) {
    return err(`${file}: cannot write: ${(e as Error).message}`);
  }
  return ok({ rows: rows.length, created });
}
