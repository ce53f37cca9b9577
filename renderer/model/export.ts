import type { ExportFormat, RunExport } from '../../main/api';

/** The export buttons, in the order shown. */
export const EXPORT_CHOICES: ReadonlyArray<{ readonly format: ExportFormat; readonly label: string; readonly what: string }> = [
  { format: 'json', label: 'JSON', what: 'the report (verdict, phases, paths, figures, diagnoses)' },
  { format: 'junit', label: 'JUnit', what: 'the report as JUnit XML for CI' },
  { format: 'csv', label: 'CSV', what: 'media figures per interval and path epoch' },
  { format: 'summary', label: 'Summary', what: 'the report as plain text, as mediapath report prints it' },
  { format: 'jsonl', label: 'Timeline', what: 'every event, one per line (Open saved run reads it back)' },
  { format: 'bundle', label: 'Evidence bundle', what: 'all of the above in one .zip' },
];

/** The file's bytes: text as is, base64 decoded (the bundle is a zip). */
export function exportBytes(x: RunExport): Uint8Array | string {
  if (x.encoding !== 'base64') return x.text;
  const bin = atob(x.text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
