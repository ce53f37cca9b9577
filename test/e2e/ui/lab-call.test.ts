import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../main/serve/api-server';
import { startServe, type ServeHandle } from '../../../main/serve/http-server';
import { buildRenderer, DEFAULT_RENDERER_OUT } from '../../../main/serve/renderer-build';
import { FileSettingsStore } from '../../../main/serve/settings-store';
import { openChromiumPage } from '../../support/ui-browser';

/**
 * Issue 7's end-to-end call: `mediapath serve` in process with the embedded lab (the default call
 * runner, as the CLI starts it), the page in Debian's Chromium, the Call button to
 * sip:bob@lab.test, then every view read the way a user reads it and photographed into
 * artifacts/screenshots/call-NN-<view>.png.
 */
const ROOT = path.resolve(__dirname, '../../..');
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');

let configDir = '';
let handle: ServeHandle;
let browser: Browser;
let page: Page;
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function openTab(label: string): Promise<void> {
  const tab = page.getByRole('tab', { name: new RegExp(`^${label}`) });
  await tab.click();
  await expect.poll(() => tab.getAttribute('aria-selected')).toBe('true');
}

async function panelText(): Promise<string> {
  return (await page.getByRole('tabpanel').textContent()) ?? '';
}

beforeAll(async () => {
  await buildRenderer(DEFAULT_RENDERER_OUT);
  await mkdir(SHOTS, { recursive: true });
  configDir = await mkdtemp(path.join(os.tmpdir(), 'mp-ui-call-'));
  const api = new ApiServer({ version: '0.0.0-e2e', host: 'serve', settings: new FileSettingsStore(configDir) });
  handle = await startServe({ api, rendererDir: DEFAULT_RENDERER_OUT });
  ({ browser, page } = await openChromiumPage(problems));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await handle?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('a lab call from the UI in Chromium over mediapath serve', () => {
  it('registers, gets MRAS relays, gathers, promotes the path, charts the media and gives a verdict', async () => {
    await page.goto(handle.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/0\.0\.0-e2e · serve/);
    const call = page.getByRole('form', { name: 'Call' });
    await call.locator('input[name=target]').fill('sip:bob@lab.test');
    await call.getByRole('button', { name: 'Call', exact: true }).click();
    // While the call is up the account is registered (the lab call unregisters at its end).
    await openTab('Registration');
    await expect.poll(panelText, { timeout: 30_000 }).toMatch(/State\s*registered/);
    expect(await panelText()).toMatch(/Registrar\s*127\.0\.0\.1:\d+/);
    await shot('call-01-registration');
    // The API answers the call once the lab call is over (registration … media … verdict).
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toMatch(/^Calling: \S+@\S+/);
    await expect.poll(() => page.getByRole('tab', { name: /^Verdict/ }).textContent()).toMatch(/pass|fail|error/);
    const history = page.getByRole('table', { name: /History/ }).locator('tbody tr td:nth-child(2)');
    expect(await history.allTextContents()).toContain('registered');

    await openTab('MRAS');
    // The lab's MRAS hands out TURN REST credentials: the user name is <expiry>:<user>.
    expect((await page.getByTestId('mras-username').textContent())?.trim()).toMatch(/^\d+:alice$/);
    const relays = page.getByRole('table', { name: /Relays/ }).locator('tbody tr');
    expect(await relays.count()).toBeGreaterThan(0);
    expect(await relays.first().locator('td').first().textContent()).toBe('edge.lab.test');
    expect(await relays.first().locator('td').nth(1).textContent()).toMatch(/^\d+$/);
    await shot('call-02-mras');

    await openTab('Candidates');
    for (const table of ['local-candidates', 'remote-candidates']) {
      expect(await page.locator(`[data-testid=${table}] tbody tr[data-type=host]`).count(), `${table} host`).toBeGreaterThan(0);
      expect(await page.locator(`[data-testid=${table}] tbody tr[data-type=relay]`).count(), `${table} relay`).toBeGreaterThan(0);
    }
    await shot('call-03-candidates');

    await openTab('Checks');
    expect(await page.locator('[data-testid=checks] tbody tr', { hasText: 'succeeded' }).count()).toBeGreaterThan(0);
    await shot('call-04-checks');

    await openTab('Path timeline');
    expect(await page.locator('[data-testid=path-changes] tbody tr').count()).toBeGreaterThan(1);
    expect(await page.locator('[data-testid=path-changes] tbody tr', { hasText: 'higher-priority-succeeded' }).count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=path-changes] tr[aria-current=true]').textContent()).toMatch(/host.*\(current\)/);
    await shot('call-05-path-timeline');

    await openTab('Charts');
    expect(await page.locator('[data-testid=epoch-matrix] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    // Non-empty: every chart names how many points it draws; at least one draws some.
    const labels = await Promise.all((await page.locator('.chart-canvas[role=img]').all()).map((c) => c.getAttribute('aria-label')));
    const points = labels.map((l) => Number(/, (\d+) points$/.exec(l ?? '')?.[1] ?? 0));
    expect(Math.max(0, ...points)).toBeGreaterThan(0);
    await shot('call-06-charts');

    await openTab('SIP ladder');
    expect(await page.getByRole('listitem', { name: /INVITE sip:bob@lab\.test/ }).count()).toBeGreaterThan(0);
    await shot('call-07-sip-ladder');

    await openTab('Verdict');
    expect(await page.getByTestId('verdict').textContent()).toMatch(/^(PASS|FAIL|ERROR)\s*\S/);
    await shot('call-08-verdict');
  }, 120_000);

  it('left no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
