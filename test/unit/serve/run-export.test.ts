import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunExport } from '../../../main/api';
import { CSV_HEADER } from '../../../main/report';
import { ApiServer } from '../../../main/serve/api-server';
import { MemorySettingsStore } from '../../../main/serve/settings-store';

const run = promisify(execFile);
let dir = '';
let api: ApiServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mp-export-'));
  api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore(), wallNow: () => Date.UTC(2026, 10, 27) });
  const r = await api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
  expect(r.ok).toBe(true);
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

async function exported(format?: string): Promise<RunExport> {
  const r = await api.invoke('exportRun', format === undefined ? undefined : { format });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as RunExport;
}

describe('exportRun formats (a lab ICE run: only the UI\'s events exist)', () => {
  it('jsonl stays the default and opens again', async () => {
    const a = await exported();
    const b = await exported('jsonl');
    expect(a).toEqual(b);
    expect(a).toMatchObject({ encoding: 'utf8', mimeType: 'application/x-ndjson', fileName: expect.stringMatching(/\.timeline\.jsonl$/) });
    const other = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore() });
    const opened = await other.openRun({ text: a.text });
    const cur = await api.currentRun();
    expect(opened.ok && opened.value.events).toEqual(cur.ok && cur.value.events);
  });

  it('json, junit, csv and summary come from main/report', async () => {
    const json = await exported('json');
    expect(json).toMatchObject({ encoding: 'utf8', mimeType: 'application/json', fileName: expect.stringMatching(/\.report\.json$/) });
    const report = JSON.parse(json.text) as { format: string; verdict: string };
    expect(report.format).toBe('mediapath-report');
    expect(['pass', 'fail', 'error']).toContain(report.verdict);
    const junit = await exported('junit');
    expect(junit.text).toMatch(/^<\?xml[^>]*>\s*<testsuites?/);
    const csv = await exported('csv');
    expect(csv.text.split(/\r?\n/)[0]).toBe(CSV_HEADER); // RFC 4180 line ends
    const summary = await exported('summary');
    expect(summary.text).toMatch(/verdict/i);
  });

  it('the bundle is a .zip (base64) holding every file and a README that says what this run lacks', async () => {
    const b = await exported('bundle');
    expect(b).toMatchObject({ encoding: 'base64', mimeType: 'application/zip', fileName: expect.stringMatching(/\.evidence\.zip$/) });
    const file = path.join(dir, b.fileName);
    await writeFile(file, Buffer.from(b.text, 'base64'));
    expect((await run('unzip', ['-t', file])).stdout).toMatch(/No errors detected/);
    const listing = (await run('unzip', ['-Z1', file])).stdout.trim().split('\n').sort();
    expect(listing).toEqual(['README.txt', 'intervals.csv', 'junit.xml', 'report.json', 'summary.txt', 'timeline.jsonl']);
    const readme = (await run('unzip', ['-p', file, 'README.txt'])).stdout;
    expect(readme).toMatch(/not a call made by this engine/);
    expect((await run('unzip', ['-p', file, 'timeline.jsonl'])).stdout).toBe((await exported('jsonl')).text);
  });

  it('nothing to export before a run', async () => {
    const empty = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore() });
    expect(await empty.invoke('exportRun', { format: 'bundle' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });
});
