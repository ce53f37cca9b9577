import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResult, EngineEvent, RegisterInput, Settings } from '../../../main/api';
import type { ApiServer } from '../../../main/serve/api-server';
import { startServe, type ServeHandle } from '../../../main/serve/http-server';
import { buildRenderer, DEFAULT_RENDERER_OUT } from '../../../main/serve/renderer-build';
import { parseRun, serializeRun } from '../../../main/serve/run-file';
import { FULL_CALL } from '../../unit/renderer/fixtures';
import { openChromiumPage } from '../../support/ui-browser';

/**
 * The account, call and file panels in Chromium against a fake engine: every answer the real one
 * can give — a refused password, a call that stays up until Hang up, a FAIL verdict with
 * diagnoses after a clean end, each export format — without a lab, and what the panels sent
 * recorded. Screenshots 15–19 under artifacts/screenshots/.
 */
const ROOT = path.resolve(__dirname, '../../..');
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');

const LAB = { id: 'lab-alice', aor: 'sip:alice@lab.test', registrar: '127.0.0.1:5060', transport: 'udp' as const, username: 'alice', displayName: 'Lab (alice)' };
const SETTINGS: Settings = { theme: 'light', accounts: [LAB], thresholdsProfile: 'client-to-edge', dialect: 'lync-ice2', interfaces: [], lab: { scenario: 'promotion', strategy: 'lync', seed: 1 } };
const ZIP = Buffer.from('PK\u0003\u0004fake zip for the test', 'latin1');

/** Only what the WebSocket bridge uses of ApiServer: invoke and onDidEvent. */
class FakeEngine {
  readonly asked: Array<[string, unknown]> = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private events: EngineEvent[] = [];
  answering: ((r: ApiResult<unknown>) => void) | undefined;

  onDidEvent(cb: (e: EngineEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private emit(e: EngineEvent): void {
    this.events.push(e);
    for (const cb of [...this.listeners]) cb(e);
  }

  async invoke(method: string, input: unknown): Promise<ApiResult<unknown>> {
    this.asked.push([method, input]);
    const ok = (value: unknown): ApiResult<unknown> => ({ ok: true, value });
    switch (method) {
      case 'version':
        return ok({ name: 'mediapath', version: '0.0.0-fake', host: 'serve' });
      case 'scenarios':
        return ok({ ice: [], strategies: ['lync', 'rfc8445'] });
      case 'currentRun':
        return ok({ runId: null, name: 'none', events: this.events });
      case 'getSettings':
        return ok(SETTINGS);
      case 'saveSettings':
        return ok(input);
      case 'register': {
        const i = input as RegisterInput;
        if (i.password === 'busy') return { ok: false, error: { code: 'API_BUSY', message: 'a call is up: hang up before registering again' } };
        if (i.password === 'wrong') return { ok: false, error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden from the registrar' } };
        this.emit({ type: 'registration', at: 1, state: 'registered', registrar: i.account.registrar, aor: i.account.aor, transport: i.account.transport, expires: 600 });
        this.emit(FULL_CALL.find((e) => e.type === 'mras.credentials')!);
        return ok({ state: 'registered', registrar: i.account.registrar, aor: i.account.aor, transport: i.account.transport, expiresAt: Date.now() + 600_000, passwordStored: i.remember ? 'memory' : 'none' });
      }
      case 'unregister':
        this.answering?.({ ok: false, error: { code: 'CLOSED', message: 'stopped waiting for a call: unregister' } });
        this.answering = undefined;
        this.emit({ type: 'registration', at: 2, state: 'unregistered', registrar: LAB.registrar });
        return ok(null);
      case 'call':
        // Answered at once; the call's events follow on the stream and it stays up until hangup.
        this.events = [];
        for (const e of FULL_CALL) if (e.type !== 'run.ended' && e.type !== 'verdict' && e.type !== 'diagnosis' && !(e.type === 'phase' && e.name === 'media' && e.state === 'done')) this.emit(e);
        return ok({ callId: 'call-7@10.1.0.11' });
      case 'hangup':
        this.emit({ type: 'phase', at: 3800, name: 'media', state: 'done' });
        this.emit({ type: 'run.ended', at: 3800, runId: 'fixture-call-1', ok: true });
        this.emit({ type: 'diagnosis', at: 3800, id: 'path-unsettled', message: 'The path still changed 6 s after pickup.', evidence: ['31'], severity: 'warning' });
        this.emit({ type: 'diagnosis', at: 3800, id: 'relay-one-transport', message: 'Relays were reached over UDP only.', evidence: ['12'], severity: 'info' });
        this.emit({ type: 'verdict', at: 3800, verdict: 'fail', summary: 'epoch 1: burst loss 25.00% (limit < 10%)', checks: [{ name: 'epoch 1 burstLossPct', ok: false, detail: 'burst loss 25.00%' }] });
        return ok(null);
      case 'answer':
        // As the engine does: resolves when a call arrives (or its wait ends); none comes here.
        return new Promise((resolve) => (this.answering = resolve));
      case 'exportRun': {
        const format = (input as { format: string }).format;
        if (format === 'bundle') return ok({ fileName: 'fixture-call-1.bundle.zip', mimeType: 'application/zip', text: ZIP.toString('base64'), encoding: 'base64' });
        if (format === 'jsonl') return ok({ fileName: 'fixture-call-1.timeline.jsonl', mimeType: 'application/x-ndjson', text: serializeRun(this.events), encoding: 'utf8' });
        const ext = { json: 'report.json', junit: 'junit.xml', csv: 'intervals.csv', summary: 'summary.txt' }[format] ?? 'x';
        return ok({ fileName: `fixture-call-1.${ext}`, mimeType: 'text/plain', text: `${format} of the run`, encoding: 'utf8' });
      }
      case 'openRun': {
        const r = parseRun((input as { text: string }).text);
        if (!r.ok) return r;
        this.events = r.value.events;
        return ok({ runId: 'opened', name: 'opened', events: r.value.events });
      }
      default:
        return { ok: false, error: { code: 'NOT_IMPLEMENTED', message: method } };
    }
  }
}

let engine: FakeEngine;
let handle: ServeHandle;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const account = () => page.getByRole('region', { name: 'Account' });
const callPanel = () => page.getByRole('region', { name: 'Call' });

beforeAll(async () => {
  await buildRenderer(DEFAULT_RENDERER_OUT);
  await mkdir(SHOTS, { recursive: true });
  engine = new FakeEngine();
  handle = await startServe({ api: engine as unknown as ApiServer, rendererDir: DEFAULT_RENDERER_OUT });
  ({ browser, page } = await openChromiumPage(problems, { acceptDownloads: true }));
}, 120_000);

afterAll(async () => {
  engine?.answering?.({ ok: false, error: { code: 'CLOSED', message: 'test over' } });
  await browser?.close();
  await handle?.close();
});

describe('account, call and file panels against a fake engine', () => {
  it('offers the settings account and the lab far end; Register from the keyboard', async () => {
    await page.goto(handle.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/0\.0\.0-fake · serve/);
    await expect.poll(() => page.getByLabel('Use account').inputValue()).toBe('lab-alice');
    expect(await page.getByLabel('Address of record').inputValue()).toBe('sip:alice@lab.test');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password');
    expect(await page.getByLabel('Target').inputValue()).toBe('sip:bob@lab.test');
    expect(await account().getByRole('button', { name: 'Unregister' }).isDisabled()).toBe(true);
    // No layout jumps: the views start at the same height whatever the panels above show.
    const viewsTop = async () => (await page.locator('main').boundingBox())?.y;
    const top = await viewsTop();
    expect(top).toBeGreaterThan(0);
    // Tab from the password: the remember box, then Register; Enter presses it.
    await page.getByLabel('Password', { exact: true }).focus();
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('name')).toBe('remember');
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('Register');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('account-state').textContent()).toBe('registered');
    expect(engine.asked.find(([m]) => m === 'register')?.[1]).toEqual({ account: { id: 'lab-alice', aor: 'sip:alice@lab.test', registrar: '127.0.0.1:5060', transport: 'udp', username: 'alice' } });
    expect(await page.getByTestId('account-expiry').textContent()).toMatch(/^in \d+ min \d+ s$/);
    expect(await page.getByTestId('account-mras-username').textContent()).toBe('1767254400:alice');
    expect(await page.getByTestId('account-relay').textContent()).toMatch(/^edge\.lab\.test udp 3478 tcp 443/);
    expect(await page.getByTestId('account-password-storage').textContent()).toBe('not remembered');
    expect(await account().getByRole('button', { name: 'Unregister' }).isDisabled()).toBe(false);
    expect(await viewsTop()).toBe(top);
    await shot('15-account-registered');
  });

  it('a refused password in plain words, the field cleared; a typed account, checked, remembered', async () => {
    const top = (await page.locator('main').boundingBox())?.y;
    // Refused before trying: the registration that was there still stands.
    await page.getByLabel('Password', { exact: true }).fill('busy');
    await account().getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/busy with another step.*API_BUSY: a call is up/);
    expect(await page.getByTestId('account-state').textContent()).toBe('registered');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await account().getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.getByTestId('account-error').textContent()).toMatch(/refused the user name or password\. \(SIP_AUTH_FAILED: 403 Forbidden from the registrar\)/);
    expect(await page.getByTestId('account-state').textContent()).toBe('failed');
    // The refused registration took the earlier one's MRAS grant with it; the views did not move.
    expect(await page.getByTestId('account-mras-username').textContent()).toBe('—');
    expect((await page.locator('main').boundingBox())?.y).toBe(top);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await shot('16-account-refused');

    await page.getByLabel('Use account').selectOption('new');
    await page.getByLabel('Address of record').fill('carol');
    await account().getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/SIP URI like sip:alice@example\.com/);
    expect(await page.getByLabel('Address of record').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Address of record').fill('sip:carol@example.com');
    await page.getByLabel('Registrar').fill('sip.example.com:5061');
    await page.getByLabel('Transport').selectOption('tls');
    await page.getByLabel('User name').fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('s3cret');
    await page.getByLabel('Remember the password').check();
    await account().getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.getByTestId('account-password-storage').textContent()).toBe('password kept in memory only for this session');
    expect(engine.asked.filter(([m]) => m === 'register').at(-1)?.[1]).toEqual({
      account: { id: 'manual', aor: 'sip:carol@example.com', registrar: 'sip.example.com:5061', transport: 'tls', username: 'carol' },
      password: 's3cret',
      remember: true,
    });
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await account().getByRole('button', { name: 'Unregister' }).click();
    await expect.poll(() => page.getByTestId('account-state').textContent()).toBe('unregistered');
    await page.getByLabel('Use account').selectOption('lab-alice');
  });

  it('Call, Hang up while the call is up, then the verdict: FAIL in the header and both diagnoses', async () => {
    const top = (await page.locator('main').boundingBox())?.y;
    await page.getByLabel('Answer automatically').check();
    await expect.poll(() => engine.asked.filter(([m]) => m === 'answer').at(-1)?.[1]).toEqual({ accountId: 'lab-alice', auto: true });
    await callPanel().getByRole('button', { name: 'Call', exact: true }).click();
    const hangup = callPanel().getByRole('button', { name: 'Hang up' });
    await expect.poll(() => hangup.isEnabled()).toBe(true);
    expect(await callPanel().getByRole('button', { name: 'Call', exact: true }).isDisabled()).toBe(true);
    expect(engine.asked.find(([m]) => m === 'call')?.[1]).toEqual({ target: 'sip:bob@lab.test', accountId: 'lab-alice' });
    await expect.poll(() => page.getByTestId('call-progress').textContent()).toMatch(/Media…/);
    expect(await page.getByTestId('run-outcome').textContent()).toBe('running');
    expect(await page.locator('main').boundingBox()).toMatchObject({ y: top });
    await shot('17-call-up');
    await hangup.click();
    await expect.poll(() => page.getByTestId('run-outcome').textContent()).toBe('FAIL');
    expect(engine.asked.find(([m]) => m === 'hangup')?.[1]).toEqual({ callId: 'call-7@10.1.0.11' });
    await expect.poll(() => hangup.isDisabled()).toBe(true);
    await page.getByRole('tab', { name: /^Verdict/ }).click();
    expect(await page.getByTestId('diagnoses').textContent()).toMatch(/Diagnoses \(2\).*path-unsettled.*relay-one-transport/);
    expect(await page.getByTestId('failed-checks').textContent()).toMatch(/1 check did not hold: epoch 1 burstLossPct/);
    await shot('18-verdict-fail-diagnoses');
    // Unregister ends the engine's answer mode: the box follows.
    await account().getByRole('button', { name: 'Unregister' }).click();
    await expect.poll(() => page.getByLabel('Answer automatically').isChecked()).toBe(false);
  });

  it('exports each format as a download (the bundle decoded to zip bytes) and opens the timeline again', async () => {
    const files = page.getByRole('group', { name: 'Export the run' });
    const got: Record<string, Buffer> = {};
    for (const label of ['JSON', 'JUnit', 'CSV', 'Summary', 'Timeline', 'Evidence bundle']) {
      const download = page.waitForEvent('download');
      await files.getByRole('button', { name: label, exact: true }).click();
      const d = await download;
      got[d.suggestedFilename()] = await readFile(await d.path());
    }
    expect(Object.keys(got).sort()).toEqual(['fixture-call-1.bundle.zip', 'fixture-call-1.intervals.csv', 'fixture-call-1.junit.xml', 'fixture-call-1.report.json', 'fixture-call-1.summary.txt', 'fixture-call-1.timeline.jsonl']);
    expect(got['fixture-call-1.bundle.zip']!.equals(ZIP)).toBe(true);
    expect(got['fixture-call-1.report.json']!.toString()).toBe('json of the run');
    const before = await page.getByTestId('diagnoses').textContent();
    await page.getByTestId('open-run').setInputFiles({ name: 'saved.jsonl', mimeType: 'application/x-ndjson', buffer: got['fixture-call-1.timeline.jsonl']! });
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/^Opened saved\.jsonl: \d+ events$/);
    expect(await page.getByTestId('diagnoses').textContent()).toBe(before);
    expect(await page.getByTestId('run-outcome').textContent()).toBe('FAIL');
  });

  it('reads in the dark theme too', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await shot('19-panels-dark');
    await page.getByLabel('Theme').selectOption('light');
  });

  it('left no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
