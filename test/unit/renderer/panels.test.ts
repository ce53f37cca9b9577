import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ApiResult, EngineEvent, MediapathApi, RunExport, Settings } from '../../../main/api';
import { accountNewsFilter, defaultTarget, formFor, NEW_ACCOUNT, nextAccountStatus, registerInputOf, secondsLeft, type AccountStatus } from '../../../renderer/model/account';
import { callActive, callReducer, IDLE, type CallAction, type CallState } from '../../../renderer/model/call-state';
import { EXPORT_CHOICES, exportBytes } from '../../../renderer/model/export';
import { headlineOf } from '../../../renderer/model/headline';
import { verdictOf } from '../../../renderer/model/verdict';
import { AccountPanel, RegistrationStatus } from '../../../renderer/views/account-panel';
import { CallPanel, CallProgress } from '../../../renderer/views/call-panel';
import { ExportPanel } from '../../../renderer/views/export-panel';
import { VerdictView } from '../../../renderer/views/verdict-view';
import { FULL_CALL } from './fixtures';

const text = (s: string): string => s.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');

const LAB_ACCOUNT = { id: 'lab-alice', aor: 'sip:alice@lab.test', registrar: '127.0.0.1:5060', transport: 'udp' as const, username: 'alice' };

/** A MediapathApi that answers from a table and records what it was asked. */
function fakeApi(over: Partial<MediapathApi> = {}): MediapathApi & { calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  const no = <T>(m: string) =>
    (async (i?: unknown): Promise<ApiResult<T>> => {
      calls.push([m, i]);
      return { ok: false, error: { code: 'NOT_IMPLEMENTED', message: m } };
    }) as never;
  const settings: Settings = { theme: 'light', accounts: [LAB_ACCOUNT], thresholdsProfile: 'client-to-edge', dialect: 'lync-ice2', interfaces: [], lab: { scenario: 'promotion', strategy: 'lync', seed: 1 } };
  return {
    calls,
    version: async () => ({ ok: true, value: { name: 'mediapath', version: '0', host: 'test' } }),
    scenarios: no('scenarios'),
    runScenario: no('runScenario'),
    register: no('register'),
    unregister: no('unregister'),
    call: no('call'),
    answer: no('answer'),
    hangup: no('hangup'),
    openRun: no('openRun'),
    exportRun: no('exportRun'),
    currentRun: async () => ({ ok: true, value: { runId: null, name: 'none', events: [] } }),
    getSettings: async () => ({ ok: true, value: settings }),
    saveSettings: async (s) => ({ ok: true, value: s }),
    revealMrasCredentials: no('revealMrasCredentials'),
    onDidEvent: () => () => undefined,
    ...over,
  };
}

describe('account model', () => {
  it('takes the register() answer, then the stream keeps it current', () => {
    const now = 1_000_000;
    let s = nextAccountStatus(null, { kind: 'info', info: { state: 'registered', registrar: '127.0.0.1:5060', aor: 'sip:alice@lab.test', transport: 'udp', expiresAt: now + 600_000, passwordStored: 'memory' } });
    expect(s).toMatchObject({ state: 'registered', passwordStored: 'memory' });
    expect(secondsLeft(s.expiresAt!, now + 2_500)).toBe(598);
    expect(secondsLeft(s.expiresAt!, now + 700_000)).toBe(0);
    // A refresh on the stream: new expiry from its own grant, the password's keeping unchanged.
    s = nextAccountStatus(s, { kind: 'event', event: { type: 'registration', at: 5, state: 'registered', registrar: '127.0.0.1:5060', expires: 300 }, receivedAt: now + 10_000 });
    expect(s).toMatchObject({ state: 'registered', aor: 'sip:alice@lab.test', transport: 'udp', expiresAt: now + 310_000, passwordStored: 'memory' });
    s = nextAccountStatus(s, { kind: 'unregistered' });
    expect(s).toMatchObject({ state: 'unregistered', registrar: '127.0.0.1:5060' });
    expect(s.expiresAt).toBeUndefined();
  });

  it('a refused registration keeps the code and the engine words', () => {
    const s = nextAccountStatus(null, { kind: 'error', error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden' }, registrar: 'sip.example.com:5061' });
    expect(s).toMatchObject({ state: 'failed', registrar: 'sip.example.com:5061', error: { code: 'SIP_AUTH_FAILED' } });
  });

  it('checks the form in plain words and leaves an empty password out', () => {
    const f = formFor(LAB_ACCOUNT);
    expect(registerInputOf(f)).toEqual({ ok: true, value: { account: LAB_ACCOUNT } });
    expect(registerInputOf({ ...f, password: 'pw', remember: true })).toEqual({ ok: true, value: { account: LAB_ACCOUNT, password: 'pw', remember: true } });
    expect(registerInputOf({ ...f, aor: 'alice' })).toMatchObject({ ok: false, field: 'aor', message: expect.stringMatching(/SIP URI/) });
    expect(registerInputOf({ ...f, registrar: 'a b' })).toMatchObject({ ok: false, field: 'registrar' });
    expect(registerInputOf({ ...f, username: ' ' })).toMatchObject({ ok: false, field: 'username' });
    const typed = { ...formFor(undefined), aor: 'sip:carol@example.com', registrar: 'sip.example.com:5061', transport: 'tls' as const, username: 'carol', password: 'x' };
    expect(typed.id).toBe(NEW_ACCOUNT);
    expect(registerInputOf(typed)).toMatchObject({ ok: true, value: { account: { id: 'manual', transport: 'tls' }, password: 'x' } });
  });

  it("a call run's opening copies of the registration and MRAS grant are not news", () => {
    const isNews = accountNewsFilter();
    const reg: EngineEvent = { type: 'registration', at: 1, state: 'registered', registrar: 'r:5060', expires: 600 };
    const mras = FULL_CALL.find((e) => e.type === 'mras.credentials')!;
    const seq: EngineEvent[] = [
      { type: 'run.started', at: 0, runId: 'register-1', title: 't', source: 'call', startedAt: 0 },
      { type: 'sip.sent', at: 1, text: 'REGISTER sip:lab.test SIP/2.0', peer: 'r:5060', transport: 'udp' },
      reg,
      mras,
      { type: 'run.started', at: 9, runId: 'call-run-2', title: 't', source: 'call', startedAt: 0 },
      { type: 'phase', at: 9, name: 'registration', state: 'done' },
      reg,
      mras,
      { type: 'phase', at: 9, name: 'gathering', state: 'running' },
      reg,
    ];
    expect(seq.map(isNews)).toEqual([false, false, true, true, false, false, false, false, false, true]);
  });

  it('offers the lab far end for a lab account only', () => {
    expect(defaultTarget('sip:alice@lab.test')).toBe('sip:bob@lab.test');
    expect(defaultTarget('sip:carol@example.com')).toBe('');
  });
});

describe('call state', () => {
  const run = (actions: CallAction[], from: CallState = IDLE): CallState => actions.reduce(callReducer, from);
  const started: EngineEvent = { type: 'run.started', at: 0, runId: 'r1', title: 'call', source: 'call', startedAt: 0 };
  const ended: EngineEvent = { type: 'run.ended', at: 9, runId: 'r1', ok: true };

  it('Call → answered at once → the call runs in its own run → it ends', () => {
    let s = run([{ type: 'place' }]);
    expect(s.phase).toBe('placing');
    s = run([{ type: 'event', event: started }, { type: 'placed', callId: 'call-2' }], s);
    expect(s).toEqual({ phase: 'in-call', callId: 'call-2', runId: 'r1' });
    expect(callActive(s)).toBe(true);
    // Another run's end is not this call's.
    expect(run([{ type: 'event', event: { ...ended, runId: 'other' } }], s).phase).toBe('in-call');
    s = run([{ type: 'hangup' }], s);
    expect(s.phase).toBe('hanging-up');
    expect(run([{ type: 'event', event: ended }], s).phase).toBe('idle');
  });

  it('the first call after Register continues the registration run: its end ends the call', () => {
    const s = run([{ type: 'place' }, { type: 'placed', callId: 'call-1' }]);
    expect(s).toEqual({ phase: 'in-call', callId: 'call-1', runId: null });
    expect(run([{ type: 'event', event: { ...ended, runId: 'register-1' } }], s).phase).toBe('idle');
  });

  it('an engine that answers when the call is over leaves nothing to hang up', () => {
    const s = run([{ type: 'place' }, { type: 'event', event: { ...started, source: 'lab' } }, { type: 'event', event: ended }, { type: 'placed', callId: 'c1' }]);
    expect(s).toMatchObject({ phase: 'idle', callId: 'c1' });
  });

  it('a refused call, a call that ended by itself, an answered call', () => {
    expect(run([{ type: 'place' }, { type: 'failed' }])).toEqual(IDLE);
    const upCall = run([{ type: 'place' }, { type: 'event', event: started }, { type: 'placed', callId: 'c1' }, { type: 'hangup' }]);
    expect(run([{ type: 'hangup-failed', code: 'API_NO_SUCH_CALL' }], upCall).phase).toBe('idle');
    expect(run([{ type: 'hangup-failed', code: 'CLOSED' }], upCall).phase).toBe('in-call');
    // A registration's run starting is not a call.
    expect(run([{ type: 'event', event: started }])).toEqual(IDLE);
    expect(run([{ type: 'answered', callId: 'call-3' }])).toEqual({ phase: 'in-call', callId: 'call-3', runId: null });
  });
});

describe('the header and the verdict (issue 7 bugs)', () => {
  const base = FULL_CALL.filter((e) => e.type !== 'verdict' && e.type !== 'diagnosis' && e.type !== 'run.ended');
  const ended: EngineEvent = { type: 'run.ended', at: 3800, runId: 'fixture-call-1', ok: true };
  const diag = (id: string): EngineEvent => ({ type: 'diagnosis', at: 3800, id, message: `${id} happened`, evidence: ['12'], severity: 'warning' });
  const fail: EngineEvent = { type: 'verdict', at: 3800, verdict: 'fail', summary: 'epoch 2: burst loss 25.00%', checks: [{ name: 'epoch 2 burstLossPct', ok: false, detail: 'burst loss 25.00%' }, { name: 'phase media', ok: true }] };

  it('a call that ended cleanly but failed its thresholds reads FAIL, not ok', () => {
    expect(headlineOf([...base, ended, fail])).toMatchObject({ outcome: 'FAIL', tone: 'bad' });
    expect(headlineOf([...base, ended])).toMatchObject({ outcome: 'ended, no verdict' });
    expect(headlineOf(base)).toMatchObject({ outcome: 'running' });
    const registeredOnly = base.slice(0, base.findIndex((e) => e.type === 'mras.credentials') + 2);
    expect(headlineOf(registeredOnly)).toMatchObject({ outcome: 'registered, no call yet' });
    expect(headlineOf([...base, { ...ended, ok: false, error: { code: 'SIP_TIMEOUT', message: 'x' } }])).toMatchObject({ outcome: 'ended with an error (SIP_TIMEOUT)', tone: 'bad' });
    expect(headlineOf([])).toMatchObject({ title: 'no run yet', outcome: '' });
  });

  it('diagnoses after run.ended and the verdict are counted, each finding once', () => {
    const events = [...base, ended, diag('path-unsettled'), diag('relay-one-transport'), fail, diag('path-unsettled')];
    const v = verdictOf(events);
    expect(v.diagnoses.map((d) => d.id)).toEqual(['path-unsettled', 'relay-one-transport']);
    expect(v.failedChecks.map((c) => c.name)).toEqual(['epoch 2 burstLossPct']);
    const t = text(renderToString(createElement(VerdictView, { events })));
    expect(t).toMatch(/FAIL epoch 2: burst loss 25\.00%/);
    expect(t).toMatch(/1 check did not hold: epoch 2 burstLossPct/);
    expect(t).toMatch(/Diagnoses \(2\)/);
  });
});

describe('exports', () => {
  it('six choices; the bundle is base64 of a zip, the others text', () => {
    expect(EXPORT_CHOICES.map((c) => c.label)).toEqual(['JSON', 'JUnit', 'CSV', 'Summary', 'Timeline', 'Evidence bundle']);
    const zip: RunExport = { fileName: 'run.zip', mimeType: 'application/zip', text: Buffer.from([0x50, 0x4b, 3, 4, 255]).toString('base64'), encoding: 'base64' };
    expect([...(exportBytes(zip) as Uint8Array)]).toEqual([0x50, 0x4b, 3, 4, 255]);
    expect(exportBytes({ fileName: 'r.json', mimeType: 'application/json', text: '{"a":1}', encoding: 'utf8' })).toBe('{"a":1}');
  });
});

describe('panels rendered with a fake API', () => {
  const status: AccountStatus = { state: 'registered', registrar: '127.0.0.1:5060', aor: 'sip:alice@lab.test', transport: 'udp', expiresAt: 1_600_000, passwordStored: 'memory' };
  const mras = FULL_CALL.find((e) => e.type === 'mras.credentials') as Extract<EngineEvent, { type: 'mras.credentials' }>;

  it('account panel: the settings account, a masked password field, Unregister only when registered', () => {
    const api = fakeApi();
    const props = { api, accounts: [LAB_ACCOUNT], form: formFor(LAB_ACCOUNT), onForm: () => undefined, mras: null, onStatus: () => undefined, notify: () => undefined, now: 1_000_000 };
    const idle = renderToString(createElement(AccountPanel, { ...props, status: null }));
    expect(idle).toMatch(/<option value="lab-alice" selected="">lab-alice — sip:alice@lab\.test<\/option>/);
    expect(idle).toMatch(/<option value="new">Enter an account…<\/option>/);
    expect(idle).toMatch(/<input name="password" id="account-password" type="password"[^>]* value=""\/>/);
    expect(idle).toMatch(/<label for="account-registrar">Registrar<\/label>/);
    expect(idle).toMatch(/<button type="button" disabled="">Unregister<\/button>/);
    expect(text(idle)).toMatch(/State unregistered/);
    const reg = renderToString(createElement(AccountPanel, { ...props, status }));
    expect(reg).toMatch(/<button type="button">Unregister<\/button>/);
    expect(api.calls).toEqual([]);
  });

  it('registration status: state, expiry countdown, where the password is kept, MRAS user and relay, errors in plain words', () => {
    const t = text(renderToString(createElement(RegistrationStatus, { status, mras, now: 1_000_000 + 2_000, busy: null })));
    expect(t).toMatch(/State registered sip:alice@lab\.test at 127\.0\.0\.1:5060 over udp/);
    expect(t).toMatch(/Expires in 9 min 58 s/);
    expect(t).toMatch(/Password password kept in memory only for this session/);
    expect(t).toMatch(/MRAS user 1767254400:alice/);
    expect(t).toMatch(/Relay edge\.lab\.test udp 3478 tcp 443 \(\+1 more\)/);
    const keychain = text(renderToString(createElement(RegistrationStatus, { status: { ...status, passwordStored: 'keychain' }, mras: null, now: 0, busy: null })));
    expect(keychain).toMatch(/kept in the OS keychain/);
    const failed = renderToString(createElement(RegistrationStatus, { status: { state: 'failed', registrar: 'x:5060', error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden' } }, mras: null, now: 0, busy: null }));
    expect(failed).toMatch(/role="alert"/);
    expect(text(failed)).toMatch(/refused the user name or password\. \(SIP_AUTH_FAILED: 403 Forbidden\)/);
    const busy = renderToString(createElement(RegistrationStatus, { status: null, mras: null, now: 0, busy: 'registering' }));
    expect(busy).toMatch(/role="progressbar" aria-label="registering"/);
    // The error line is there, empty, when there is no error: nothing moves when one appears.
    expect(renderToString(createElement(RegistrationStatus, { status, mras, now: 0, busy: null }))).toMatch(/<p class="error account-error" data-testid="account-error"><\/p>/);
  });

  it('call panel: Call while idle, Hang up while a call runs, the running phase as progress', () => {
    const api = fakeApi();
    const props = { api, dispatch: () => undefined, target: 'sip:bob@lab.test', onTarget: () => undefined, accountId: 'lab-alice', notify: () => undefined };
    const idle = renderToString(createElement(CallPanel, { ...props, call: IDLE, events: [] }));
    expect(idle).toMatch(/<button type="submit" class="primary">Call<\/button><button type="button" disabled="">Hang up<\/button>/);
    expect(idle).toMatch(/role="switch"/);
    expect(text(idle)).toMatch(/Answer automatically/);
    const running = FULL_CALL.slice(0, FULL_CALL.findIndex((e) => e.type === 'check'));
    const up = renderToString(createElement(CallPanel, { ...props, call: { phase: 'in-call', callId: 'c1@lab.test', runId: 'fixture-call-1' }, events: running }));
    expect(up).toMatch(/<button type="submit" class="primary" disabled="">Call<\/button><button type="button">Hang up<\/button>/);
    expect(text(up)).toMatch(/In a call \(c1@lab\.test\)/);
    expect(text(up)).toMatch(/Checks…/);
    expect(up).toMatch(/<progress max="5" value="3" aria-label="Call phases done">/);
    expect(renderToString(createElement(CallProgress, { events: running, active: false }))).toMatch(/<progress max="5" value="0" aria-label="Call phases done" hidden="">/);
    expect(api.calls).toEqual([]);
  });

  it('export panel: a button per format, disabled until there is a run; Open saved run', () => {
    const props = { api: fakeApi(), onOpened: () => undefined, notify: () => undefined };
    const none = renderToString(createElement(ExportPanel, { ...props, hasRun: false }));
    expect(none.match(/<button type="button" disabled="" title="[^"]*" data-format="\w+">/g)?.length).toBe(6);
    const some = renderToString(createElement(ExportPanel, { ...props, hasRun: true }));
    expect(text(some)).toMatch(/JSON JUnit CSV Summary Timeline Evidence bundle Open saved run…/);
    expect(some).not.toMatch(/data-format="\w+" disabled/);
    expect(some).toMatch(/aria-label="Open a saved run"/);
  });
});
