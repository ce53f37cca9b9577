import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, appendIntervalCsv, intervalCsv, intervalCsvRows } from '../../../main/report';
import { callTimeline, mediaStats, newTimeline } from '../../fixtures/timeline/build';

describe('CSV per interval', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediapath-csv-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('one row per media interval with its wall time; empty fields for what was not measured', () => {
    const rows = intervalCsvRows(callTimeline());
    expect(rows).toHaveLength(12);
    expect(rows[1]).toBe('2026-01-05T09:30:02.300Z,2026-01-05T09:30:00.000Z,promotion-call,1111:1,relay,relay/udp(udp) 203.0.113.10:49152 → relay/udp 203.0.113.10:49160,1000,50,50,46,8,6,80,0,0,3.900');
    const t = newTimeline();
    t.append(mediaStats({ at: 1000, received: false }));
    expect(intervalCsvRows(t)[0]).toMatch(/,1000,50,,,,,,,,$/);
    expect(intervalCsv(t).split('\r\n')[0]).toBe(CSV_HEADER);
  });

  it('quotes fields with commas or quotes (RFC 4180)', () => {
    const t = newTimeline({ scenario: 'a "b", c' });
    t.append(mediaStats({ at: 1000 }));
    expect(intervalCsvRows(t)[0]).toMatch(/,"a ""b"", c",/);
  });

  it('appends: header once, then rows of each run', async () => {
    const file = path.join(dir, 'results.csv');
    expect(await appendIntervalCsv(file, callTimeline())).toEqual({ ok: true, value: { rows: 12, created: true } });
    expect(await appendIntervalCsv(file, callTimeline())).toEqual({ ok: true, value: { rows: 12, created: false } });
    const lines = (await readFile(file, 'utf8')).split('\r\n');
    expect(lines.filter((l) => l === CSV_HEADER)).toHaveLength(1);
    expect(lines).toHaveLength(1 + 24 + 1);
  });

  it('refuses to append to a file with another header', async () => {
    const file = path.join(dir, 'other.csv');
    await writeFile(file, 'a,b,c\n1,2,3\n');
    const r = await appendIntervalCsv(file, callTimeline());
    expect(r).toEqual({ ok: false, error: `${file}: its first line is not this tool's CSV header; not appending` });
    expect(await readFile(file, 'utf8')).toBe('a,b,c\n1,2,3\n');
  });
});
