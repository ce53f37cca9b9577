import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type EngineEvent } from '../../../main/api';
import { ApiServer } from '../../../main/serve/api-server';
import { FileSettingsStore, MemorySettingsStore } from '../../../main/serve/settings-store';

function server(): ApiServer {
  return new ApiServer({ version: '0.0.0-test', host: 'test', settings: new MemorySettingsStore(), wallNow: () => 0 });
}

describe('ApiServer', () => {
  it('runs the promotion lab scenario and streams its Timeline', async () => {
    const api = server();
    const seen: EngineEvent[] = [];
    const off = api.onDidEvent((e) => seen.push(e));
    const r = await api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    off();
    expect(api.listenerCount()).toBe(0);
    expect(r.ok && r.value.verdict).toBe('pass');
    const types = new Set(seen.map((e) => e.type));
    for (const t of ['run.started', 'phase', 'candidate.gathered', 'candidate.remote', 'gather.step', 'check', 'path.changed', 'verdict', 'run.ended']) expect(types, t).toContain(t);
    const local = seen.filter((e) => e.type === 'candidate.gathered').map((e) => (e.type === 'candidate.gathered' ? e.candidate.type : ''));
    const remote = seen.filter((e) => e.type === 'candidate.remote').map((e) => (e.type === 'candidate.remote' ? e.candidate.type : ''));
    expect(local).toContain('host');
    expect(local).toContain('relay');
    expect(remote).toContain('host');
    expect(remote).toContain('relay');
    const reasons = seen.flatMap((e) => (e.type === 'path.changed' ? [e.reason] : []));
    expect(reasons).toContain('higher-priority-succeeded');
    // Timestamps never go back, and the current run is what was streamed.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.at).toBeGreaterThanOrEqual(seen[i - 1]!.at);
    const cur = await api.currentRun();
    expect(cur.ok && cur.value.events).toEqual(seen);
  });

  it('exported run opens again as the same Timeline', async () => {
    const api = server();
    await api.runScenario({ kind: 'ice', scenario: 'inside-inside', strategy: 'rfc8445', seed: 2 });
    const before = await api.currentRun();
    const exp = await api.exportRun();
    expect(exp.ok).toBe(true);
    if (!exp.ok || !before.ok) return;
    expect(exp.value.fileName).toMatch(/\.timeline\.jsonl$/);
    const other = server();
    const opened = await other.openRun({ text: exp.value.text, name: exp.value.fileName });
    expect(opened.ok && opened.value.events).toEqual(before.value.events);
    expect(opened.ok && opened.value.runId).toBe(before.value.runId);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'mp-run-'));
    try {
      const file = path.join(dir, 'run.jsonl');
      await writeFile(file, exp.value.text);
      const fromFile = await other.openRun({ path: file });
      expect(fromFile.ok && fromFile.value.events).toEqual(before.value.events);
      const missing = await other.openRun({ path: path.join(dir, 'nope.jsonl') });
      expect(!missing.ok && missing.error.code).toBe('INVALID_ARGUMENT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates every input and never throws', async () => {
    const api = server();
    const bad = await api.invoke('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 'x' });
    expect(!bad.ok && bad.error.code).toBe('INVALID_ARGUMENT');
    expect(!bad.ok && bad.error.message).toMatch(/seed/);
    const unknown = await api.invoke('constructor', undefined);
    expect(!unknown.ok && unknown.error.code).toBe('INVALID_ARGUMENT');
    const scen = await api.invoke('runScenario', { kind: 'ice', scenario: 'no-such', strategy: 'lync', seed: 1 });
    expect(!scen.ok && scen.error.code).toBe('SCENARIO_INVALID');
    const broken = await api.invoke('openRun', { text: '{"type":"phase","at":1,"name":"gathering","state":"done"}\nnot json\n' });
    expect(!broken.ok && broken.error).toMatchObject({ code: 'TIMELINE_INVALID', message: expect.stringMatching(/^line 2: not JSON/) });
    const v = await api.invoke('version', null);
    expect(v).toEqual({ ok: true, value: { name: 'mediapath', version: '0.0.0-test', host: 'test' } });
  });

  it('opens a session Timeline file: header line skipped, raw agent events mapped, other layers counted', async () => {
    const api = server();
    const cand = { id: 'L1', type: 'host', transport: 'udp', address: '10.1.0.11', port: 5000, family: 4, priority: 2130706431, foundation: '1', component: 1 };
    const lines = [
      { format: 'mediapath-timeline', version: 1, tool: 'mediapath', toolVersion: '0', startedAt: '2026-01-01T00:00:00.000Z', originAt: 0 },
      { seq: 1, type: 'agent.state', from: 'new', to: 'gathering', reason: 'gather started', at: 0 },
      { seq: 2, type: 'candidate.gathered', at: 5, candidate: cand },
      { seq: 3, type: 'provisioning', at: 6, ok: true, mrasUri: 'sip:mras@lab.test' },
    ];
    const r = await api.openRun({ text: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.map((e) => e.type)).toEqual(['ice.state', 'candidate.gathered']);
    expect(r.value.skipped).toEqual({ provisioning: 1 });
    const other = await api.openRun({ text: JSON.stringify({ format: 'pcap' }) + '\n' });
    expect(!other.ok && other.error.message).toMatch(/line 1: unknown format/);
    const none = await api.openRun({ text: JSON.stringify({ type: 'provisioning', at: 1 }) });
    expect(!none.ok && none.error.code).toBe('TIMELINE_INVALID');
    const noAt = await api.openRun({ text: JSON.stringify({ type: 'phase', name: 'media', state: 'done' }) });
    expect(!noAt.ok && noAt.error.message).toMatch(/line 1: .*finite number `at`/);
  });

  it('without a registration: calls outside the lab, answer, hangup, unregister are coded refusals; a registrar that refuses ends the run with the error', async () => {
    const api = server();
    const c = await api.call({ target: 'sip:bob@example.com' });
    expect(!c.ok && c.error.code).toBe('API_NOT_REGISTERED');
    expect(!c.ok && c.error.message).toMatch(/register an account first/);
    expect(await api.answer({})).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    expect(await api.hangup({ callId: 'call-1' })).toMatchObject({ ok: false, error: { code: 'API_NO_SUCH_CALL' } });
    expect(await api.unregister()).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    const seen: EngineEvent[] = [];
    const off = api.onDidEvent((e) => seen.push(e));
    // Port 1 on loopback over TCP: refused at once.
    const r = await api.register({ account: { id: 'a', aor: 'sip:alice@lab.test', registrar: '127.0.0.1:1', transport: 'tcp', username: 'alice' }, password: 'pw-not-shown' });
    off();
    expect(!r.ok && r.error.code).toMatch(/^NET_/);
    expect(seen[0]?.type).toBe('run.started');
    expect(seen.at(-1)).toMatchObject({ type: 'run.ended', ok: false, error: { code: !r.ok ? r.error.code : '' } });
    expect(seen.some((e) => e.type === 'phase' && e.name === 'registration' && e.state === 'failed')).toBe(true);
    expect(JSON.stringify([r, seen])).not.toContain('pw-not-shown');
    await api.close();
  });

  it('one run at a time', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const api = new ApiServer({
      version: '0',
      host: 'test',
      settings: new MemorySettingsStore(),
      runIce: async () => {
        await gate;
        throw new Error('stopped by the test');
      },
    });
    const first = api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    const second = await api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    expect(!second.ok && second.error.code).toBe('API_BUSY');
    release();
    const r = await first;
    expect(r.ok && r.value.verdict).toBe('error');
    const cur = await api.currentRun();
    const last = cur.ok ? cur.value.events.at(-1) : undefined;
    expect(last).toMatchObject({ type: 'run.ended', ok: false, error: { code: 'INTERNAL' } });
  });
});

describe('settings', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mp-settings-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through the config folder and refuses a password', async () => {
    const api = new ApiServer({ version: '0', host: 'test', settings: new FileSettingsStore(dir) });
    expect(await api.getSettings()).toEqual({ ok: true, value: DEFAULT_SETTINGS });
    const next = { ...DEFAULT_SETTINGS, theme: 'dark' as const, accounts: [{ id: 'a', aor: 'sip:alice@lab.test', registrar: 'lab.test:5061', transport: 'tls' as const, username: 'alice' }] };
    expect(await api.saveSettings(next)).toEqual({ ok: true, value: next });
    expect(JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8'))).toEqual(next);
    const withPw = await api.invoke('saveSettings', { ...next, accounts: [{ ...next.accounts[0], password: 'x' }] });
    expect(!withPw.ok && withPw.error.code).toBe('INVALID_ARGUMENT');
    await writeFile(path.join(dir, 'settings.json'), '{ not json');
    expect(await api.getSettings()).toEqual({ ok: true, value: DEFAULT_SETTINGS });
  });
});
