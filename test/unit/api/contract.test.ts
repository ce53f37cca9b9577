import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, engineEventSchema, INPUT_SCHEMAS, settingsSchema } from '../../../main/api';

const account = { id: 'a1', aor: 'sip:alice@lab.test', registrar: '127.0.0.1:5060', transport: 'udp' as const, username: 'alice' };

function rejects(method: keyof typeof INPUT_SCHEMAS, input: unknown): boolean {
  return !INPUT_SCHEMAS[method].safeParse(input).success;
}

describe('api input schemas', () => {
  it('accept well-formed inputs', () => {
    expect(INPUT_SCHEMAS.runScenario.safeParse({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 3 }).success).toBe(true);
    expect(INPUT_SCHEMAS.register.safeParse({ account, password: 'pw' }).success).toBe(true);
    expect(INPUT_SCHEMAS.call.safeParse({ target: 'sip:bob@lab.test' }).success).toBe(true);
    expect(INPUT_SCHEMAS.openRun.safeParse({ text: '' }).success).toBe(true);
    expect(INPUT_SCHEMAS.openRun.safeParse({ path: '/tmp/run.jsonl' }).success).toBe(true);
    expect(INPUT_SCHEMAS.exportRun.safeParse(undefined).success).toBe(true);
    for (const format of ['jsonl', 'json', 'junit', 'csv', 'summary', 'bundle']) expect(INPUT_SCHEMAS.exportRun.safeParse({ format }).success).toBe(true);
    // The password is optional (from the SecretStore or the lab account's); remember keeps it there.
    expect(INPUT_SCHEMAS.register.safeParse({ account }).success).toBe(true);
    expect(INPUT_SCHEMAS.register.safeParse({ account, password: 'pw', remember: true }).success).toBe(true);
    expect(INPUT_SCHEMAS.version.safeParse(undefined).success).toBe(true);
    expect(INPUT_SCHEMAS.saveSettings.safeParse(DEFAULT_SETTINGS).success).toBe(true);
  });

  it('reject bad inputs', () => {
    expect(rejects('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync' })).toBe(true); // no seed
    expect(rejects('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'other', seed: 1 })).toBe(true);
    expect(rejects('runScenario', { kind: 'ice', scenario: '../etc', strategy: 'lync', seed: 1 })).toBe(true);
    expect(rejects('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: -1 })).toBe(true);
    expect(rejects('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1.5 })).toBe(true);
    expect(rejects('runScenario', { kind: 'media', scenario: 'promotion', strategy: 'lync', seed: 1 })).toBe(true);
    expect(rejects('runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1, extra: true })).toBe(true);
    expect(rejects('runScenario', 'promotion')).toBe(true);
    expect(rejects('runScenario', null)).toBe(true);
    expect(rejects('register', { account: { ...account, aor: 'alice' }, password: 'x' })).toBe(true);
    expect(rejects('register', { account: { ...account, registrar: 'a b' }, password: 'x' })).toBe(true);
    expect(rejects('register', { account, password: 'x', remember: 'yes' })).toBe(true);
    expect(rejects('call', { target: 'bob' })).toBe(true);
    expect(rejects('hangup', { callId: '' })).toBe(true);
    expect(rejects('openRun', { path: '/etc/passwd' })).toBe(true);
    expect(rejects('openRun', { text: 'x', path: 'a.jsonl' })).toBe(true);
    expect(rejects('version', { anything: 1 })).toBe(true);
    expect(rejects('exportRun', { format: 'pdf' })).toBe(true);
  });

  it('settings never hold a password', () => {
    const withPassword = { ...DEFAULT_SETTINGS, accounts: [{ ...account, password: 'secret' }] };
    expect(settingsSchema.safeParse(withPassword).success).toBe(false);
    expect(rejects('saveSettings', { ...DEFAULT_SETTINGS, theme: 'neon' })).toBe(true);
    expect(rejects('saveSettings', { ...DEFAULT_SETTINGS, accounts: Array.from({ length: 17 }, (_, i) => ({ ...account, id: `a${i}` })) })).toBe(true);
  });
});

describe('engine event schema', () => {
  it('accepts a path change and rejects a pair priority given as a number', () => {
    const cand = { id: 'L1', type: 'host', transport: 'udp', address: '10.1.0.11', port: 5000, family: 4, priority: 2130706431, foundation: '1', component: 1 };
    const pair = { id: 'p', component: 1, local: cand, remote: { ...cand, id: 'R1' }, priority: '9115038255631187967', state: 'succeeded', nominated: false, valid: true };
    expect(engineEventSchema.safeParse({ type: 'path.changed', at: 10, component: 1, to: pair, reason: 'first-success' }).success).toBe(true);
    expect(engineEventSchema.safeParse({ type: 'path.changed', at: 10, component: 1, to: { ...pair, priority: 1 }, reason: 'first-success' }).success).toBe(false);
    expect(engineEventSchema.safeParse({ type: 'nope', at: 1 }).success).toBe(false);
    expect(engineEventSchema.safeParse({ type: 'phase', at: 1, name: 'gathering', state: 'done' }).success).toBe(true);
    expect(engineEventSchema.safeParse({ type: 'phase', at: Infinity, name: 'gathering', state: 'done' }).success).toBe(false);
  });
});
