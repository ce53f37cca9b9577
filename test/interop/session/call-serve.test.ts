import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../main/api';
import { startLoopbackLab } from '../../../main/lab/call-lab';
import { ApiServer } from '../../../main/serve/api-server';
import { runLabCall } from '../../../main/serve/lab-call';
import { MemorySettingsStore } from '../../../main/serve/settings-store';

// The UI's Call button to the embedded lab (sip:bob@lab.test): the loopback lab call of
// `mediapath demo` runs through ApiServer, its caller Timeline streams as EngineEvents the views
// know, then the diagnoses and the verdict. Real sockets, the lab TURN server (coturn is covered
// by the demo's e2e test).

describe('ApiServer.call to the embedded lab', () => {
  it('streams the five phases, the promotion and the verdict; one run at a time', async () => {
    const api = new ApiServer({
      version: '0.0.0-test',
      host: 'test',
      settings: new MemorySettingsStore(),
      runCall: (input, runId, emit) => runLabCall(input, runId, emit, { start: () => startLoopbackLab({ labTurn: true, mediaMs: 2500 }) }),
    });
    const seen: EngineEvent[] = [];
    const off = api.onDidEvent((e) => seen.push(e));
    const pending = api.call({ target: 'sip:bob@lab.test' });
    const busy = await api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    expect(!busy.ok && busy.error.code).toBe('API_BUSY');
    const r = await pending;
    off();
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.ok && r.value.callId).toMatch(/@/);
    const phases = seen.flatMap((e) => (e.type === 'phase' && e.state !== 'running' ? [`${e.name}:${e.state}`] : []));
    expect(phases).toEqual(['registration:done', 'mras:done', 'gathering:done', 'checks:done', 'media:done']);
    const types = new Set(seen.map((e) => e.type));
    for (const t of ['run.started', 'registration', 'mras.credentials', 'sip.sent', 'sip.received', 'candidate.gathered', 'candidate.remote', 'check', 'path.changed', 'media.stats', 'verdict', 'run.ended']) {
      expect(types, t).toContain(t);
    }
    expect(seen.flatMap((e) => (e.type === 'path.changed' ? [e.reason] : []))).toContain('higher-priority-succeeded');
    // No password on the wire: MRAS credentials carry the user name only.
    expect(JSON.stringify(seen.filter((e) => e.type === 'mras.credentials'))).not.toMatch(/password/);
    expect(seen[seen.length - 1]!.type).toBe('verdict');
    const cur = await api.currentRun();
    expect(cur.ok && cur.value.events).toEqual(seen);
  });

  it('a lab target other than bob is refused with the reason', async () => {
    const api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore() });
    const r = await api.call({ target: 'sip:carol@lab.test' });
    expect(!r.ok && r.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('sip:bob@lab.test') });
  });
});
