import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { LAB_SECRET, hostPort, startTlsCoturn, startSecretCoturn, stopAllCoturn, type LabCoturn } from '../support/coturn-harness';
import * as fs from 'node:fs';
import * as os from 'node:os';

// The CLI as a user runs it: a real process, against a coturn the test started.
const BIN = path.resolve(__dirname, '../../main/headless/bin.cjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let lt: LabCoturn;
let rest: LabCoturn;
let caFile: string;
let tmp: string;

beforeAll(async () => {
  [lt, rest] = await Promise.all([startTlsCoturn({ ip: '127.0.0.1' }), startSecretCoturn({ ip: '127.0.0.2' })]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-e2e-'));
  caFile = path.join(tmp, 'ca.pem');
  fs.writeFileSync(caFile, lt.cert!.certPem);
});

afterAll(async () => {
  await stopAllCoturn();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface ProbeJson {
  ok: boolean;
  transport: string;
  relayed: { ip: string; port: number } | null;
  reflexive: { ip: string; port: number } | null;
  lifetime: number | null;
  steps: Array<{ name: string; ms: number; outcome: string }>;
  echo: { indication: { sent: number; received: number }; channel: { sent: number; received: number } };
  error?: { code: string; message: string };
}

describe('mediapath turn-probe', () => {
  it.each(['udp', 'tcp', 'tls'] as const)('probes over %s and prints the JSON report', async (transport) => {
    const server = transport === 'tls' ? lt.tls! : transport === 'tcp' ? lt.tcp : lt.udp;
    const tlsArgs = transport === 'tls' ? ['--ca', caFile, '--servername', 'turn.lab.test'] : [];
    const r = await run(['turn-probe', '--server', hostPort(server), '--transport', transport, '--username', 'alice', '--password', 'alicepw', '--local', '127.0.0.1', '--json', ...tlsArgs]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as ProbeJson;
    expect(j.ok).toBe(true);
    expect(j.transport).toBe(transport);
    expect(j.relayed?.ip).toBe('127.0.0.1');
    expect(j.reflexive?.ip).toBe('127.0.0.1');
    expect(j.lifetime).toBe(600);
    expect(j.steps.map((s) => s.name)).toEqual([
      ...(transport === 'udp' ? [] : ['connect']),
      'allocate',
      'allocate-authenticated',
      'create-permission',
      'echo-indication',
      'channel-bind',
      'echo-channel',
      'deallocate',
    ]);
    expect(j.steps[transport === 'udp' ? 0 : 1]!.outcome).toMatch(/^401/);
    expect(j.echo.indication).toMatchObject({ sent: 5, received: 5 });
    expect(j.echo.channel).toMatchObject({ sent: 5, received: 5 });
  });

  it('mints REST API credentials from --secret', async () => {
    const r = await run(['turn-probe', '--server', hostPort(rest.udp), '--username', 'bob', '--secret', LAB_SECRET, '--json', '--count', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as ProbeJson & { username: string };
    expect(j.ok).toBe(true);
    expect(j.username).toMatch(/^\d+:bob$/);
  });

  it('a wrong password fails with TURN_AUTH_FAILED, the 401 shown, exit 1', async () => {
    const r = await run(['turn-probe', '--server', hostPort(lt.udp), '--username', 'alice', '--password', 'nope', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as ProbeJson;
    expect(j.ok).toBe(false);
    expect(j.error?.code).toBe('TURN_AUTH_FAILED');
    expect(j.error?.message).toMatch(/401/);
    expect(j.steps.map((s) => s.outcome.split(' ')[0])).toEqual(['401', '401']);
    // the password never appears in the report
    expect(r.stdout).not.toContain('"nope"');
  });

  it('a TLS server with an untrusted certificate fails with NET_TLS_FAILED; --insecure accepts it', async () => {
    const bad = await run(['turn-probe', '--server', hostPort(lt.tls!), '--transport', 'tls', '--username', 'alice', '--password', 'alicepw', '--json']);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as ProbeJson).error?.code).toBe('NET_TLS_FAILED');
    const ok = await run(['turn-probe', '--server', hostPort(lt.tls!), '--transport', 'tls', '--username', 'alice', '--password', 'alicepw', '--insecure', '--json', '--count', '1']);
    expect(ok.code).toBe(0);
  });

  it('bad usage says what is wrong and exits 2', async () => {
    const r = await run(['turn-probe', '--server', 'no-port', '--username', 'a', '--password', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--server must be HOST:PORT/);
    const t = await run(['turn-probe', '--server', '127.0.0.1:3478', '--transport', 'sctp', '--username', 'a', '--password', 'b']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--transport must be udp, tcp or tls/);
  });

  it('--lab starts its own coturn, probes udp, tcp, tls and REST credentials, and stops it', async () => {
    const r = await run(['turn-probe', '--lab', '--json', '--count', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; probes: ProbeJson[] };
    expect(j.ok).toBe(true);
    expect(j.probes.map((p) => p.transport)).toEqual(['udp', 'tcp', 'tls', 'udp']);
    expect(j.probes.every((p) => p.ok)).toBe(true);
  });
});
