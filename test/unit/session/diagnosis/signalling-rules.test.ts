import { describe, expect, it } from 'vitest';
import { mrasFailed } from '../../../../main/session/diagnosis/mras-failed';
import { noMrasUri } from '../../../../main/session/diagnosis/no-mras-uri';
import { grant, run, seqOf, tl } from './helpers';

describe('no-mras-uri', () => {
  it('fires when provisioning carries no mrasUri', () => {
    const t = tl({ type: 'registration', at: 1, to: 'registered' }, { type: 'provisioning', at: 5, ok: true, qosUri: 'sip:qos@lab.test' });
    const d = run(noMrasUri, t)!;
    expect(d).toMatchObject({ id: 'no-mras-uri', severity: 'warning', evidence: [seqOf(t, 'provisioning')], facts: { provisioningFailed: false } });
    expect(d.message).toMatch(/^Provisioning \(ServerConfiguration\) carried no mrasUri: .*only host candidates/);
  });

  it('fires, saying why, when provisioning failed', () => {
    const d = run(noMrasUri, tl({ type: 'provisioning', at: 5, ok: false, error: { code: 'SIP_TIMEOUT', message: 'no answer to SUBSCRIBE' } }))!;
    expect(d.message).toMatch(/^Provisioning failed \(SIP_TIMEOUT: no answer to SUBSCRIBE\), so the client never learnt the MRAS URI/);
    expect(d.facts).toEqual({ provisioningFailed: true });
  });

  it('reads the lab registrar\'s provisioning event too (no ok field)', () => {
    expect(run(noMrasUri, tl({ type: 'provisioning', at: 5, aor: 'sip:alice@lab.test' }))?.id).toBe('no-mras-uri');
  });

  it('fires when the session skipped the MRAS phase for want of an mrasUri (main/api phase events)', () => {
    const d = run(noMrasUri, tl({ type: 'phase', at: 5, name: 'mras', state: 'skipped', detail: 'provisioning has no mrasUri' }))!;
    expect(d.message).toMatch(/^The MRAS phase was skipped \(provisioning has no mrasUri\): no media relay/);
    expect(run(noMrasUri, tl({ type: 'phase', at: 5, name: 'mras', state: 'skipped', detail: 'relay given on the command line' }))).toBeUndefined();
  });

  it('stays quiet with an mrasUri, or without provisioning at all', () => {
    expect(run(noMrasUri, tl({ type: 'provisioning', at: 5, ok: true, mrasUri: 'sip:edge@lab.test;gruu;opaque=srvr:MRAS:x' }))).toBeUndefined();
    expect(run(noMrasUri, tl({ type: 'registration', at: 1, to: 'registered' }))).toBeUndefined();
  });
});

describe('mras-failed', () => {
  it('fires on a timeout, with its own words', () => {
    const t = tl({ type: 'provisioning', at: 1, mrasUri: 'sip:mras@lab.test' }, { type: 'mras.failed', at: 8001, error: { code: 'MRAS_TIMEOUT', message: 'no answer within 8000 ms' }, renewal: false });
    const d = run(mrasFailed, t)!;
    expect(d).toMatchObject({ id: 'mras-failed', severity: 'error', evidence: [2], facts: { code: 'MRAS_TIMEOUT', renewal: false, failures: 1 } });
    expect(d.message).toMatch(/^The MRAS service did not answer the credentials request in time: the client has no relay credentials/);
  });

  it('fires on a refusal and on a SIP failure of the SERVICE request', () => {
    const refused = run(mrasFailed, tl({ type: 'mras.failed', at: 3, error: { code: 'MRAS_FAILED', message: 'reasonPhrase "Request Malformed"' } }))!;
    expect(refused.message).toMatch(/refused or garbled the credentials request \(MRAS_FAILED: reasonPhrase "Request Malformed"\)/);
    const sip = run(mrasFailed, tl({ type: 'mras.failed', at: 3, error: { code: 'SIP_REJECTED', message: '403 Forbidden' } }))!;
    expect(sip.message).toMatch(/^The SERVICE request to MRAS failed \(SIP_REJECTED: 403 Forbidden\)/);
  });

  it('a failed renewal that left no credentials is reported as such', () => {
    const t = tl(grant(0), { type: 'mras.failed', at: 100, error: { code: 'MRAS_TIMEOUT', message: 'x' }, renewal: true }, { type: 'mras.failed', at: 200, error: { code: 'MRAS_TIMEOUT', message: 'x' }, renewal: true });
    const d = run(mrasFailed, t)!;
    expect(d.message).toMatch(/in time when renewing credentials/);
    expect(d.evidence).toEqual([2, 3]);
  });

  it('stays quiet when later credentials made the failure good, or when nothing failed', () => {
    expect(run(mrasFailed, tl({ type: 'mras.failed', at: 1, error: { code: 'MRAS_TIMEOUT', message: 'x' } }, grant(50)))).toBeUndefined();
    expect(run(mrasFailed, tl(grant(50)))).toBeUndefined();
  });
});
