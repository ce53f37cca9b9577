import { describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { startLabRegistrar } from '../../../main/lab/registrar';
import { buildProvisioningRequest, parseServerConfiguration, PROVISIONING_CONTENT_TYPE, PROVISIONING_EVENT } from '../../../main/mras/provisioning-xml';
import { MRAS_CONTENT_TYPE } from '../../../main/mras/types';
import { buildMrasRequest, credentialsRequestFor, readMrasGrant } from '../../../main/mras/xml';
import { NodeNet } from '../../../main/net/node/node-net';
import { type ServerCall, SipUserAgent } from '../../../main/sip/ua';

// Our user agent against the lab's registrar (main/lab/registrar), the server the product ships:
// the Lync sequence of PROTOCOLS.md §0 on loopback — REGISTER, provisioning SUBSCRIBE, MRAS
// SERVICE, then a call between two agents through the lab proxy.

const USERS = { alice: 'alice-pw', bob: 'bob-pw' };
const SDP = (who: string, v = 1) => ({ body: `v=0\r\no=${who} ${v} ${v} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`, contentType: 'application/sdp' });

describe('SipUserAgent against the lab registrar', () => {
  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: register, provisioning, MRAS credentials, call with re-INVITE and BYE`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const lab = await startLabRegistrar({
        net,
        clock,
        random: new CryptoRandom(),
        listen: { ip: '127.0.0.1', udpPort: 0, tcpPort: 0 },
        domain: 'lab.test',
        users: USERS,
        digest: 'SHA-256',
        authenticate: { invite: true, subscribe: true, service: true },
        mras: { enabled: true, relays: [{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: 3478, tcpPort: 443 }], turnSecret: 's3cret' },
      });
      const port = (kind === 'udp' ? lab.udp : lab.tcp)!.port;
      const ua = (user: keyof typeof USERS) =>
        new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: kind, registrar: { address: '127.0.0.1', port }, aor: `sip:${user}@lab.test`, password: USERS[user] });
      const alice = ua('alice');
      const bob = ua('bob');
      try {
        await Promise.all([alice.register(600), bob.register(600)]);
        expect(lab.bindings('sip:bob@lab.test').map((b) => b.contact)).toEqual([bob.contact]);

        const prov = await alice.subscribe({ event: PROVISIONING_EVENT, accept: PROVISIONING_CONTENT_TYPE, contentType: PROVISIONING_CONTENT_TYPE, body: buildProvisioningRequest() });
        const config = parseServerConfiguration(prov.body);
        expect(config.ok).toBe(true);
        const mrasUri = config.ok ? config.value.mrasUri : undefined;
        expect(mrasUri).toBeDefined();
        const mras = await alice.service(mrasUri!, MRAS_CONTENT_TYPE, buildMrasRequest(credentialsRequestFor({ requestId: '1', identity: alice.aor, mrasUri: mrasUri!, location: 'internet' })));
        expect(mras.status).toBe(200);
        const grant = readMrasGrant(mras.body, '1');
        expect(grant.ok && grant.value.relays[0]?.udpPort).toBe(3478);

        const incoming = new Promise<ServerCall>((resolve) => bob.onIncomingCall(resolve));
        const call = alice.invite('sip:bob@lab.test', SDP('alice'));
        const callee = await incoming;
        callee.progress(183, SDP('bob-early'));
        const acked = callee.accept(SDP('bob'));
        expect((await call.answered).body).toContain('o=bob 1 1');
        await acked;
        expect((await call.reinvite(SDP('alice', 2))).status).toBe(200);
        expect((await callee.reinvite(SDP('bob', 2))).status).toBe(200);
        expect((await call.bye())?.status).toBe(200);
        expect(await callee.ended).toEqual({ reason: 'remote-bye' });
      } finally {
        await Promise.all([alice.close(), bob.close()]);
        await lab.stop();
      }
      expect(lab.bindings()).toEqual([]);
      expect(net.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});
