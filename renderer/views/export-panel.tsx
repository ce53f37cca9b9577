import { useRef, useState } from 'react';
import type { ExportFormat, MediapathApi, RunExport, RunView } from '../../main/api';
import { EXPORT_CHOICES, exportBytes } from '../model/export';
import { plainError } from '../model/registration';
import type { Notify } from './account-panel';

/** Hands a file to the browser's downloads: a Blob behind an `<a download>`. */
export function download(x: RunExport): void {
  const bytes = exportBytes(x);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: x.mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = x.fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Export the current run in each format, and open a saved Timeline to replay it. */
export function ExportPanel({ api, hasRun, onOpened, notify }: { api: MediapathApi; hasRun: boolean; onOpened: (v: RunView, fileName: string) => void; notify: Notify }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<ExportFormat | 'open' | null>(null);

  const exportAs = async (format: ExportFormat): Promise<void> => {
    setBusy(format);
    try {
      const r = await api.exportRun({ format });
      if (!r.ok) return notify(plainError(r.error), 'bad');
      download(r.value);
      notify(`Exported ${r.value.fileName}`, 'ok');
    } finally {
      setBusy(null);
    }
  };

  const open = async (file: File): Promise<void> => {
    setBusy('open');
    try {
      const r = await api.openRun({ text: await file.text(), name: file.name });
      if (!r.ok) return notify(`Could not open ${file.name}: ${plainError(r.error)}`, 'bad');
      onOpened(r.value, file.name);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card export-panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Files</h2>
      <div className="controls" role="group" aria-label="Export the run">
        {EXPORT_CHOICES.map((c) => (
          <button key={c.format} type="button" onClick={() => void exportAs(c.format)} disabled={!hasRun || busy !== null} title={c.what} data-format={c.format}>
            {c.label}
          </button>
        ))}
      </div>
      <div className="controls">
        <button type="button" onClick={() => fileInput.current?.click()} disabled={busy !== null}>
          Open saved run…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".jsonl,application/x-ndjson"
          hidden
          aria-label="Open a saved run"
          data-testid="open-run"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void open(f);
            e.target.value = '';
          }}
        />
      </div>
    </section>
  );
}
