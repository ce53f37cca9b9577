import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../main/common/clock';
import { NodeNet } from '../../main/net/node/node-net';
import { TurnAllocation } from '../../main/turn';
import { restCredentials } from '../../main/turn/credentials';
import { hostPort, startSecretCoturn, stopAllCoturn, type LabCoturn } from '../support/coturn-harness';
import { pickFreePort } from '../support/ports';

// `mediapath lab sip` and `mediapath register` as a user runs them, as processes: the lab's
// MRAS service hands out credentials for a coturn the harness started with the same secret,
// `register` prints them masked, and they open an allocation on that coturn.

const BIN = path.resolve(__dirname, '../../main/headless/bin.cjs');
const SECRET = 'e2e-sip-lab-secret';
const USERS = 'alice:alice-pw,bob:bob-pw';

interface LabJson {
  ok: boolean;
  sip: { udp: number | null; tcp: number | null; tls: number | null };
  uris: { udp: string | null; tcp: string | null; tls: string | null };
  mrasUri: string | null;
  users: Array<{ name: string; aor: string; password?: string }>;
  relays: Array<{ directIPAddress?: string; udpPort?: number; tcpPort?: number }>;
  caFile: string | null;
}

interface RegisterJson {
  ok: boolean;
  registered: { ok: boolean; expires: number | null; contact: string | null };
  provisioning: { mrasUri: string | null; qosUri: string | null } | null;
  mras: {
    username: string;
    passwordMasked: string;
    passwordFingerprint: string;
    expiresAt: string;
    relays: Array<{ host: string; udpPort: number | null; tcpPort: number | null; location: string | null }>;
  } | null;
  steps: Array<{ name: string; ms: number; ok: boolean; outcome: string }>;
  diagnosis: string[];
  error?: { code: string; message: string; cause?: { code: string } };
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface RunningLab {
  readonly json: LabJson;
  readonly child: ChildProcess;
  /** SIGTERM by PID; resolves with the exit code and what it printed on stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

const labs = new Set<RunningLab>();

/** Starts `mediapath lab sip … --json` and waits for its one JSON line. */
function startLab(args: string[]): Promise<RunningLab> {
  const child = spawn(process.execPath, [BIN, 'lab', 'sip', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lab sip printed no JSON line in 30 s\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const json = JSON.parse(stdout.slice(0, nl)) as LabJson;
      const lab: RunningLab = {
        json,
        child,
        stop: async () => {
          labs.delete(lab);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return { code: await exited, stderr };
        },
      };
      labs.add(lab);
      resolve(lab);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!stdout.includes('\n')) reject(new Error(`lab sip exited ${code} before printing its JSON line\n${stderr}`));
    });
  });
}

let coturn: LabCoturn;

beforeAll(async () => {
  coturn = await startSecretCoturn({ ip: '127.0.0.1', secret: SECRET });
});

afterEach(async () => {
  // Every lab stops cleanly on SIGTERM: exit 0, its certificate files removed.
  for (const l of [...labs]) {
    const { code, stderr } = await l.stop();
    expect(code, stderr).toBe(0);
    if (l.json.caFile) expect(fs.existsSync(l.json.caFile)).toBe(false);
  }
});

afterAll(async () => {
  await stopAllCoturn();
});

const turnArgs = (): string[] => ['--turn', hostPort(coturn.udp), '--turn-secret', SECRET];

function register(uri: string, extra: string[] = []): Promise<{ code: number; json: RegisterJson; stdout: string }> {
  return run(['register', '--registrar', uri, '--user', 'sip:alice@lab.test', '--password', 'alice-pw', '--json', ...extra]).then((r) => ({
    code: r.code,
    stdout: r.stdout,
    json: JSON.parse(r.stdout) as RegisterJson,
  }));
}

describe('mediapath lab sip + mediapath register', () => {
  it('lab sip --json prints one line (ports, mrasUri, users) and stops cleanly on SIGTERM', async () => {
    const lab = await startLab(['--port', '0', '--tls', '--users', USERS, ...turnArgs()]);
    const j = lab.json;
    expect(j.ok).toBe(true);
    expect(j.sip.udp).toBeGreaterThan(0);
    expect(j.sip.tcp).toBeGreaterThan(0);
    expect(j.sip.tls).toBeGreaterThan(0);
    expect(j.uris.tls).toBe(`sip:127.0.0.1:${j.sip.tls};transport=tls`);
    expect(j.mrasUri).toMatch(/^sip:mras@lab\.test/);
    expect(j.users.map((u) => u.aor)).toEqual(['sip:alice@lab.test', 'sip:bob@lab.test']);
    // Passwords given on the command line are not echoed.
    expect(j.users.every((u) => u.password === undefined)).toBe(true);
    expect(j.relays).toEqual([{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: coturn.udp.port, tcpPort: coturn.udp.port }]);
    const { code } = await lab.stop();
    expect(code).toBe(0);
  });

  it.each(['udp', 'tcp', 'tls'] as const)('register over %s: registered, provisioning, MRAS credentials that allocate on the coturn, un-registered', async (transport) => {
    const lab = await startLab(['--port', '0', '--tls', '--users', USERS, ...turnArgs()]);
    const r = await register(lab.json.uris[transport]!, transport === 'tls' ? ['--ca', lab.json.caFile!] : []);
    expect(r.code, r.stdout).toBe(0);
    const j = r.json;
    expect(j.ok).toBe(true);
    expect(j.registered).toMatchObject({ ok: true, expires: 300 });
    expect(j.provisioning?.mrasUri).toBe(lab.json.mrasUri);
    expect(j.steps.map((s) => s.name)).toEqual(['register', 'provisioning', 'mras', 'unregister']);
    expect(j.steps.every((s) => s.ok && s.ms >= 0)).toBe(true);
    expect(j.mras?.relays).toEqual([{ host: '127.0.0.1', udpPort: coturn.udp.port, tcpPort: coturn.udp.port, location: 'internet' }]);
    expect(j.mras?.passwordMasked).toBe('********');
    expect(Date.parse(j.mras!.expiresAt) - Date.now()).toBeGreaterThan(479 * 60_000);

    // The username register printed, with the password the secret gives it, is what MRAS
    // issued (the fingerprint matches) and what coturn accepts.
    const [expiry, user] = j.mras!.username.split(':') as [string, string];
    expect(user).toBe('alice');
    const creds = restCredentials(SECRET, user, Number(expiry));
    expect(creds.username).toBe(j.mras!.username);
    expect(j.mras!.passwordFingerprint).toBe(`sha256:${createHash('sha256').update(creds.password).digest('hex').slice(0, 16)}`);
    expect(r.stdout).not.toContain(creds.password);
    const net = new NodeNet();
    const clock = new RealClock();
    const alloc = await TurnAllocation.allocate({
      net,
      clock,
      server: { address: coturn.udp, transport: 'udp' },
      credentials: { kind: 'rest', username: creds.username, password: creds.password, expiresAt: Number(expiry) },
      localIp: '127.0.0.1',
    });
    expect(alloc.state).toBe('allocated');
    await alloc.close();
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a wrong password: SIP_AUTH_FAILED, exit 1', async () => {
    const lab = await startLab(['--port', '0', '--users', USERS, ...turnArgs()]);
    const r = await run(['register', '--registrar', lab.json.uris.udp!, '--user', 'sip:alice@lab.test', '--password', 'wrong', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as RegisterJson;
    expect(j.error?.code).toBe('SIP_AUTH_FAILED');
    expect(j.registered.ok).toBe(false);
    expect(j.steps.map((s) => s.name)).toEqual(['register']);
  });

  it('an unreachable registrar: SIP_TIMEOUT over UDP (Timer F within --timeout) and over TCP (refused connect as cause), exit 1', async () => {
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: true });
    const udp = await register(`sip:127.0.0.1:${port};transport=udp`, ['--timeout', '1000']);
    expect(udp.code).toBe(1);
    expect(udp.json.error?.code).toBe('SIP_TIMEOUT');
    expect(udp.json.diagnosis[0]).toMatch(/no answer from the registrar within 1000 ms/);
    const tcp = await register(`sip:127.0.0.1:${port};transport=tcp`, ['--timeout', '1000']);
    expect(tcp.code).toBe(1);
    expect(tcp.json.error).toMatchObject({ code: 'SIP_TIMEOUT', cause: { code: 'NET_CONNECT_FAILED' } });
  });

  it('MRAS refusing (hidden --mras-error knob): MRAS_FAILED with "no relay credentials: …", exit 1, still un-registered', async () => {
    const lab = await startLab(['--port', '0', '--users', USERS, ...turnArgs(), '--mras-error', 'Service Unavailable']);
    const r = await register(lab.json.uris.udp!);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('MRAS_FAILED');
    expect(r.json.diagnosis[0]).toMatch(/^no relay credentials: .*"Service Unavailable"/);
    expect(r.json.mras).toBeNull();
    expect(r.json.steps.map((s) => [s.name, s.ok])).toEqual([['register', true], ['provisioning', true], ['mras', false], ['unregister', true]]);
  });

  it('a lab without --turn has no Edge: no mrasUri, register exits 0 and says there are no relay credentials', async () => {
    const lab = await startLab(['--port', '0']);
    expect(lab.json.mrasUri).toBeNull();
    const alice = lab.json.users.find((u) => u.name === 'alice')!;
    // Generated passwords are printed: the user needs them to register.
    expect(alice.password).toMatch(/^[0-9a-f]{12}$/);
    const r = await run(['register', '--registrar', lab.json.uris.udp!, '--user', alice.aor, '--password', alice.password!, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as RegisterJson;
    expect(j.provisioning?.mrasUri).toBeNull();
    expect(j.mras).toBeNull();
    expect(j.diagnosis).toEqual([expect.stringMatching(/^no relay credentials: provisioning carried no mrasUri/)]);
  });

  it('bad usage says what is wrong and exits 2', async () => {
    const noSecret = await run(['lab', 'sip', '--port', '0', '--turn', '127.0.0.1:3478']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/--turn needs --turn-secret/);
    const badUri = await run(['register', '--registrar', '127.0.0.1:5060', '--user', 'sip:alice@lab.test', '--password', 'x']);
    expect(badUri.code).toBe(2);
    expect(badUri.stderr).toMatch(/--registrar must be sip:HOST:PORT/);
    const caOnUdp = await run(['register', '--registrar', 'sip:127.0.0.1:5060', '--user', 'sip:alice@lab.test', '--password', 'x', '--ca', '/nonexistent']);
    expect(caOnUdp.code).toBe(2);
  });
});
