import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../main/serve/api-server';
import { startServe, type ServeHandle } from '../../../main/serve/http-server';
import { buildRenderer, DEFAULT_RENDERER_OUT } from '../../../main/serve/renderer-build';
import { FileSettingsStore } from '../../../main/serve/settings-store';
import { serializeRun } from '../../../main/serve/run-file';
import { FULL_CALL } from '../../unit/renderer/fixtures';
import { openChromiumPage } from '../../support/ui-browser';

/**
 * The UI as a user sees it, in Debian's Chromium (LAB.md: playwright-core without a browser of
 * its own): `mediapath serve` in process, the page opened from its token URL, a lab promotion
 * run, then every view looked at and photographed into artifacts/screenshots/.
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
  await page.getByRole('tab', { name: new RegExp(`^${label}`) }).click();
  await expect.poll(() => page.getByRole('tab', { name: new RegExp(`^${label}`) }).getAttribute('aria-selected')).toBe('true');
}

beforeAll(async () => {
  // Always a fresh build: the test sees the renderer of this commit (CI has no build before it).
  await buildRenderer(DEFAULT_RENDERER_OUT);
  await mkdir(SHOTS, { recursive: true });
  configDir = await mkdtemp(path.join(os.tmpdir(), 'mp-ui-config-'));
  const api = new ApiServer({ version: '0.0.0-e2e', host: 'serve', settings: new FileSettingsStore(configDir) });
  handle = await startServe({ api, rendererDir: DEFAULT_RENDERER_OUT });
  // A CSP violation or a script error shows up here; the test fails on any.
  ({ browser, page } = await openChromiumPage(problems));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await handle?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('the UI in Chromium over mediapath serve', () => {
  it('runs the promotion lab scenario and shows candidates, checks and the promotion', async () => {
    await page.goto(handle.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/0\.0\.0-e2e · serve/);
    await page.locator('select[name=scenario]').selectOption('promotion');
    await page.locator('select[name=strategy]').selectOption('lync');
    await page.locator('input[name=seed]').fill('1');
    await page.getByRole('button', { name: 'Run lab scenario' }).click();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 30_000 }).toMatch(/PASS/);
    // The status line follows runScenario's answer, the run title the event stream: either may paint first.
    await expect.poll(() => page.getByTestId('run-title').textContent()).toMatch(/lab ICE promotion · lync · seed 1 — PASS/);

    await openTab('Candidates');
    for (const table of ['local-candidates', 'remote-candidates']) {
      expect(await page.locator(`[data-testid=${table}] tbody tr[data-type=host]`).count(), `${table} host`).toBeGreaterThan(0);
      expect(await page.locator(`[data-testid=${table}] tbody tr[data-type=relay]`).count(), `${table} relay`).toBeGreaterThan(0);
    }
    await shot('01-candidates');

    await openTab('Checks');
    const rows = page.locator('[data-testid=checks] tbody tr');
    const all = await rows.count();
    expect(all).toBeGreaterThan(1);
    expect(await page.locator('[data-testid=checks] tbody tr', { hasText: 'succeeded' }).count()).toBeGreaterThan(0);
    await shot('02-checks');
    await page.getByLabel('Filter pairs').fill('relay');
    await expect.poll(() => rows.count()).toBeLessThan(all);
    await page.getByLabel('Filter pairs').fill('');

    await openTab('Path timeline');
    const changes = page.locator('[data-testid=path-changes] tbody tr');
    expect(await changes.count()).toBeGreaterThan(1);
    expect(await page.locator('[data-testid=path-changes] tbody tr', { hasText: 'higher-priority-succeeded' }).count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=path-changes] tr[aria-current=true]').textContent()).toMatch(/host.*\(current\)/);
    await shot('03-path-timeline');

    await openTab('Verdict');
    expect(await page.getByTestId('verdict').textContent()).toMatch(/PASS.*ended on the expected host path/);
    await shot('04-verdict');

    // What a lab ICE run does not have, each view says so.
    await openTab('Charts');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/No media figures yet/);
    await shot('05-charts-empty');
    await openTab('SIP ladder');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/No SIP messages yet/);
    await shot('06-sip-ladder-empty');
    await openTab('MRAS');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/No MRAS credentials yet/);
    await shot('07-mras-empty');
    await openTab('Registration');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/Not registered — no registration events yet/);
    await shot('08-registration-empty');
  });

  it('is keyboard usable: arrow keys move between tabs', async () => {
    await page.getByRole('tab', { name: /^Candidates/ }).click();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: /^Checks/ }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    expect(await page.getByRole('tab', { name: /^Verdict/ }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    expect(await page.getByRole('tab', { name: /^Registration/ }).getAttribute('aria-selected')).toBe('true');
  });

  it('exports the run and opens it again: the same timeline', async () => {
    await openTab('Path timeline');
    const before = await page.locator('[data-testid=path-changes]').textContent();
    const download = page.waitForEvent('download');
    await page.getByRole('group', { name: 'Export the run' }).getByRole('button', { name: 'Timeline', exact: true }).click();
    const d = await download;
    const file = { name: d.suggestedFilename(), mimeType: 'application/x-ndjson', buffer: await readFile(await d.path()) };
    expect(file.name).toMatch(/^lab-promotion-lync-1-\d+\.timeline\.jsonl$/);
    // Another run replaces the timeline; opening the export brings the first one back.
    await page.locator('select[name=scenario]').selectOption('symmetric');
    await page.getByRole('button', { name: 'Run lab scenario' }).click();
    await expect.poll(() => page.getByTestId('run-title').textContent(), { timeout: 30_000 }).toMatch(/symmetric.* — (PASS|FAIL)/);
    expect(await page.locator('[data-testid=path-changes]').textContent()).not.toBe(before);
    await page.getByTestId('open-run').setInputFiles(file);
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/^Opened .*\.timeline\.jsonl: \d+ events$/);
    expect(await page.locator('[data-testid=path-changes]').textContent()).toBe(before);
  });

  it('renders registration, MRAS, the SIP ladder and media charts from a saved call', async () => {
    await page.getByTestId('open-run').setInputFiles({ name: 'fixture-call.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(serializeRun(FULL_CALL)) });
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/Opened fixture-call\.jsonl/);
    await openTab('Registration');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/registered.*192\.0\.2\.5:5060/);
    await shot('09-registration');
    await openTab('MRAS');
    expect(await page.getByTestId('mras-username').textContent()).toBe('1767254400:alice');
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/203\.0\.113\.10/);
    await shot('10-mras');
    await openTab('SIP ladder');
    await page.getByRole('listitem', { name: /INVITE sip:bob@lab\.test/ }).click();
    expect(await page.getByRole('region', { name: 'Raw SIP message' }).textContent()).toMatch(/Call-ID: call-7@10\.1\.0\.11/);
    await shot('11-sip-ladder');
    await openTab('Charts');
    expect(await page.locator('.chart canvas').count()).toBe(8);
    expect(await page.getByTestId('epoch-matrix').textContent()).toMatch(/host → host/);
    await shot('12-charts');
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await shot('13-charts-dark');
    await openTab('Candidates');
    await shot('14-candidates-dark');
    await page.getByLabel('Theme').selectOption('light');
  });

  it('left no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
