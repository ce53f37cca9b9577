import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../main/common/clock';
import { SeededRandom } from '../../../../main/common/random';
import { startLabRegistrar, type RegistrarEvent } from '../../../../main/lab/registrar';
import { buildProvisioningRequest } from '../../../../main/mras/provisioning-xml';
import { buildMrasRequest, credentialsRequestFor } from '../../../../main/mras/xml';
import { VirtualNetwork } from '../../../../main/net/virtual';
import { mutate } from '../../sip/mutate';

// Hostile traffic at the registrar: mutated REGISTER, INVITE, CANCEL, ACK, BYE, SUBSCRIBE,
// SERVICE and stray responses over UDP and over one TCP stream cut at random places. Nothing
// may break its code (no registrar.error), and afterwards it still answers and forgets every
// transaction on schedule.

const COUNT = 3000;
const SRC = '198.51.100.7';

function corpus(port: number): string[] {
  const via = (b: string, t = 'UDP') => `Via: SIP/2.0/${t} ${SRC}:${port};branch=z9hG4bK${b}UNIQ;rport`;
  const common = (method: string, n: number, b: string) =>
    `${via(b)}\r\nMax-Forwards: 70\r\nFrom: <sip:alice@lab.test>;tag=f${n}\r\nTo: <sip:bob@lab.test>\r\nCall-ID: fuzz-${n}-UNIQ\r\nCSeq: ${n} ${method}\r\n`;
  const mras = buildMrasRequest(credentialsRequestFor({ requestId: '1', identity: 'sip:alice@lab.test', mrasUri: 'sip:mras@lab.test;gruu;opaque=srvr:MRAS:lab', location: 'internet' }));
  const withBody = (head: string, ct: string, body: string) => `${head}Content-Type: ${ct}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return [
    `REGISTER sip:lab.test SIP/2.0\r\n${common('REGISTER', 1, 'r1')}Contact: <sip:alice@${SRC}:${port}>;expires=60\r\nAuthorization: Digest username="alice", realm="lab.test", nonce="00", uri="sip:lab.test", response="11", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"\r\nContent-Length: 0\r\n\r\n`,
    withBody(`INVITE sip:bob@lab.test SIP/2.0\r\n${common('INVITE', 2, 'i2')}Contact: <sip:alice@${SRC}:${port}>\r\n`, 'application/sdp', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'),
    `CANCEL sip:bob@lab.test SIP/2.0\r\n${common('CANCEL', 2, 'i2')}Content-Length: 0\r\n\r\n`,
    `ACK sip:bob@192.0.2.20:5062 SIP/2.0\r\n${common('ACK', 2, 'a2')}Route: <sip:203.0.113.10:5060;transport=udp;lr>\r\nContent-Length: 0\r\n\r\n`,
    `BYE sip:bob@192.0.2.20:5062 SIP/2.0\r\n${common('BYE', 3, 'b3')}Route: <sip:203.0.113.10:5060;lr>, <sip:192.0.2.99;lr>\r\nContent-Length: 0\r\n\r\n`,
    withBody(`SUBSCRIBE sip:alice@lab.test SIP/2.0\r\n${common('SUBSCRIBE', 4, 's4').replace('bob', 'alice')}Event: vnd-microsoft-provisioning-v2\r\nExpires: 0\r\n`, 'application/vnd-microsoft-roaming-provisioningv2+xml', buildProvisioningRequest()),
    withBody(`SERVICE sip:mras@lab.test;gruu;opaque=srvr:MRAS:lab SIP/2.0\r\n${common('SERVICE', 5, 'v5')}`, 'application/msrtc-media-relay-auth+xml', mras),
    `OPTIONS sip:lab.test SIP/2.0\r\n${common('OPTIONS', 6, 'o6')}Content-Length: 0\r\n\r\n`,
    `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bKzz\r\n${via('q')}\r\nFrom: <sip:a@lab.test>;tag=1\r\nTo: <sip:b@lab.test>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
  ];
}

describe('lab registrar under hostile traffic', () => {
  it(`survives ${COUNT} mutated messages over UDP and TCP, then still answers and leaks no transaction`, async () => {
    const clock = new FakeClock();
    const net = new VirtualNetwork({ clock, random: 21 });
    const sipHost = net.addHost('sip', { ip: '203.0.113.10' });
    const peer = net.addHost('peer', { ip: SRC });
    const events: RegistrarEvent[] = [];
    const reg = await startLabRegistrar({
      net: sipHost,
      clock,
      random: new SeededRandom(3),
      listen: { ip: sipHost.address, udpPort: 5060, tcpPort: 5060 },
      domain: 'lab.test',
      users: { alice: 'a', bob: 'b' },
      digest: 'MD5',
      mras: { enabled: true, relays: [{ directIPAddress: '203.0.113.3', udpPort: 3478 }], turnSecret: 's' },
      onEvent: (e) => {
        if (e.type !== 'sip.sent' && e.type !== 'sip.received') events.push(e);
      },
    });
    const udp = await peer.bindUdp({ ip: SRC, port: 5099 });
    const answers: string[] = [];
    udp.onMessage((b) => answers.push(new TextDecoder().decode(b)));
    const rng = new SeededRandom(77);
    const base = corpus(5099);
    let tcp = await connect();
    async function connect() {
      const p = peer.connectTcp({ ip: sipHost.address, port: 5060 });
      clock.advance(50);
      return p;
    }
    for (let i = 0; i < COUNT; i++) {
      // Fresh branch and Call-ID per message, so each is a new transaction, not a retransmission.
      const text = mutate(rng, base[rng.int(base.length)]!.replaceAll('UNIQ', String(i)));
      const bytes = new TextEncoder().encode(text);
      if (rng.int(4) > 0) udp.send(bytes.subarray(0, 60_000), { ip: sipHost.address, port: 5060 });
      else {
        if (tcp.closed) tcp = await connect();
        const cut = rng.int(bytes.length + 1);
        tcp.write(bytes.subarray(0, cut));
        tcp.write(bytes.subarray(cut));
      }
      if (i % 50 === 0) {
        clock.advance(20);
        await Promise.resolve();
      }
    }
    clock.advance(1000);
    expect(events.filter((e) => e.type === 'registrar.error')).toEqual([]);
    expect(events.filter((e) => e.type === 'sip.parse-error').length).toBeGreaterThan(100);

    // Still serving: an OPTIONS gets its 200.
    answers.length = 0;
    udp.send(new TextEncoder().encode(base[7]!.replaceAll('UNIQ', 'final')), { ip: sipHost.address, port: 5060 });
    clock.advance(100);
    expect(answers.some((a) => a.startsWith('SIP/2.0 200 OK') && a.includes('z9hG4bKo6final'))).toBe(true);

    // Every transaction ends on the RFC 3261 timers (the longest: Timer C then 64·T1).
    for (let t = 0; t < 400; t++) clock.advance(1000);
    expect(reg.transactions()).toBe(0);
    expect(reg.bindings()).toEqual([]);
    await tcp.close();
    await udp.close();
    await reg.stop();
    await net.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
