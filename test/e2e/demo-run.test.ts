import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../main/common/clock';
import { CryptoRandom } from '../../main/common/random';
import { sendDeviation } from '../../main/headless/commands/call-output';
import { startLabRegistrar, type LabRegistrar } from '../../main/lab/registrar';
import { NodeNet } from '../../main/net/node/node-net';
import type { Report } from '../../main/report';
import { parseTimelineJsonl } from '../../main/session/timeline';
import { startSecretCoturn, type LabCoturn } from '../support/coturn-harness';

// `mediapath run`, `call`, `answer` and `report` as a user runs them, against the lab registrar
// (provisioning, MRAS minting REST credentials) and a real coturn that accepts them: a scenario
// file calls, another process answers from flags; the saved Timeline gives the identical report;
// a scenario file with errors is refused with file:line: field messages and exit code 2.

const BIN = path.resolve(__dirname, '../../main/headless/bin.cjs');
const SECRET = 'demo-run-secret';
const dir = mkdtempSync(path.join(os.tmpdir(), 'mediapath-run-test-'));
let coturn: LabCoturn;
let reg: LabRegistrar;
const net = new NodeNet();

beforeAll(async () => {
  coturn = await startSecretCoturn({ secret: SECRET });
  reg = await startLabRegistrar({
    net,
    clock: new RealClock(),
    random: new CryptoRandom(),
    listen: { ip: '127.0.0.1', udpPort: 0, tcpPort: 0 },
    domain: 'lab.test',
    users: { alice: 'alice-pw', bob: 'bob-pw' },
    digest: 'SHA-256',
    authenticate: { invite: true },
    mras: { enabled: true, relays: [{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: coturn.udp.port, tcpPort: coturn.tcp.port }], turnSecret: SECRET },
  });
});

afterAll(async () => {
  await reg?.stop();
  await coturn?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function spawn(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number; stdout: string; stderr: string }> } {
  let child!: ChildProcess;
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child = execFile(process.execPath, [BIN, ...args], { timeout: 60_000, maxBuffer: 32 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
  return { child, done };
}

const run = (args: string[], env: Record<string, string> = {}) => spawn(args, env).done;

function expectPassUnlessStarved(report: Report, timelineFile: string, log: string): void {
  if (report.verdict === 'pass') return;
  const t = parseTimelineJsonl(readFileSync(timelineFile, 'utf8'));
  const d = sendDeviation(t.ok ? t.value : { header: {} as never, events: [] });
  expect(d.disturbed, `verdict ${report.verdict} (${report.verdictReason}) on an undisturbed run\n${log}`).toBe(true);
}

describe('mediapath run / call / answer / report', () => {
  it('a scenario file calls, `answer` picks up; both report; the saved Timeline reports the same', async () => {
    const registrar = `127.0.0.1:${reg.udp!.port}`;
    const answering = spawn(['answer', '--registrar', registrar, '--aor', 'sip:bob@lab.test', '--password-env', 'BOB_PW', '--timeout', '30', '--out', path.join(dir, 'bob'), '--json'], { BOB_PW: 'bob-pw' });
    // bob must be registered before alice calls: wait for the binding (a readiness wait, not a
    // time assertion: a process starting through tsx on a loaded machine can take many seconds).
    for (let i = 0; i < 1200 && reg.bindings('sip:bob@lab.test').length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(reg.bindings('sip:bob@lab.test')).toHaveLength(1);
    const file = path.join(dir, 'call.yaml');
    writeFileSync(
      file,
      [
        'name: alice-calls-bob',
        'registrar:',
        '  address: 127.0.0.1',
        `  port: ${reg.udp!.port}`,
        'accounts:',
        '  - id: alice',
        '    aor: sip:alice@lab.test',
        '    password: ${ENV:ALICE_PW}',
        'dialect: multipart-draft6',
        'call:',
        '  target: sip:bob@lab.test',
        '  duration: 3s',
        'output:',
        '  dir: alice',
        '  json: report.json',
        '  junit: junit.xml',
        '  csv: intervals.csv',
        '  summary: summary.txt',
        '  timeline: timeline.jsonl',
        '',
      ].join('\n'),
    );
    const calling = await run(['run', file], { ALICE_PW: 'alice-pw' });
    const answered = await answering.done;
    const report = JSON.parse(readFileSync(path.join(dir, 'alice', 'report.json'), 'utf8')) as Report;
    expect(calling.code, calling.stderr).toBe(report.exitCode);
    expectPassUnlessStarved(report, path.join(dir, 'alice', 'timeline.jsonl'), calling.stderr);
    expect(report.phases.map((p) => [p.name, p.ok])).toEqual([
      ['registration', true],
      ['mras', true],
      ['gathering', true],
      ['checks', true],
      ['media', true],
    ]);
    expect(report.run.meta).toMatchObject({ scenario: 'alice-calls-bob', mode: 'call', account: 'sip:alice@lab.test' });
    expect(report.mras?.relays[0]).toMatchObject({ host: '127.0.0.1', udpPort: coturn.udp.port });
    expect(report.candidates.local.some((c) => c.type === 'relay')).toBe(true);
    expect(report.finalPath).not.toBeNull();
    expect(calling.stdout).toMatch(/^Verdict: /m);
    expect(calling.stderr).toMatch(/\] media +ok/);
    // The answering side, in JSON.
    const bob = JSON.parse(answered.stdout) as Report;
    expect(answered.code, answered.stderr).toBe(bob.exitCode);
    expect(bob.run.meta).toMatchObject({ mode: 'answer', account: 'sip:bob@lab.test' });
    expect(bob.phases.every((p) => p.ok)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'bob', 'report.json'), 'utf8'))).toEqual(bob);
    // Opened again: the identical report, whatever the verdict.
    const again = await run(['report', path.join(dir, 'alice', 'timeline.jsonl'), '--json']);
    expect(again.code).toBe(report.exitCode);
    expect(JSON.parse(again.stdout)).toEqual(report);
    const human = await run(['report', path.join(dir, 'alice', 'timeline.jsonl')]);
    expect(human.stdout).toBe(readFileSync(path.join(dir, 'alice', 'summary.txt'), 'utf8'));
  });

  it('a wrong password: registration fails, exit 2, and the summary says why', async () => {
    const r = await run(['call', '--registrar', `127.0.0.1:${reg.tcp!.port}`, '--transport', 'tcp', '--aor', 'sip:alice@lab.test', '--password', 'nope', '--target', 'sip:bob@lab.test', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Verdict: ERROR - phase registration failed: SIP_AUTH_FAILED/m);
  });

  it('a scenario file with errors: every problem with its file, line and field, exit 2', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, ['registar:', '  address: 127.0.0.1', 'accounts:', '  - id: a', '    aor: sip:a@lab.test', 'call:', '  target: bob', '  duration: soon', ''].join('\n'));
    const r = await run(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'broken.yaml:1: registrar: missing (required)',
      'broken.yaml:1: registar: unknown field (did you mean registrar?)',
      'broken.yaml:7: call.target: expected a SIP URI like sip:bob@example.com (or tel:+15551234)',
      'broken.yaml:8: call.duration: expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s',
    ]);
    const j = await run(['run', file, '--json']);
    expect(j.code).toBe(2);
    expect((JSON.parse(j.stdout) as { issues: unknown[] }).issues).toHaveLength(4);
  });

  it('flags that do not make a scenario: exit 2, named by field', async () => {
    const r = await run(['call', '--registrar', '127.0.0.1', '--aor', 'alice', '--target', 'sip:bob@lab.test', '--duration', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mediapath call: accounts\[0\]\.aor: expected a SIP URI/);
    expect(r.stderr).toMatch(/mediapath call: call\.duration: /);
  });

  it('a Timeline that does not load: file, line and field, exit 2', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, '{"format":"mediapath-timeline","version":1,"tool":"mediapath","toolVersion":"0","startedAt":"2026-01-01T00:00:00Z","originAt":0}\n{"seq":1,"type":"check","at":1}\n');
    const r = await run(['report', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl:2: check\.pair: Required/);
  });
});
