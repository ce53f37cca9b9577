import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KamailioInstance } from '../../../main/lab/kamailio';
import { DOMAIN, kamailioErrors, startLabKamailio, USERS } from './harness';

// `mediapath register` as a user runs it, against Kamailio: a standard registrar with no Lync
// provisioning. Registration works; the SUBSCRIBE is refused 489 and the tool says there will be
// no relay credentials (a diagnosis with the server's words, exit 1), never a crash; the binding
// is removed again, and the password is never printed.

const BIN = path.resolve(__dirname, '../../../main/headless/bin.cjs');

interface RegisterJson {
  ok: boolean;
  registered: { ok: boolean; expires: number | null; contact: string | null };
  provisioning: unknown;
  mras: unknown;
  steps: Array<{ name: string; ms: number; ok: boolean; outcome: string }>;
  diagnosis: string[];
  error?: { code: string; response?: { code: number } };
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let kam: KamailioInstance;
beforeAll(async () => {
  kam = await startLabKamailio();
});
afterAll(async () => {
  // Read before stopping: Kamailio's workers complain about closed pipes while it shuts down.
  const errors = kam ? kamailioErrors(kam) : [];
  await kam?.stop();
  expect(errors).toEqual([]);
});

describe('mediapath register against Kamailio', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: registered, provisioning refused 489 → "no relay credentials", un-registered`, async () => {
      const r = await run(['register', '--registrar', `sip:${kam.udp.ip}:${kam.udp.port};transport=${transport}`, '--user', `sip:alice@${DOMAIN}`, '--password', USERS.alice, '--json']);
      const out = JSON.parse(r.stdout) as RegisterJson;
      expect(r.code, r.stderr).toBe(1);
      expect(out.registered).toMatchObject({ ok: true, expires: 300 });
      expect(out.registered.contact).toMatch(transport === 'tcp' ? /;transport=tcp$/ : /^sip:alice@127\.0\.0\.1:\d+$/);
      expect(out.steps.map((s) => [s.name, s.ok])).toEqual([
        ['register', true],
        ['provisioning', false],
        ['unregister', true],
      ]);
      expect(out.provisioning).toBeNull();
      expect(out.mras).toBeNull();
      expect(out.error).toMatchObject({ code: 'SIP_REJECTED', response: { code: 489 } });
      expect(out.diagnosis[0]).toMatch(/^no relay credentials: provisioning failed .*489 Bad Event/);
      expect(r.stdout + r.stderr).not.toContain(USERS.alice);
      expect(await kam.bindings('alice')).toEqual([]);
      console.info(`mediapath register over ${transport} against kamailio: ${out.steps.map((s) => `${s.name} ${s.ms} ms`).join(', ')}`);
    });
  }

  it('a wrong password: SIP_AUTH_FAILED with the 401, exit 1, nothing after it', async () => {
    const r = await run(['register', '--registrar', `sip:${kam.udp.ip}:${kam.udp.port};transport=udp`, '--user', `sip:bob@${DOMAIN}`, '--password', 'wrong-pw', '--json']);
    const out = JSON.parse(r.stdout) as RegisterJson;
    expect(r.code, r.stderr).toBe(1);
    expect(out.registered.ok).toBe(false);
    expect(out.error).toMatchObject({ code: 'SIP_AUTH_FAILED', response: { code: 401 } });
    expect(out.steps.map((s) => s.name)).toEqual(['register']);
    expect(r.stdout + r.stderr).not.toContain('wrong-pw');
  });
});
