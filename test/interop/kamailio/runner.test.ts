import { execFile } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediapathError } from '../../../main/common/errors';
import { DEBIAN_KAMAILIO_MODULES, kamailioConfig, redactKamailioConfig } from '../../../main/lab/kamailio-config';
import { parseUlDump, sipOptionsPing, startKamailio } from '../../../main/lab/kamailio';
import { pickFreePort } from '../../support/ports';
import { startLabKamailio, USERS } from './harness';

// The Kamailio runner itself: the generated config is one Kamailio accepts, the server comes up
// and goes away with every process of its group and its temp dir, a busy port and a missing
// binary are coded errors, and nothing secret is printed.

/** PIDs of processes whose command line names `dir` (Kamailio's workers share the main one's). */
function pidsNaming(dir: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').includes(dir)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function kamailioCheck(cfg: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/usr/sbin/kamailio', ['-c', '-f', cfg], { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

describe('the Kamailio runner', () => {
  it('writes a config `kamailio -c` accepts (SHA-256 digest, short nonces, the 415 route, verbose) and masks the passwords', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-kamailio-cfg-'));
    try {
      const text = kamailioConfig({
        ip: '127.0.0.1',
        port: 5070,
        domain: 'lab.test',
        users: [
          { name: 'alice', password: 'a-very:odd#pw' },
          { name: 'bob', password: 'bob-pw' },
        ],
        digest: 'SHA-256',
        nonceExpireSec: 30,
        authenticateInvite: true,
        minExpires: 1,
        maxExpires: 3600,
        refuseMultipartTo: ['bob', 'one.part'],
        verbose: true,
        dir,
        modulesDir: DEBIAN_KAMAILIO_MODULES,
      });
      const cfg = path.join(dir, 'kamailio.cfg');
      fs.writeFileSync(cfg, text);
      const r = await kamailioCheck(cfg);
      expect(r.code, r.out).toBe(0);
      const shown = redactKamailioConfig(text);
      expect(shown).not.toContain('a-very:odd#pw');
      expect(shown).not.toContain('bob-pw');
      expect(shown).toContain('$sht(users=>alice) = "***";');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts, answers OPTIONS, and stop() leaves no process of its group and no temp dir', async () => {
    const k = await startLabKamailio({ verbose: true });
    const dir = k.dir;
    expect(k.running).toBe(true);
    expect(fs.existsSync(k.configPath)).toBe(true);
    expect(k.config).not.toContain(USERS.alice);
    // Kamailio forks workers: all of them carry the config path on their command line.
    expect(pidsNaming(dir).length).toBeGreaterThan(1);
    expect(await sipOptionsPing(k.udp, 1000)).toBe(true);
    expect(await k.bindings()).toEqual([]);
    await k.stop();
    await k.stop(); // idempotent
    expect(k.running).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    expect(pidsNaming(dir)).toEqual([]);
    expect(k.log()).toMatch(/request OPTIONS sip:127\.0\.0\.1:\d+ from 127\.0\.0\.1/);
    await expect(k.bindings()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('a busy fixed port is LAB_KAMAILIO_START_FAILED with the log tail, and nothing is left behind', async () => {
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: true });
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind({ port, address: '127.0.0.1', exclusive: true }, () => r()));
    try {
      const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('mediapath-kamailio-')));
      const e = await startKamailio({ port, users: [{ name: 'alice', password: 'pw' }], startTimeoutMs: 5000 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(MediapathError);
      expect((e as MediapathError).code).toBe('LAB_KAMAILIO_START_FAILED');
      expect((e as MediapathError).message).toMatch(/Address already in use/);
      const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('mediapath-kamailio-') && !before.has(n));
      expect(after).toEqual([]);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });

  it('a missing binary is LAB_KAMAILIO_MISSING with an install hint; the test harness turns it into a failure, never a skip', async () => {
    const e = await startKamailio({ binary: '/nonexistent/kamailio', users: [{ name: 'alice', password: 'pw' }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as MediapathError).code).toBe('LAB_KAMAILIO_MISSING');
    expect((e as Error).message).toContain('apt-get install -y --no-install-recommends kamailio');
    await expect(startLabKamailio({ binary: '/nonexistent/kamailio' })).rejects.toThrow(/never skip/);
  });

  it('refuses users and passwords that would not survive the config as INVALID_ARGUMENT', async () => {
    for (const users of [[], [{ name: 'al ice', password: 'pw' }], [{ name: 'alice', password: 'p"w' }], [{ name: 'alice', password: 'p$w' }], [{ name: 'alice', password: 'pw' }, { name: 'alice', password: 'pw2' }]]) {
      await expect(startKamailio({ users })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(startKamailio({ users: [{ name: 'alice', password: 'pw' }], minExpires: 10, maxExpires: 5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reads `kamcmd ul.dump` output, skipping what it does not know', () => {
    // The shape kamcmd 5.6 prints (trimmed): nested braces, one `Key: value` per line.
    const dump = [
      '{',
      '\tDomains: {',
      '\t\tDomain: {',
      '\t\t\tDomain: location',
      '\t\t\tSize: 1024',
      '\t\t\tAoRs: {',
      '\t\t\t\tInfo: {',
      '\t\t\t\t\tAoR: alice',
      '\t\t\t\t\tHashID: 1834153949',
      '\t\t\t\t\tContacts: {',
      '\t\t\t\t\t\tContact: {',
      '\t\t\t\t\t\t\tAddress: sip:alice@127.0.0.2:40000',
      '\t\t\t\t\t\t\tExpires: 598',
      '\t\t\t\t\t\t\tCall-ID: dd7b2015@lab.test',
      '\t\t\t\t\t\t\tReceived: sip:127.0.0.2:40000',
      '\t\t\t\t\t\t\tPath: [not set]',
      '\t\t\t\t\t\t}',
      '\t\t\t\t\t\tContact: {',
      '\t\t\t\t\t\t\tAddress: sip:alice@127.0.0.2:40002;transport=tcp',
      '\t\t\t\t\t\t\tExpires: permanent',
      '\t\t\t\t\t\t\tReceived: [not set]',
      '\t\t\t\t\t\t}',
      '\t\t\t\t\t}',
      '\t\t\t\t}',
      '\t\t\t\tInfo: {',
      '\t\t\t\t\tAoR: bob',
      '\t\t\t\t\tContacts: {',
      '\t\t\t\t\t\tContact: {',
      '\t\t\t\t\t\t\tAddress: sip:bob@127.0.0.3:40004',
      '\t\t\t\t\t\t\tExpires: 10',
      '\t\t\t\t\t\t}',
      '\t\t\t\t\t}',
      '\t\t\t\t}',
      '\t\t\t}',
      '\t\t\tStats: {',
      '\t\t\t\tRecords: 2',
      '\t\t\t}',
      '\t\t}',
      '\t}',
      '}',
    ].join('\n');
    expect(parseUlDump(dump)).toEqual([
      { aor: 'alice', contact: 'sip:alice@127.0.0.2:40000', expires: 598, received: 'sip:127.0.0.2:40000' },
      { aor: 'alice', contact: 'sip:alice@127.0.0.2:40002;transport=tcp', expires: 0 },
      { aor: 'bob', contact: 'sip:bob@127.0.0.3:40004', expires: 10 },
    ]);
    expect(parseUlDump('')).toEqual([]);
    expect(parseUlDump('garbage\n\0\n:::')).toEqual([]);
  });
});
