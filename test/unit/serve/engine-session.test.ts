import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../main/api';
import { ApiServer } from '../../../main/serve/api-server';
import { LAB_ACCOUNT_ID, startEmbeddedLab, type EmbeddedLab } from '../../../main/serve/embedded-lab';
import { FileSettingsStore, MemorySettingsStore } from '../../../main/serve/settings-store';
import { MemorySecretStore } from '../../../main/serve/secret-store';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../../main/app/secret-store';

/**
 * The API's own SIP session against the embedded lab on loopback (real sockets, real clock, coturn
 * or the lab TURN server): register → call → hangup through ApiServer.invoke, events checked.
 */

const run = promisify(execFile);

/** A path is relayed when either end of its pair is a relay candidate. */
function kind(e: EngineEvent): string | undefined {
  if (e.type !== 'path.changed' || !e.to) return undefined;
  return e.to.local.type === 'relay' || e.to.remote.type === 'relay' ? 'relay' : e.to.local.type;
}
let lab: EmbeddedLab;
let dir = '';

beforeAll(async () => {
  lab = await startEmbeddedLab();
  dir = await mkdtemp(path.join(os.tmpdir(), 'mp-engine-'));
}, 60_000);

afterAll(async () => {
  await lab?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

function recorder(api: ApiServer): { events: EngineEvent[]; off: () => void; waitFor: (pred: (e: EngineEvent) => boolean, ms?: number) => Promise<EngineEvent> } {
  const events: EngineEvent[] = [];
  const waiters: Array<{ pred: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }> = [];
  const off = api.onDidEvent((e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const waitFor = (pred: (e: EngineEvent) => boolean, ms = 30_000): Promise<EngineEvent> => {
    const seen = events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no such event within ${ms} ms; saw ${[...new Set(events.map((e) => e.type))].join(', ')}`)), ms);
      waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  };
  return { events, off, waitFor };
}

describe('ApiServer with the embedded lab', () => {
  it('offers the lab account in the settings but never writes it, and codes what it refuses', async () => {
    const store = new FileSettingsStore(dir);
    const api = new ApiServer({ version: '0', host: 'test', settings: store, lab });
    const s = await api.invoke('getSettings', undefined);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    const settings = s.value as { accounts: Array<{ id: string; registrar: string; transport: string; aor: string }> };
    expect(settings.accounts[0]).toMatchObject({ id: LAB_ACCOUNT_ID, aor: 'sip:alice@lab.test', transport: 'udp', registrar: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const mine = { id: 'mine', aor: 'sip:carol@example.com', registrar: 'sip.example.com:5061', transport: 'tls', username: 'carol' };
    const saved = await api.invoke('saveSettings', { ...settings, accounts: [...settings.accounts, mine] });
    expect(saved.ok && (saved.value as { accounts: Array<{ id: string }> }).accounts.map((a) => a.id)).toEqual([LAB_ACCOUNT_ID, 'mine']);
    const onDisk = JSON.parse(await readFile(store.file, 'utf8')) as { accounts: Array<{ id: string }> };
    expect(onDisk.accounts.map((a) => a.id)).toEqual(['mine']);

    // Nothing registered yet: coded refusals, no call placed.
    expect(await api.invoke('call', { target: 'sip:carol@example.com' })).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    expect(await api.invoke('hangup', { callId: 'call-9' })).toMatchObject({ ok: false, error: { code: 'API_NO_SUCH_CALL' } });
    expect(await api.invoke('unregister', undefined)).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    expect(await api.invoke('answer', { auto: true })).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    expect(await api.invoke('revealMrasCredentials', undefined)).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    // Validation before anything runs.
    expect(await api.invoke('hangup', {})).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await api.invoke('register', { account: { ...settings.accounts[0], transport: 'sctp' } })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await api.invoke('register', { account: settings.accounts[0], remember: 'yes' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await api.invoke('exportRun', { format: 'pdf' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await api.invoke('answer', { auto: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    // An account of the user's own without a password, none remembered.
    expect(await api.invoke('register', { account: mine })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no password/) } });
    await api.close();
  });

  it('register → call → hangup: registration, MRAS, both candidate kinds, a promotion to host, media, a verdict; then a second call in a run of its own with its own promotion, and a third hung up at once', async () => {
    const api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), lab });
    const rec = recorder(api);
    try {
      const reg = await api.invoke('register', { account: lab.account });
      expect(reg).toMatchObject({ ok: true, value: { state: 'registered', aor: 'sip:alice@lab.test', transport: 'udp', registrar: lab.account.registrar, passwordStored: 'none' } });
      const info = reg.ok ? (reg.value as { expiresAt: number }) : undefined;
      expect(info!.expiresAt).toBeGreaterThan(Date.now() + 60_000);
      const types = new Set(rec.events.map((e) => e.type));
      for (const t of ['run.started', 'phase', 'registration', 'mras.credentials', 'sip.sent', 'sip.received']) expect(types, t).toContain(t);
      expect(rec.events.find((e) => e.type === 'registration' && e.state === 'registered')).toMatchObject({ aor: 'sip:alice@lab.test' });
      // The MRAS password never crosses the API in clear.
      expect(JSON.stringify(rec.events)).not.toContain('alice-lab-pw');
      // …except when the user asks for it (the inspector's reveal), and never onto the Timeline.
      const grant = rec.events.find((e) => e.type === 'mras.credentials');
      const secret = await api.invoke('revealMrasCredentials', undefined);
      expect(secret).toMatchObject({ ok: true, value: { username: grant?.type === 'mras.credentials' ? grant.username : '?', password: expect.stringMatching(/^[A-Za-z0-9+/]{20,}={0,2}$/) } });
      const password = secret.ok ? (secret.value as { password: string }).password : '?';
      expect(JSON.stringify(rec.events)).not.toContain(password);

      const call = await api.invoke('call', { target: lab.calleeAor });
      expect(call).toMatchObject({ ok: true, value: { callId: expect.stringMatching(/^call-\d+$/) } });
      const callId = (call.ok ? call.value : { callId: '' }) as { callId: string };
      expect(await api.invoke('call', { target: lab.calleeAor })).toMatchObject({ ok: false, error: { code: 'API_BUSY' } });
      expect(await api.invoke('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 })).toMatchObject({ ok: false, error: { code: 'API_BUSY' } });
      expect(await api.invoke('register', { account: lab.account })).toMatchObject({ ok: false, error: { code: 'API_BUSY' } });
      // Relay first, then host: the promotion the lab stages at every call.
      const promoted = await rec.waitFor((e) => e.type === 'path.changed' && e.reason === 'higher-priority-succeeded' && kind(e) === 'host', 30_000);
      expect(promoted).toBeDefined();
      await rec.waitFor((e) => e.type === 'media.stats' && e.path?.kind === 'host', 15_000);
      expect(await api.invoke('hangup', { callId: 'call-0' })).toMatchObject({ ok: false, error: { code: 'API_NO_SUCH_CALL' } });
      expect(await api.invoke('hangup', { callId: callId.callId })).toEqual({ ok: true, value: null });

      const run1 = rec.events.filter((e) => e.type === 'run.started');
      expect(run1).toHaveLength(1); // register and the first call share a run
      const local = rec.events.flatMap((e) => (e.type === 'candidate.gathered' ? [e.candidate.type] : []));
      const remote = rec.events.flatMap((e) => (e.type === 'candidate.remote' ? [e.candidate.type] : []));
      for (const list of [local, remote]) {
        expect(list).toContain('host');
        expect(list).toContain('relay');
      }
      const changes = rec.events.flatMap((e) => (e.type === 'path.changed' && e.to ? [kind(e)] : []));
      expect(changes[0]).toBe('relay');
      expect(changes.at(-1)).toBe('host');
      const ended = rec.events.find((e) => e.type === 'run.ended');
      expect(ended).toBeDefined();
      const verdict = rec.events.find((e) => e.type === 'verdict');
      expect(verdict && verdict.type === 'verdict' && verdict.verdict).toMatch(/^(pass|fail)$/);
      const invite = rec.events.find((e) => e.type === 'sip.sent' && e.text.startsWith('INVITE sip:bob@lab.test'));
      expect(invite).toBeDefined();
      const bye = rec.events.find((e) => e.type === 'sip.sent' && e.text.startsWith('BYE '));
      expect(bye).toBeDefined();

      // The evidence bundle of that call: the CLI's files, unzipped by unzip.
      const exp = await api.invoke('exportRun', { format: 'bundle' });
      expect(exp).toMatchObject({ ok: true, value: { encoding: 'base64', mimeType: 'application/zip', fileName: expect.stringMatching(/\.evidence\.zip$/) } });
      const zipFile = path.join(dir, 'bundle.zip');
      await writeFile(zipFile, Buffer.from((exp.ok ? (exp.value as { text: string }) : { text: '' }).text, 'base64'));
      const listing = (await run('unzip', ['-l', zipFile])).stdout;
      for (const f of ['README.txt', 'report.json', 'junit.xml', 'intervals.csv', 'summary.txt', 'timeline.jsonl']) expect(listing).toContain(f);
      const report = JSON.parse((await run('unzip', ['-p', zipFile, 'report.json'])).stdout) as { verdict: string; registration: { ok: boolean }; epochs: Array<{ oneWayMs?: number | null }> };
      expect(report.verdict).toBe(verdict?.type === 'verdict' ? verdict.verdict : '');
      // Both lab phones read one clock, so the one-way delay is measured, and a delay is never negative.
      const oneWay = report.epochs.map((e) => e.oneWayMs).filter((v): v is number => typeof v === 'number');
      expect(oneWay.length).toBeGreaterThan(0);
      for (const v of oneWay) expect(v).toBeGreaterThanOrEqual(0);
      expect(report.registration.ok).toBe(true);
      expect((await run('unzip', ['-p', zipFile, 'timeline.jsonl'])).stdout).not.toContain('alice-lab-pw');
      const junit = await api.invoke('exportRun', { format: 'junit' });
      expect(junit.ok && (junit.value as { text: string }).text).toMatch(/^<\?xml/);

      // A second call opens a run of its own, starting from the registration it rests on, and the
      // lab stages its promotion again (bob's direct-path cut is re-armed at each call).
      const before = rec.events.length;
      const second = await api.invoke('call', { target: lab.calleeAor });
      expect(second.ok).toBe(true);
      const fresh = rec.events.slice(before);
      expect(fresh[0]?.type).toBe('run.started');
      expect(fresh.some((e) => e.type === 'registration' && e.state === 'registered')).toBe(true);
      expect(fresh.some((e) => e.type === 'mras.credentials')).toBe(true);
      await rec.waitFor((e) => e.type === 'path.changed' && e.reason === 'higher-priority-succeeded' && kind(e) === 'host' && rec.events.indexOf(e) >= before, 30_000);
      expect(rec.events.slice(before).find((e) => e.type === 'path.changed' && e.to) && kind(rec.events.slice(before).find((e) => e.type === 'path.changed' && e.to)!)).toBe('relay');
      expect(await api.invoke('hangup', second.ok ? second.value : {})).toEqual({ ok: true, value: null });
      expect(rec.events.slice(before).some((e) => e.type === 'verdict')).toBe(true);

      // A third, hung up at once, while it is still gathering: the INVITE is cancelled once it exists.
      const third = await api.invoke('call', { target: lab.calleeAor });
      expect(await api.invoke('hangup', third.ok ? third.value : {})).toEqual({ ok: true, value: null });
      const last = rec.events.filter((e) => e.type === 'run.ended').at(-1);
      expect(last).toMatchObject({ ok: false });
      expect(lab.answered()).toBeGreaterThanOrEqual(2);

      expect(await api.invoke('unregister', undefined)).toEqual({ ok: true, value: null });
      expect(await api.invoke('call', { target: 'sip:carol@example.com' })).toMatchObject({ ok: false, error: { code: 'API_NOT_REGISTERED' } });
    } finally {
      rec.off();
      await api.close();
    }
    expect(api.listenerCount()).toBe(0);
  }, 120_000);

  it('calling bob with nothing registered registers the lab\'s alice first (no typing), then the call returns at once', async () => {
    const api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), lab });
    const rec = recorder(api);
    try {
      const call = await api.invoke('call', { target: 'sip:bob@lab.test' });
      expect(call).toMatchObject({ ok: true, value: { callId: expect.stringMatching(/^call-\d+$/) } });
      expect(rec.events.some((e) => e.type === 'registration' && e.state === 'registered')).toBe(true);
      await rec.waitFor((e) => e.type === 'path.changed' && kind(e) === 'host', 30_000);
      expect(await api.invoke('hangup', call.ok ? call.value : {})).toEqual({ ok: true, value: null });
      expect(rec.events.filter((e) => e.type === 'run.started')).toHaveLength(1);
      expect(rec.events.at(-1)?.type).toBe('verdict');
    } finally {
      rec.off();
      await api.close();
    }
  }, 60_000);

  it('answer mode: alice answers automatically when a second page, registered as bob, calls her', async () => {
    const alice = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), lab });
    const bob = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), lab });
    const ra = recorder(alice);
    const rb = recorder(bob);
    try {
      expect((await alice.invoke('register', { account: lab.account })).ok).toBe(true);
      expect((await bob.invoke('register', { account: { ...lab.account, id: 'bob', aor: lab.calleeAor, username: 'bob' } })).ok).toBe(true);
      const answering = alice.invoke('answer', { auto: false });
      // Only one wait at a time.
      expect(await alice.invoke('answer', {})).toMatchObject({ ok: false, error: { code: 'API_BUSY' } });
      const call = await bob.invoke('call', { target: 'sip:alice@lab.test' });
      expect(call.ok).toBe(true);
      const answered = await answering;
      expect(answered).toMatchObject({ ok: true, value: { callId: expect.stringMatching(/^call-\d+$/) } });
      await ra.waitFor((e) => e.type === 'media.stats' && (e.stats.packetsReceived ?? 0) > 0, 20_000);
      // Answered (alice's 200 acknowledged) before bob hangs up, so it is a BYE, not a CANCEL.
      await ra.waitFor((e) => e.type === 'sip.received' && e.text.startsWith('ACK '), 20_000);
      // bob hangs up: alice's call ends with the caller's BYE, and her run with a verdict.
      expect(await bob.invoke('hangup', call.ok ? call.value : {})).toEqual({ ok: true, value: null });
      await ra.waitFor((e) => e.type === 'verdict', 20_000);
      expect(ra.events.some((e) => e.type === 'sip.received' && e.text.startsWith('BYE '))).toBe(true);
      expect(rb.events.some((e) => e.type === 'verdict')).toBe(true);
    } finally {
      ra.off();
      rb.off();
      await Promise.all([alice.close(), bob.close()]);
    }
  }, 120_000);

  it('passwords: remembered in the session\'s SecretStore after a registration that worked, used before the lab\'s own, refused where they cannot be kept safely, never in a file in clear', async () => {
    const real = lab.passwordFor(lab.account)!;
    const own = { ...lab.account, id: 'alice-own' };
    const secrets = new MemorySecretStore();
    const api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), lab, secrets });
    try {
      expect(await api.invoke('register', { account: own, password: real, remember: true })).toMatchObject({ ok: true, value: { passwordStored: 'memory' } });
      expect(await secrets.get('alice-own')).toBe(real);
      expect(await api.invoke('register', { account: own })).toMatchObject({ ok: true, value: { state: 'registered', passwordStored: 'memory' } });
      // The remembered password comes first: a wrong one fails even though the lab knows alice's.
      await secrets.set('alice-own', 'wrong-pw');
      expect(await api.invoke('register', { account: own })).toMatchObject({ ok: false, error: { code: 'SIP_AUTH_FAILED' } });
      // A failed registration with remember keeps nothing.
      await secrets.delete('alice-own');
      expect(await api.invoke('register', { account: own, password: 'typo', remember: true })).toMatchObject({ ok: false, error: { code: 'SIP_AUTH_FAILED' } });
      expect(await secrets.get('alice-own')).toBeUndefined();
    } finally {
      await api.close();
    }

    const fake = (available: boolean): SafeStorageLike => ({
      isEncryptionAvailable: () => available,
      encryptString: (p) => Buffer.from(Buffer.from(p, 'utf8').map((b) => b ^ 0x33)),
      decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x33)).toString('utf8'),
    });
    const keyDir = path.join(dir, 'keychain');
    const locked = new ApiServer({ version: '0', host: 'test', settings: new FileSettingsStore(keyDir), lab, secrets: new SafeStorageSecretStore(keyDir, fake(false)) });
    const seen: EngineEvent[] = [];
    const off = locked.onDidEvent((e) => seen.push(e));
    expect(await locked.invoke('register', { account: own, password: real, remember: true })).toMatchObject({ ok: false, error: { code: 'SECRET_STORE_UNAVAILABLE' } });
    off();
    expect(seen).toEqual([]); // refused before anything was sent
    await locked.close();

    const app = new ApiServer({ version: '0', host: 'test', settings: new FileSettingsStore(keyDir), lab, secrets: new SafeStorageSecretStore(keyDir, fake(true)) });
    try {
      const s = await app.getSettings();
      await app.saveSettings({ ...(s.ok ? s.value : (undefined as never)), accounts: [own] });
      expect(await app.invoke('register', { account: own, password: real, remember: true })).toMatchObject({ ok: true, value: { passwordStored: 'keychain' } });
      expect(await app.invoke('register', { account: own })).toMatchObject({ ok: true, value: { passwordStored: 'keychain' } });
      for (const f of ['settings.json', 'secrets.json']) {
        const text = await readFile(path.join(keyDir, f), 'utf8');
        expect(text, f).not.toContain(real);
      }
      expect(await readFile(path.join(keyDir, 'settings.json'), 'utf8')).toContain('alice-own');
    } finally {
      await app.close();
    }
  }, 60_000);
});
