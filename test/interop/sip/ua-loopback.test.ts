import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { NodeNet } from '../../../main/net/node/node-net';
import type { TlsOptions } from '../../../main/net/types';
import { getHeader } from '../../../main/sip/message';
import type { SipTransportKind } from '../../../main/sip/transport';
import { type ServerCall, SipUserAgent, type UaEvent } from '../../../main/sip/ua';
import { makeSelfSignedPair, type SelfSignedPair } from '../../support/certs';
import { TestSipRegistrar } from '../../support/sip-registrar';
import { TlsTestServer } from '../../support/tls-server';

// Two of our user agents on real loopback sockets, through the test registrar/proxy, over UDP,
// TCP and TLS: register with digest, call with 183 + 200 + ACK, re-INVITE, BYE, un-register.

const USERS = { alice: 'alice-pw', bob: 'bob-pw' };
const SDP = (who: string, v = 1) => ({ body: `v=0\r\no=${who} ${v} ${v} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`, contentType: 'application/sdp' });

let pair: SelfSignedPair;
beforeAll(() => {
  pair = makeSelfSignedPair('sip.lab.test', ['127.0.0.1']);
});
afterAll(() => pair.remove());

async function world(kind: SipTransportKind, tls?: TlsOptions) {
  const net = new NodeNet();
  const clock = new RealClock();
  const server = kind === 'tls' ? await TlsTestServer.listen({ ip: '127.0.0.1' }, pair) : undefined;
  const reg = await TestSipRegistrar.start({ net, clock, kind, local: { ip: '127.0.0.1', port: 0 }, users: USERS, ...(server ? { server } : {}), algorithm: 'SHA-256' });
  const events: UaEvent[] = [];
  const ua = (user: keyof typeof USERS, password = USERS[user], tlsOpts = tls) =>
    new SipUserAgent({
      net,
      clock,
      random: new CryptoRandom(),
      transport: kind,
      registrar: { address: '127.0.0.1', port: reg.address.port },
      aor: `sip:${user}@lab.test`,
      password,
      ...(tlsOpts ? { tls: tlsOpts } : {}),
      onEvent: (e) => events.push(e),
    });
  const done = async (...uas: SipUserAgent[]) => {
    await Promise.all(uas.map((u) => u.close()));
    await reg.close();
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  };
  return { net, clock, reg, ua, events, done };
}

const CASES: [SipTransportKind, TlsOptions | undefined][] = [
  ['udp', undefined],
  ['tcp', undefined],
  ['tls', undefined],
];

describe('SipUserAgent on loopback through the test registrar', () => {
  for (const [kind] of CASES) {
    it(`${kind}: register, call (183, 200, ACK), re-INVITE, BYE, un-register`, async () => {
      const tls = kind === 'tls' ? { ca: pair.certPem, servername: 'sip.lab.test' } : undefined;
      const w = await world(kind, tls);
      const alice = w.ua('alice');
      const bob = w.ua('bob');
      const [ra, rb] = await Promise.all([alice.register(300), bob.register(300)]);
      expect(ra.expires).toBe(300);
      expect(rb.contact).toMatch(new RegExp(`^sip:bob@127\\.0\\.0\\.1:\\d+${kind === 'udp' ? '' : `;transport=${kind}`}$`));
      expect(w.reg.contactsOf('bob')).toEqual([rb.contact]);

      const incoming = new Promise<ServerCall>((resolve) => bob.onIncomingCall(resolve));
      const call = alice.invite('sip:bob@lab.test', SDP('alice'));
      const early = new Promise<string>((resolve) => call.on('progress', (p) => p.status === 183 && resolve(p.body?.body ?? '')));
      const callee = await incoming;
      expect(callee.offer?.body).toContain('o=alice');
      callee.progress(183, SDP('bob-early'));
      expect(await early).toContain('o=bob-early');
      const acked = callee.accept(SDP('bob'));
      const ok = await call.answered;
      expect(ok.body).toContain('o=bob 1 1');
      await acked;
      expect(callee.state).toBe('confirmed');

      const re = await call.reinvite(SDP('alice', 2));
      expect(re.status).toBe(200);
      expect(callee.remoteBody?.body).toContain('o=alice 2 2');

      const bye = await call.bye();
      expect(bye?.status).toBe(200);
      expect(await callee.ended).toEqual({ reason: 'remote-bye' });

      const sent = w.events.filter((e) => e.type === 'sip.sent');
      expect(sent.every((e) => e.type === 'sip.sent' && e.transport === kind)).toBe(true);
      expect(sent.some((e) => e.type === 'sip.sent' && /response="«redacted»"/.test(e.text))).toBe(true);
      expect(sent.some((e) => e.type === 'sip.sent' && /response="[0-9a-f]{16,}"/.test(e.text))).toBe(false);
      await w.done(alice, bob);
      expect(w.reg.contactsOf('alice')).toEqual([]);
      const last = w.reg.requests.filter((r) => r.method === 'REGISTER').at(-1)!;
      expect(getHeader(last, 'Contact')).toMatch(/;expires=0$/);
    });
  }

  it('tls: a certificate the client does not trust fails as NET_TLS_FAILED; a pin accepts it', async () => {
    const w = await world('tls');
    const untrusting = w.ua('alice', USERS.alice, { servername: 'sip.lab.test' });
    await expect(untrusting.register(300)).rejects.toMatchObject({ code: 'NET_TLS_FAILED' });
    const { createHash, X509Certificate } = await import('node:crypto');
    const fp = createHash('sha256').update(new X509Certificate(pair.certPem).raw).digest('hex');
    const pinned = w.ua('bob', USERS.bob, { pinSha256: fp });
    expect((await pinned.register(300)).expires).toBe(300);
    await w.done(untrusting, pinned);
  });

  it('udp: wrong password is SIP_AUTH_FAILED; OPTIONS to the registrar answers 200', async () => {
    const w = await world('udp');
    const bad = w.ua('alice', 'nope');
    await expect(bad.register(300)).rejects.toMatchObject({ code: 'SIP_AUTH_FAILED' });
    const good = w.ua('bob');
    expect((await good.options()).status).toBe(200);
    await w.done(bad, good);
  });
});
