import { describe, expect, it } from 'vitest';
import { noReflexive } from '../../../../main/session/diagnosis/no-reflexive';
import { relayOneTransport } from '../../../../main/session/diagnosis/relay-one-transport';
import { turnCredentialsUntrusted } from '../../../../main/session/diagnosis/turn-credentials-untrusted';
import { cand, iceScenarioTimeline } from '../../../fixtures/timeline/build';
import { grant, relayStep, run, tl } from './helpers';

const timeout = (what: string) => ({ code: 'TURN_TIMEOUT', message: `TURN allocate: no STUN response from ${what}` });
const refused = { code: 'NET_CONNECT_FAILED', message: 'connect ECONNREFUSED 203.0.113.10:443' };
const unauthorized = { code: 'TURN_AUTH_FAILED', message: 'rejected the credentials: 401 Unauthorized', response: { code: 401 } };
const host = { type: 'candidate.gathered', at: 1, candidate: cand({ type: 'host', address: '10.1.0.11' }) };

describe('no-reflexive-candidates', () => {
  it('fires when relays were tried and no srflx or relay candidate came back over any transport', () => {
    const t = tl(
      grant(0),
      host,
      { type: 'gather.step', at: 1500, step: { kind: 'srflx', server: 'turn 203.0.113.10:3478', component: 1, state: 'failed', ms: 1500, reason: 'no STUN response', error: { code: 'STUN_TIMEOUT', message: 'no STUN response' } } },
      relayStep(1500, 'udp', 'failed', timeout('203.0.113.10:3478')),
      relayStep(3000, 'tcp', 'failed', refused),
    );
    const d = run(noReflexive, t)!;
    expect(d).toMatchObject({ id: 'no-reflexive-candidates', severity: 'error', evidence: [1, 3, 4, 5], facts: { attempts: 3, failures: 3 } });
    expect(d.message).toMatch(/^No reflexive candidate over UDP or TCP: the client could not reach the media relay at all \(turn 203\.0\.113\.10:3478 over udp/);
    expect(d.message).toMatch(/UDP 3478 and TCP 443/);
  });

  it('stays quiet on the lab runs: udp-blocked still reaches the relay over TCP; inside-outside over both', async () => {
    expect(run(noReflexive, await iceScenarioTimeline('udp-blocked'))).toBeUndefined();
    expect(run(noReflexive, await iceScenarioTimeline('inside-outside'))).toBeUndefined();
  });

  it('stays quiet when no relay was ever tried (host-only run)', () => {
    expect(run(noReflexive, tl(host, { type: 'gather.step', at: 1, step: { kind: 'host', component: 1, state: 'gathered' } }))).toBeUndefined();
  });
});

describe('relay-one-transport', () => {
  it('fires on the lab udp-blocked caller: the relay answered over TCP only', async () => {
    const t = await iceScenarioTimeline('udp-blocked');
    const d = run(relayOneTransport, t)!;
    expect(d).toMatchObject({ id: 'relay-one-transport', severity: 'warning', facts: { works: 'tcp', blocked: 'udp' } });
    expect(d.message).toMatch(/^The relay answered over TCP but never over UDP \(turn 203\.0\.113\.10:3478 over udp\): a firewall blocks UDP \(3478\)/);
    const steps = t.events.filter((e) => e.type === 'gather.step' && (e['step'] as { kind: string }).kind === 'relay').map((e) => e.seq);
    expect(d.evidence).toEqual(steps);
  });

  it('fires the other way round: only UDP answered, TCP connects were refused', () => {
    const d = run(relayOneTransport, tl(relayStep(80, 'udp', 'gathered'), relayStep(3000, 'tls', 'failed', refused)))!;
    expect(d.facts).toEqual({ works: 'udp', blocked: 'tcp' });
    expect(d.message).toMatch(/^The relay answered over UDP but never over TCP \(turn 203\.0\.113\.10:443 over tls\): a firewall blocks TCP \(443\)/);
  });

  it('stays quiet when both transports work (lab symmetric; the udp-blocked callee)', async () => {
    expect(run(relayOneTransport, await iceScenarioTimeline('symmetric'))).toBeUndefined();
    expect(run(relayOneTransport, await iceScenarioTimeline('udp-blocked', 'callee'))).toBeUndefined();
  });

  it('stays quiet when the other transport failed for another reason (401), or was never tried', () => {
    expect(run(relayOneTransport, tl(relayStep(80, 'udp', 'gathered'), relayStep(300, 'tcp', 'failed', unauthorized)))).toBeUndefined();
    expect(run(relayOneTransport, tl(relayStep(80, 'udp', 'gathered')))).toBeUndefined();
    expect(run(relayOneTransport, tl(relayStep(80, 'udp', 'failed', timeout('x')), relayStep(300, 'tcp', 'failed', refused)))).toBeUndefined();
  });
});

describe('turn-credentials-untrusted', () => {
  it('fires on 401 to credentials MRAS issued moments before', () => {
    const t = tl(grant(100), relayStep(350, 'udp', 'failed', unauthorized), relayStep(600, 'tcp', 'failed', unauthorized));
    const d = run(turnCredentialsUntrusted, t)!;
    expect(d).toMatchObject({ id: 'turn-credentials-untrusted', severity: 'error', evidence: [1, 2, 3], facts: { credentialAgeMs: 250, relays: 2 } });
    expect(d.message).toMatch(/answered 401 Unauthorized to credentials MRAS issued 0\.3 s earlier and still valid: the relay does not trust the credential issuer/);
    expect(d.message).toMatch(/certificate/);
  });

  it('recognises a 401 by the response code alone', () => {
    const d = run(turnCredentialsUntrusted, tl(grant(0), relayStep(10, 'udp', 'failed', { code: 'TURN_ALLOCATION_FAILED', message: 'x', response: { code: 401 } })));
    expect(d?.id).toBe('turn-credentials-untrusted');
  });

  it('stays quiet for expired credentials, static credentials, or failures that are not 401', () => {
    expect(run(turnCredentialsUntrusted, tl(grant(0, 200), relayStep(300, 'udp', 'failed', unauthorized)))).toBeUndefined();
    expect(run(turnCredentialsUntrusted, tl(relayStep(300, 'udp', 'failed', unauthorized)))).toBeUndefined();
    expect(run(turnCredentialsUntrusted, tl(grant(0), relayStep(300, 'udp', 'failed', timeout('x'))))).toBeUndefined();
    expect(run(turnCredentialsUntrusted, tl(relayStep(300, 'udp', 'failed', unauthorized), grant(400)))).toBeUndefined();
  });
});
