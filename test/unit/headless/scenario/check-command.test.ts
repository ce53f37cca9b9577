import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../main/headless/cli';
import type { Output } from '../../../../main/headless/output';

/** `mediapath scenario check` in process, with its output captured. */
async function check(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o: Output = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(['scenario', 'check', ...args], o);
  return { code, out, err };
}

describe('mediapath scenario check', () => {
  let dir = '';
  const saved = process.env['MEDIAPATH_TEST_PW'];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediapath-check-'));
    process.env['MEDIAPATH_TEST_PW'] = 'hunter2';
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env['MEDIAPATH_TEST_PW'];
    else process.env['MEDIAPATH_TEST_PW'] = saved;
    await rm(dir, { recursive: true, force: true });
  });

  const good = `registrar: { host: sip.lab.test, transport: tcp }
accounts:
  - id: alice
    aor: sip:alice@lab.test
    password: \${ENV:MEDIAPATH_TEST_PW}
call: { target: sip:bob@lab.test, duration: 20s }
`;

  it('a valid file: exit 0 and what it would run', async () => {
    const file = path.join(dir, 'good.yaml');
    await writeFile(file, good);
    const r = await check(file);
    expect(r).toEqual({
      code: 0,
      out: `${file}: ok\n  good: call sip:bob@lab.test as sip:alice@lab.test for 20 s via sip.lab.test:5060/tcp (v19, lync, PCMU/20 ms), thresholds microsoft-client-edge\n`,
      err: '',
    });
  });

  it('--json prints the scenario without the password', async () => {
    const file = path.join(dir, 'good.yaml');
    await writeFile(file, good);
    const r = await check(file, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ok: boolean; scenario: { accounts: Array<{ password: string }> } };
    expect(j.ok).toBe(true);
    expect(j.scenario.accounts[0]!.password).toBe('«redacted»');
    expect(r.out).not.toContain('hunter2');
  });

  it('an invalid file: every issue on stderr with file:line: field, exit 2', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, good.replace('duration: 20s', 'duration: ages').replace('transport: tcp', 'transport: sctp'));
    const r = await check(file);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'bad.yaml:1: registrar.transport: expected one of udp, tcp, tls; got "sctp"\nbad.yaml:6: call.duration: expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s\n',
    );
    const j = await check(file, '--json');
    expect(j.code).toBe(2);
    expect((JSON.parse(j.out) as { ok: boolean; issues: Array<{ line: number; field: string }> }).issues.map((i) => [i.line, i.field])).toEqual([
      [1, 'registrar.transport'],
      [6, 'call.duration'],
    ]);
  });

  it('a missing file: exit 2', async () => {
    const r = await check(path.join(dir, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^nope\.yaml: cannot read: ENOENT/);
  });
});
