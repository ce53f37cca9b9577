import { useCallback, useEffect, useRef, useState } from 'react';
import type { MediapathApi, Settings, VersionInfo } from '../../main/api';
import { candidatesOf } from '../model/candidates';
import { chartsOf } from '../model/charts';
import { checksOf } from '../model/checks';
import { ladderOf } from '../model/ladder';
import { pathTimelineOf } from '../model/path-timeline';
import { runInfoOf } from '../model/phases';
import { plainError } from '../model/registration';
import { verdictOf } from '../model/verdict';
import { CandidatesView } from '../views/candidates-view';
import { ChartsView } from '../views/charts-view';
import { ChecksView } from '../views/checks-view';
import { MrasView } from '../views/mras-view';
import { PathTimelineView } from '../views/path-timeline-view';
import { PhaseStrip } from '../views/phase-strip';
import { RegistrationView } from '../views/registration-view';
import { SipLadderView } from '../views/sip-ladder-view';
import { VerdictView } from '../views/verdict-view';
import { AccountForm, CallControls, RunControls, type Notify } from './controls';
import { Tabs, type TabDef } from './tabs';
import { useTimeline } from './use-timeline';

type Theme = Settings['theme'];

function applyTheme(theme: Theme): string {
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches);
  const eff = dark ? 'dark' : 'light';
  document.documentElement.dataset['theme'] = eff;
  return eff;
}

export function App({ api }: { api: MediapathApi }) {
  const { events, replace } = useTimeline(api);
  const [tab, setTab] = useState('candidates');
  const [version, setVersion] = useState<VersionInfo | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [theme, setTheme] = useState<Theme>('system');
  const [effTheme, setEffTheme] = useState('light');
  const [status, setStatus] = useState<{ text: string; tone: 'ok' | 'bad' | 'info' }>({ text: 'Ready.', tone: 'info' });
  const [running, setRunning] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const notify: Notify = useCallback((text, tone = 'info') => setStatus({ text, tone }), []);

  useEffect(() => {
    void api.version().then((r) => r.ok && setVersion(r.value));
    void api.getSettings().then((r) => {
      if (!r.ok) return;
      setSettings(r.value);
      setTheme(r.value.theme);
    });
  }, [api]);
  useEffect(() => setEffTheme(applyTheme(theme)), [theme]);

  const changeTheme = (t: Theme): void => {
    setTheme(t);
    if (settings) {
      const next = { ...settings, theme: t };
      setSettings(next);
      void api.saveSettings(next);
    }
  };

  const exportRun = async (): Promise<void> => {
    const r = await api.exportRun({ format: 'jsonl' });
    if (!r.ok) return notify(plainError(r.error), 'bad');
    const url = URL.createObjectURL(new Blob([r.value.text], { type: r.value.mimeType }));
    const a = document.createElement('a');
    a.href = url;
    a.download = r.value.fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    notify(`Exported ${r.value.fileName}`, 'ok');
  };

  const openRun = async (file: File): Promise<void> => {
    const r = await api.openRun({ text: await file.text(), name: file.name });
    if (!r.ok) return notify(`Could not open ${file.name}: ${r.error.message}`, 'bad');
    replace(r.value.events);
    const skipped = Object.entries(r.value.skipped ?? {});
    notify(`Opened ${file.name}: ${r.value.events.length} events${skipped.length ? ` (not shown: ${skipped.map(([t, n]) => `${n} ${t}`).join(', ')})` : ''}`, 'ok');
  };

  const info = runInfoOf(events);
  const cands = candidatesOf(events);
  const checks = checksOf(events);
  const path = pathTimelineOf(events);
  const epochs = chartsOf(events);
  const ladder = ladderOf(events);
  const verdict = verdictOf(events);
  const tabs: TabDef[] = [
    {
      id: 'registration',
      label: 'Registration',
      render: () => (
        <div className="stack">
          <RegistrationView events={events} />
          <AccountForm api={api} notify={notify} />
        </div>
      ),
    },
    { id: 'mras', label: 'MRAS', render: () => <MrasView events={events} /> },
    { id: 'candidates', label: 'Candidates', badge: cands.local.length + cands.remote.length ? `${cands.local.length}/${cands.remote.length}` : undefined, render: () => <CandidatesView events={events} /> },
    { id: 'checks', label: 'Checks', badge: checks.rows.length ? String(checks.rows.length) : undefined, render: () => <ChecksView events={events} /> },
    { id: 'path', label: 'Path timeline', badge: path.changes.length ? String(path.changes.length) : undefined, render: () => <PathTimelineView events={events} /> },
    { id: 'charts', label: 'Charts', badge: epochs.length ? String(epochs.length) : undefined, render: () => <ChartsView events={events} theme={effTheme} /> },
    { id: 'sip', label: 'SIP ladder', badge: ladder.messages.length ? String(ladder.messages.length) : undefined, render: () => <SipLadderView events={events} /> },
    { id: 'verdict', label: 'Verdict', badge: verdict.verdict ? verdict.verdict.verdict : undefined, render: () => <VerdictView events={events} /> },
  ];

  return (
    <div className="app">
      <header className="top">
        <h1>
          mediapath <span className="muted small">{version ? `${version.version} · ${version.host}` : ''}</span>
        </h1>
        <div className="run-title" data-testid="run-title">
          {info.title}
          {info.ended ? (info.ok ? ' — ok' : ' — not ok') : events.length ? ' — running' : ''}
        </div>
        <label className="theme">
          Theme{' '}
          <select value={theme} onChange={(e) => changeTheme(e.target.value as Theme)} aria-label="Theme">
            <option value="system">system</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
      </header>
      <div className="bar">
        <RunControls api={api} settings={settings} notify={notify} running={running} setRunning={setRunning} />
        <CallControls api={api} notify={notify} />
        <div className="controls">
          <button type="button" onClick={() => fileInput.current?.click()}>
            Open run…
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
              if (f) void openRun(f);
              e.target.value = '';
            }}
          />
          <button type="button" onClick={() => void exportRun()} disabled={!events.length}>
            Export timeline
          </button>
        </div>
      </div>
      <p className={`status status-${status.tone}`} role="status" aria-live="polite" data-testid="status">
        {status.text}
      </p>
      <PhaseStrip events={events} />
      <main>
        <Tabs tabs={tabs} active={tab} onChange={setTab} />
      </main>
    </div>
  );
}
