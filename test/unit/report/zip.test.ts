import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zip } from '../../../main/report/zip';

const run = promisify(execFile);
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mp-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PY_READ = [
  'import json, sys, zipfile',
  'z = zipfile.ZipFile(sys.argv[1])',
  'bad = z.testzip()',
  'print(json.dumps({"bad": bad, "entries": [{"name": i.filename, "method": i.compress_type, "size": i.file_size, "text": z.read(i).decode("utf-8", "replace"), "utf8": bool(i.flag_bits & 0x800)} for i in z.infolist()]}))',
].join('\n');

describe('zip writer', () => {
  const big = 'timeline line, compresses well\n'.repeat(2000);
  const entries = [
    { name: 'report.json', data: '{"verdict":"pass"}\n' },
    { name: 'timeline.jsonl', data: big },
    { name: 'bin/bytes.dat', data: new Uint8Array([0, 1, 2, 255, 254]), method: 'store' as const },
    { name: 'résumé.txt', data: 'naïve ünïcode ✓\n' },
    { name: 'empty.txt', data: '' },
  ];

  it('writes an archive that unzip -t and python zipfile read back byte for byte', async () => {
    const file = path.join(dir, 'bundle.zip');
    const bytes = zip(entries, new Date(Date.UTC(2026, 10, 27, 18, 0, 0)));
    await writeFile(file, bytes);
    const t = await run('unzip', ['-t', file]);
    expect(t.stdout).toMatch(/No errors detected/);
    const py = JSON.parse((await run('python3', ['-c', PY_READ, file])).stdout) as { bad: string | null; entries: Array<{ name: string; method: number; size: number; text: string; utf8: boolean }> };
    expect(py.bad).toBeNull();
    expect(py.entries.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    const byName = new Map(py.entries.map((e) => [e.name, e]));
    expect(byName.get('timeline.jsonl')).toMatchObject({ method: 8, size: big.length, text: big });
    expect(byName.get('bin/bytes.dat')).toMatchObject({ method: 0, size: 5 });
    expect(byName.get('résumé.txt')).toMatchObject({ text: 'naïve ünïcode ✓\n', utf8: true });
    expect(byName.get('empty.txt')).toMatchObject({ size: 0, text: '' });
    // Deflate pays for the repeated Timeline lines.
    expect(bytes.length).toBeLessThan(big.length / 10);
  });

  it('refuses names that would escape the folder it is unpacked in, and duplicates', () => {
    expect(() => zip([{ name: '../x', data: '' }])).toThrow(/not a ZIP entry name/);
    expect(() => zip([{ name: '/etc/x', data: '' }])).toThrow(/not a ZIP entry name/);
    expect(() => zip([{ name: 'a\\b', data: '' }])).toThrow(/not a ZIP entry name/);
    expect(() => zip([{ name: 'a', data: '' }, { name: 'a', data: '' }])).toThrow(/twice/);
  });

  it('an empty archive is just the end record', () => {
    expect(zip([]).length).toBe(22);
  });
});
