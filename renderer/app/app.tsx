import { useCallback, useEffect, useReducer, useState } from 'react';
import type { EventOf, MediapathApi, RunView, Settings, VersionInfo } from '../../main/api';
import { accountNewsFilter, defaultTarget, formFor, latestMras, nextAccountStatus, NEW_ACCOUNT, type AccountForm, type AccountInput, type AccountStatus } from '../model/account';
import { callReducer, IDLE } from '../model/call-state';
import { candidatesOf } from '../model/candidates';
import { chartsOf } from '../model/charts';
import { checksOf } from '../model/checks';
import { headlineOf } from '../model/headline';
import { ladderOf } from '../model/ladder';
import { pathTimelineOf } from '../model/path-timeline';
import { verdictOf } from '../model/verdict';
import { AccountPanel } from '../views/account-panel';
import { CallPanel } from '../views/call-panel';
import { CandidatesView } from '../views/candidates-view';
import { ChartsView } from '../views/charts-view';
import { ChecksView } from '../views/checks-view';
import { Badge } from '../views/common';
import { ExportPanel } from '../views/export-panel';
import { MrasView } from '../views/mras-view';
import { PathTimelineView } from '../views/path-timeline-view';
import { PhaseStrip } from '../views/phase-strip';
import { RegistrationView } from '../views/registration-view';
import { SipLadderView } from '../views/sip-ladder-view';
import { VerdictView } from '../views/verdict-view';
import { RunControls, type Notify } from './controls';
import { Tabs, type TabDef } from './tabs';
import { useTimeline } from './use-timeline';

type Theme = Settings['theme'];

function applyTheme(theme: Theme): string {
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches);
  const eff = dark ? 'dark' : 'light';
  document.documentElement.dataset['theme'] = eff;
  return eff;
}

/** Wall-clock now, ticking once a second only while something counts down. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  return now;
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
  const [form, setForm] = useState<AccountForm>(formFor(undefined));
  const [target, setTarget] = useState('');
  const [account, setAccount] = useState<AccountStatus | null>(null);
  const [mras, setMras] = useState<EventOf<'mras.credentials'> | null>(null);
  const [call, dispatchCall] = useReducer(callReducer, IDLE);
  const notify: Notify = useCallback((text, tone = 'info') => setStatus({ text, tone }), []);
  const onAccount = useCallback((i: AccountInput) => {
    setAccount((prev) => nextAccountStatus(prev, i));
    // A failed or dropped registration takes its MRAS grant with it; a new one brings its own.
    if (i.kind === 'unregistered' || i.kind === 'error') setMras(null);
  }, []);
  const now = useNow(account?.state === 'registered' && account.expiresAt !== undefined);

  useEffect(() => {
    void api.version().then((r) => r.ok && setVersion(r.value));
    void api.getSettings().then((r) => {
      if (!r.ok) return;
      setSettings(r.value);
      setTheme(r.value.theme);
      // The first account of the settings is the one offered (the embedded lab's under `serve`).
      const first = r.value.accounts[0];
      if (first) {
        setForm((f) => (f.id === NEW_ACCOUNT && !f.aor ? formFor(first) : f));
        setTarget((t) => t || defaultTarget(first.aor));
      }
    });
  }, [api]);
  useEffect(() => setEffTheme(applyTheme(theme)), [theme]);

  // What outlives a run — the registration, the MRAS grant, whether a call is up — is read from
  // the live stream itself, not from the current run's list (a new run starts a new list).
  useEffect(() => {
    const isNews = accountNewsFilter();
    return api.onDidEvent((e) => {
      if (isNews(e)) {
        if (e.type === 'registration') onAccount({ kind: 'event', event: e, receivedAt: Date.now() });
        else if (e.type === 'mras.credentials') setMras((m) => latestMras(m, e));
      }
      if (e.type === 'run.started' || e.type === 'run.ended') dispatchCall({ type: 'event', event: e });
    });
  }, [api, onAccount]);

  const changeTheme = (t: Theme): void => {
    setTheme(t);
    if (settings) {
      const next = { ...settings, theme: t };
      setSettings(next);
      void api.saveSettings(next);
    }
  };

  const changeForm = (f: AccountForm): void => {
    // A new account brings its own default target, unless one was typed.
    if (f.id !== form.id && (!target || target === defaultTarget(form.aor))) setTarget(defaultTarget(f.aor));
    setForm(f);
  };

  const opened = (v: RunView, fileName: string): void => {
    replace(v.events);
    const skipped = Object.entries(v.skipped ?? {});
    notify(`Opened ${fileName}: ${v.events.length} events${skipped.length ? ` (not shown: ${skipped.map(([t, n]) => `${n} ${t}`).join(', ')})` : ''}`, 'ok');
  };

  const headline = headlineOf(events);
  const cands = candidatesOf(events);
  const checks = checksOf(events);
  const path = pathTimelineOf(events);
  const epochs = chartsOf(events);
  const ladder = ladderOf(events);
  const verdict = verdictOf(events);
  const tabs: TabDef[] = [
    { id: 'registration', label: 'Registration', render: () => <RegistrationView events={events} /> },
    { id: 'mras', label: 'MRAS', render: () => <MrasView events={events} reveal={() => api.revealMrasCredentials()} /> },
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
        <div className="run-title" data-testid="run-title" aria-live="polite">
          {headline.title}
          {headline.outcome ? (
            <>
              {' — '}
              <Badge tone={headline.tone}>
                <span data-testid="run-outcome">{headline.outcome}</span>
              </Badge>
            </>
          ) : null}
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
      <div className="cards">
        <AccountPanel api={api} accounts={settings?.accounts ?? []} form={form} onForm={changeForm} status={account} mras={mras} onStatus={onAccount} notify={notify} now={now} />
        <div className="cards-side">
          <CallPanel api={api} call={call} dispatch={dispatchCall} target={target} onTarget={setTarget} accountId={form.id === NEW_ACCOUNT ? undefined : form.id} events={events} notify={notify} />
          <section className="card" aria-labelledby="lab-heading">
            <h2 id="lab-heading">Lab scenario</h2>
            <RunControls api={api} settings={settings} notify={notify} running={running} setRunning={setRunning} />
          </section>
          <ExportPanel api={api} hasRun={events.length > 0} onOpened={opened} notify={notify} />
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
