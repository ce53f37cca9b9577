import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../main/common/random';
import { DigestGuard } from '../../../../main/lab/registrar/digest-guard';
import { DigestSession } from '../../../../main/sip/digest-session';
import { parseDigestChallenge } from '../../../../main/sip/digest';
import { sipRequest, type SipRequest } from '../../../../main/sip/message';

const users = { alice: 'alicepw', bob: 'bobpw' };

function register(extra: Array<[string, string]> = []): SipRequest {
  return sipRequest('REGISTER', 'sip:lab.test', [
    ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1'],
    ['From', '<sip:alice@lab.test>;tag=1'],
    ['To', '<sip:alice@lab.test>'],
    ['Call-ID', 'c1'],
    ['CSeq', '1 REGISTER'],
    ...extra,
  ]);
}

/** The client side (main/sip DigestSession) answering the guard's challenge. */
function answer(guard: DigestGuard, now: number, user = 'alice', password = 'alicepw', status: 401 | 407 = 401) {
  const session = new DigestSession({ username: user, password }, new SeededRandom(5));
  const ch = guard.challenge(now);
  expect(session.onChallenge(status, [ch]).ok).toBe(true);
  return session;
}

describe.each(['MD5', 'SHA-256'] as const)('DigestGuard (%s)', (algorithm) => {
  const make = () => new DigestGuard({ realm: 'lab.test', algorithm, users, random: new SeededRandom(1), nonceLifetimeMs: 1000 });

  it('challenges with realm, nonce, algorithm and qop=auth', () => {
    const c = parseDigestChallenge(make().challenge(0));
    expect(c.ok && c.value).toMatchObject({ realm: 'lab.test', algorithm, qop: ['auth'], stale: false });
  });

  it('accepts the right password and names the user', () => {
    const g = make();
    const s = answer(g, 0);
    const [h] = s.authorize('REGISTER', 'sip:lab.test');
    expect(g.check(register([[h!.name, h!.value]]), 'Authorization', 10)).toEqual({ kind: 'ok', user: 'alice' });
  });

  it('re-challenges a wrong password, an unknown user and a missing header (not stale)', () => {
    const g = make();
    const wrong = answer(g, 0, 'alice', 'nope').authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[wrong.name, wrong.value]]), 'Authorization', 1)).toMatchObject({ kind: 'challenge', stale: false, user: 'alice' });
    const mallory = answer(g, 0, 'mallory', 'x').authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[mallory.name, mallory.value]]), 'Authorization', 1)).toMatchObject({ kind: 'challenge', stale: false, reason: 'unknown user' });
    expect(g.check(register(), 'Authorization', 1)).toMatchObject({ kind: 'challenge', stale: false });
  });

  it('wants the credentials in the header the status asked for', () => {
    const g = make();
    const h = answer(g, 0, 'alice', 'alicepw', 407).authorize('INVITE', 'sip:lab.test')[0]!;
    expect(h.name).toBe('Proxy-Authorization');
    const req = { ...register([[h.name, h.value]]), method: 'INVITE' };
    expect(g.check(req, 'Authorization', 1).kind).toBe('challenge');
  });

  it('says stale when the proof is right but the nonce expired, was never issued, or nc is replayed', () => {
    const g = make();
    const s = answer(g, 0);
    const first = s.authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[first.name, first.value]]), 'Authorization', 500).kind).toBe('ok');
    // The same nc again is a replay.
    expect(g.check(register([[first.name, first.value]]), 'Authorization', 600)).toMatchObject({ kind: 'challenge', stale: true });
    const second = s.authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[second.name, second.value]]), 'Authorization', 700).kind).toBe('ok');
    const third = s.authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[third.name, third.value]]), 'Authorization', 1000)).toMatchObject({ kind: 'challenge', stale: true, reason: 'nonce expired' });
    const other = make();
    const foreign = answer(other, 0).authorize('REGISTER', 'sip:lab.test')[0]!;
    expect(g.check(register([[foreign.name, foreign.value]]), 'Authorization', 1)).toMatchObject({ kind: 'challenge', stale: true, reason: 'nonce not issued here' });
  });

  it('binds the proof to the Request-URI', () => {
    const g = make();
    const h = answer(g, 0).authorize('REGISTER', 'sip:other.test')[0]!;
    expect(g.check(register([[h.name, h.value]]), 'Authorization', 1)).toMatchObject({ kind: 'challenge', stale: false });
  });

  it('remembers a bounded number of nonces', () => {
    const g = new DigestGuard({ realm: 'lab.test', algorithm, users, random: new SeededRandom(2), maxNonces: 8 });
    for (let i = 0; i < 100; i++) g.challenge(i);
    expect(g.size).toBe(8);
    g.sweep(1_000_000);
    expect(g.size).toBe(0);
  });
});
