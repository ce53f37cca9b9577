import { useEffect, useState, type FormEvent } from 'react';
import type { ApiResult, MediapathApi, ScenarioCatalog, Settings } from '../../main/api';
import { plainError } from '../model/registration';
import type { Notify } from '../views/account-panel';

export type { Notify } from '../views/account-panel';

function report<T>(r: ApiResult<T>, notify: Notify, okText: (v: T) => string): void {
  if (r.ok) notify(okText(r.value), 'ok');
  else notify(plainError(r.error), 'bad');
}

/** Scenario, strategy and seed; runs a lab scenario and reports its verdict. */
export function RunControls({ api, settings, notify, running, setRunning }: { api: MediapathApi; settings: Settings | null; notify: Notify; running: boolean; setRunning: (b: boolean) => void }) {
  const [catalog, setCatalog] = useState<ScenarioCatalog | null>(null);
  const [scenario, setScenario] = useState('promotion');
  const [strategy, setStrategy] = useState<'lync' | 'rfc8445'>('lync');
  const [seed, setSeed] = useState('1');

  useEffect(() => {
    void api.scenarios().then((r) => r.ok && setCatalog(r.value));
  }, [api]);
  useEffect(() => {
    if (!settings) return;
    setScenario(settings.lab.scenario);
    setStrategy(settings.lab.strategy);
    setSeed(String(settings.lab.seed));
  }, [settings]);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const n = Number(seed);
    if (!Number.isInteger(n) || n < 0) return notify('The seed must be a whole number, 0 or more.', 'bad');
    setRunning(true);
    notify(`Running lab scenario ${scenario} (${strategy}, seed ${n})…`, 'info');
    try {
      const r = await api.runScenario({ kind: 'ice', scenario, strategy, seed: n });
      report(r, notify, (v) => `Run ${v.runId}: ${v.verdict.toUpperCase()} (${v.events} events)`);
      if (settings) void api.saveSettings({ ...settings, lab: { scenario, strategy, seed: n } });
    } finally {
      setRunning(false);
    }
  };

  return (
    <form className="controls" onSubmit={(e) => void submit(e)} aria-label="Run a lab scenario">
      <label>
        Scenario{' '}
        <select value={scenario} onChange={(e) => setScenario(e.target.value)} name="scenario">
          {(catalog?.ice ?? [{ name: scenario, expectedPath: '', strategies: [] }]).map((s) => (
            <option key={s.name} value={s.name}>
              {s.name}
              {s.expectedPath ? ` → ${s.expectedPath}` : ''}
            </option>
          ))}
        </select>
      </label>
      <label>
        Strategy{' '}
        <select value={strategy} onChange={(e) => setStrategy(e.target.value as 'lync' | 'rfc8445')} name="strategy">
          <option value="lync">lync</option>
          <option value="rfc8445">rfc8445</option>
        </select>
      </label>
      <label>
        Seed <input name="seed" type="number" min={0} step={1} value={seed} onChange={(e) => setSeed(e.target.value)} className="seed" />
      </label>
      <button type="submit" disabled={running} className="primary">
        {running ? 'Running…' : 'Run lab scenario'}
      </button>
    </form>
  );
}
