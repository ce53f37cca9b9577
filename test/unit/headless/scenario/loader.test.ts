import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediapathError } from '../../../../main/common/errors';
import { REDACTED } from '../../../../main/common/redact';
import {
  describeScenario,
  formatScenarioIssue,
  loadScenarioFile,
  parseDuration,
  parseScenario,
  redactScenario,
  substituteEnv,
  validateScenarioFile,
  type Scenario,
} from '../../../../main/headless/scenario';
import { MICROSOFT_CLIENT_EDGE, MICROSOFT_EDGE_EDGE } from '../../../../main/session/thresholds';

const FILE = '/work/tests/scenario.yaml';

function load(text: string, env: Record<string, string> = {}): Scenario {
  const r = parseScenario(text, { file: FILE, env });
  if (!r.ok) throw new Error(r.error.map(formatScenarioIssue).join('\n'));
  return r.value;
}

function issues(text: string, env: Record<string, string> = {}): string[] {
  const r = parseScenario(text, { file: FILE, env });
  if (r.ok) throw new Error('expected issues');
  return r.error.map(formatScenarioIssue);
}

const MINIMAL = `registrar:
  host: sip.lab.test
accounts:
  - id: alice
    aor: sip:alice@lab.test
    password: \${ENV:ALICE_PW}
call:
  target: sip:bob@lab.test
  duration: 30
`;

describe('a valid scenario', () => {
  it('fills in defaults and resolves paths against the file', () => {
    const s = load(MINIMAL, { ALICE_PW: 's3cret' });
    expect(s).toMatchObject({
      file: FILE,
      version: 1,
      name: 'scenario',
      registrar: { host: 'sip.lab.test', port: 5060, transport: 'udp' },
      accounts: [{ id: 'alice', aor: 'sip:alice@lab.test', username: 'alice', password: 's3cret' }],
      dialect: 'v19',
      strategy: 'lync',
      mode: { kind: 'call', target: 'sip:bob@lab.test', durationMs: 30_000, answerTimeoutMs: 30_000 },
      media: { codec: 'PCMU', ptimeMs: 20 },
      output: { dir: '/work/tests' },
    });
    expect(s.thresholds).toBe(MICROSOFT_CLIENT_EDGE);
    expect(s.mode.kind === 'call' && s.mode.from.id).toBe('alice');
  });

  it('reads every field', () => {
    const s = load(
      `version: 1
name: branch to edge
registrar:
  address: 192.0.2.10
  transport: tls
  tls: { ca: certs/ca.pem, serverName: sip.example.test }
accounts:
  - { id: a, aor: sip:a@example.test, password: x }
  - id: b
    aor: sips:b@example.test
    username: DOMAIN\\b
    displayName: Bee
dialect: multipart-draft6
strategy: rfc8445
answer:
  as: b
  calls: 3
  duration: 1m30s
  timeout: 10m
media: { codec: G722, ptime: 40 }
thresholds: microsoft-edge-edge
output:
  dir: out
  json: report.json
  junit: junit.xml
  csv: /var/results.csv
  summary: summary.txt
  timeline: run.jsonl
`,
    );
    expect(s).toMatchObject({
      name: 'branch to edge',
      registrar: { address: '192.0.2.10', port: 5061, transport: 'tls', tls: { caFile: '/work/tests/certs/ca.pem', serverName: 'sip.example.test', insecure: false } },
      dialect: 'multipart-draft6',
      strategy: 'rfc8445',
      mode: { kind: 'answer', calls: 3, durationMs: 90_000, timeoutMs: 600_000 },
      media: { codec: 'G722', ptimeMs: 40 },
      output: { dir: '/work/tests/out', json: '/work/tests/out/report.json', csv: '/var/results.csv', timeline: '/work/tests/out/run.jsonl' },
    });
    expect(s.accounts[1]).toEqual({ id: 'b', aor: 'sips:b@example.test', username: 'DOMAIN\\b', displayName: 'Bee' });
    expect(s.mode.kind === 'answer' && s.mode.as.id).toBe('b');
    expect(s.thresholds).toBe(MICROSOFT_EDGE_EDGE);
  });

  it('user-defined thresholds: limits over a base profile, mos as a floor, null drops a limit', () => {
    const s = load(MINIMAL.replace('call:', 'thresholds:\n  profile: microsoft-client-edge\n  rttMs: 150\n  mos: 3.5\n  reorderPct: null\ncall:'), { ALICE_PW: 'x' });
    expect(s.thresholds.name).toBe('microsoft-client-edge+custom');
    expect(s.thresholds.limits.rttMs).toEqual({ max: 150 });
    expect(s.thresholds.limits.mos).toEqual({ min: 3.5 });
    expect(s.thresholds.limits.reorderPct).toBeUndefined();
    expect(s.thresholds.limits.lossPct).toEqual({ max: 1, windowMs: 15_000 });
    const own = load(MINIMAL.replace('call:', 'thresholds: { name: lab, lossPct: 5 }\ncall:'), { ALICE_PW: 'x' });
    expect(own.thresholds).toMatchObject({ name: 'lab', limits: { lossPct: { max: 5 } } });
  });

  it('describes itself in one line, and prints without passwords', () => {
    const s = load(MINIMAL, { ALICE_PW: 's3cret' });
    expect(describeScenario(s)).toBe('scenario: call sip:bob@lab.test as sip:alice@lab.test for 30 s via sip.lab.test:5060/udp (v19, lync, PCMU/20 ms), thresholds microsoft-client-edge');
    const printed = JSON.stringify(redactScenario(s));
    expect(printed).not.toContain('s3cret');
    expect(printed).toContain(REDACTED);
  });
});

describe('errors name the file, the line and the field', () => {
  it('the issue\'s example', () => {
    const text = ['registrar:', '  host: sip.lab.test', 'accounts:', '  - id: alice', '    aor: sip:alice@lab.test', 'call:', '  duration: thirty', '  target: sip:bob@lab.test', ''].join('\n');
    expect(issues(text)).toEqual(['scenario.yaml:7: call.duration: expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s']);
  });

  it('every problem of every field at once, sorted by line', () => {
    const text = `version: 2
registar:
  host: x
accounts:
  - id: alice
    aor: alice@lab.test
    password: \${ENV:NOPE}
  - id: alice
    aor: sip:a2@lab.test
call:
  from: carol
  target: bob
  duration: -5
media:
  codec: G729
thresholds: strict
output: [a, b]
`;
    expect(issues(text)).toEqual([
      'scenario.yaml:1: registrar: missing (required)',
      'scenario.yaml:1: version: expected 1 (the only scenario version)',
      'scenario.yaml:2: registar: unknown field (did you mean registrar?)',
      'scenario.yaml:6: accounts[0].aor: expected a SIP URI like sip:alice@example.com',
      'scenario.yaml:7: accounts[0].password: environment variable NOPE is not set',
      'scenario.yaml:12: call.target: expected a SIP URI like sip:bob@example.com (or tel:+15551234)',
      'scenario.yaml:13: call.duration: expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s',
      'scenario.yaml:15: media.codec: expected one of PCMU, PCMA, G722, opus; got "G729"',
      'scenario.yaml:16: thresholds: expected a profile name (microsoft-client-edge, microsoft-edge-edge) or limits such as { profile: microsoft-client-edge, rttMs: 150 }',
      'scenario.yaml:17: output: expected a mapping (key: value lines), got a list',
    ]);
  });

  it('rules across fields come once every field is valid: account ids, call.from', () => {
    const text = `registrar: { host: h }
accounts:
  - { id: alice, aor: sip:a@h }
  - { id: alice, aor: sip:a2@h }
call: { from: carol, target: sip:b@h, duration: 5 }
`;
    expect(issues(text)).toEqual(['scenario.yaml:4: accounts[1].id: account id "alice" is used twice', 'scenario.yaml:5: call.from: no account "carol" (accounts: alice, alice)']);
  });

  it('a missing field points at its parent; type errors say what was expected', () => {
    const text = `registrar:
  host: sip.lab.test
  port: "5060"
accounts:
  - id: a
    aor: sip:a@lab.test
call:
  duration: 10
`;
    expect(issues(text)).toEqual(['scenario.yaml:3: registrar.port: expected a number, got text', 'scenario.yaml:7: call.target: missing (required)']);
  });

  it('rules across fields: call or answer, host or address, tls needs tls, ptime per codec', () => {
    const both = `registrar: { host: h, address: 192.0.2.1, tls: { insecure: true } }
accounts: [{ id: a, aor: sip:a@h }]
media: { codec: PCMA, ptime: 25 }
`;
    expect(issues(both)).toEqual([
      'scenario.yaml:1: registrar: give exactly one of host or address',
      'scenario.yaml:1: give exactly one of call (make a call) or answer (wait for calls)',
      'scenario.yaml:1: registrar.tls: tls settings need transport: tls',
      'scenario.yaml:3: media.ptime: PCMA takes a ptime of 10, 20, 30, 40, 50, 60 ms',
    ]);
  });

  it('YAML syntax errors and duplicate keys by line', () => {
    expect(issues('registrar:\n  host: a\n  host: b\n')).toEqual(['scenario.yaml:3: YAML: Map keys must be unique']);
    expect(issues('registrar: [a, b\naccounts: x\n')[0]).toMatch(/^scenario\.yaml:\d: YAML: /);
    expect(issues('')).toEqual(['scenario.yaml:1: the file is empty: expected registrar, accounts and call or answer']);
    expect(issues('- a\n- b\n')).toEqual(['scenario.yaml:1: expected a mapping (key: value lines), got a list']);
  });

  it('bounds aliases (a crafted file cannot blow up)', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
    expect(issues(bomb)[0]).toMatch(/^scenario\.yaml:1: YAML: .*alias/i);
  });
});

describe('secrets from the environment', () => {
  it('substitutes ${ENV:NAME} anywhere in a string value, $${ for a literal', () => {
    expect(substituteEnv('sip:${ENV:U}@${ENV:D}', { U: 'alice', D: 'lab.test' })).toEqual({ value: 'sip:alice@lab.test', missing: [], malformed: [], usedEnv: true });
    expect(substituteEnv('p$${x}', {}).value).toBe('p${x}');
    expect(substituteEnv('${ENV:A}${ENV:B}', {})).toMatchObject({ missing: ['A', 'B'] });
    expect(substituteEnv('${HOME}', {})).toMatchObject({ malformed: ['${HOME}'] });
  });

  it('a malformed reference is an error naming the field', () => {
    const text = MINIMAL.replace('${ENV:ALICE_PW}', '${ALICE_PW}');
    expect(issues(text)).toEqual(['scenario.yaml:6: accounts[0].password: ${ALICE_PW} is not a reference this file understands: write ${ENV:NAME}, or $${ for a literal ${']);
  });

  it('keys are never substituted; values that are not strings are left alone', () => {
    expect(issues('${ENV:X}: 1\n')).toContain('scenario.yaml:1: ${ENV:X}: unknown field');
  });
});

describe('durations', () => {
  it('seconds as a number, or units', () => {
    expect([parseDuration(30), parseDuration('2.5'), parseDuration('90s'), parseDuration('2m'), parseDuration('1m30s'), parseDuration('500ms'), parseDuration('1h')]).toEqual([30_000, 2500, 90_000, 120_000, 90_000, 500, 3_600_000]);
    expect([parseDuration(0), parseDuration(-1), parseDuration('abc'), parseDuration('5x'), parseDuration(true), parseDuration(Infinity)]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediapath-scenario-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validateScenarioFile reads the file; loadScenarioFile throws SCENARIO_INVALID with every issue', async () => {
    const good = path.join(dir, 'good.yaml');
    await writeFile(good, MINIMAL);
    const r = await validateScenarioFile(good, { ALICE_PW: 'x' });
    expect(r.ok && r.value.file).toBe(good);
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, MINIMAL.replace('duration: 30', 'duration: forever'));
    const e = await loadScenarioFile(bad, { ALICE_PW: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediapathError);
    expect((e as MediapathError).code).toBe('SCENARIO_INVALID');
    expect((e as MediapathError).message).toBe('bad.yaml:9: call.duration: expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s');
    const missing = await validateScenarioFile(path.join(dir, 'none.yaml'));
    expect(!missing.ok && missing.error[0]!.message).toMatch(/^cannot read: ENOENT/);
  });
});
