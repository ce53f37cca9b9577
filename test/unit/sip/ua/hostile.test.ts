import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../main/common/random';
import type { ServerCall } from '../../../../main/sip/ua';
import { mutate } from '../mutate';
import { run, settle, uaWorld } from './support';

const SDP = (who: string) => ({ body: `v=0\r\no=${who} 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n`, contentType: 'application/sdp' });

describe('a user agent under hostile traffic', () => {
  it('3000 mutated copies of real messages: nothing escapes, and the UA still calls afterwards', async () => {
    const w = await uaWorld('udp');
    const alice = w.ua('alice', w.aliceHost);
    const bob = w.ua('bob', w.bobHost);
    await settle(w.clock, Promise.all([alice.register(600), bob.register(600)]));
    const incoming: ServerCall[] = [];
    const fromAlice = (c: ServerCall) => c.from === 'sip:alice@lab.test' && c.offer?.body === SDP('alice').body;
    let answering = true;
    bob.onIncomingCall((c) => {
      incoming.push(c);
      // Alice's real calls are answered; whatever the attacker starts is refused.
      if (answering && fromAlice(c)) void c.accept(SDP('bob')).catch(() => undefined);
      else c.reject(486);
    });
    const call = alice.invite('sip:bob@lab.test', SDP('alice'));
    await settle(w.clock, call.answered);
    await run(w.clock, 100);
    // Everything bob received so far (INVITE, ACK, 200s…) seeds the mutations.
    const seeds = (w.events['bob'] ?? []).flatMap((e) => (e.type === 'sip.received' ? [e.text] : []));
    expect(seeds.length).toBeGreaterThan(3);

    const attacker = w.net.addHost('attacker', { ip: '203.0.113.66' });
    const sock = await attacker.bindUdp({ ip: '0.0.0.0' });
    const target = { ip: '203.0.113.20', port: bob.localAddress!.port };
    const rng = new SeededRandom(4242);
    const enc = new TextEncoder();
    answering = false;
    for (let i = 0; i < 3000; i++) {
      sock.send(enc.encode(mutate(rng, seeds[rng.int(seeds.length)]!)), target);
      if (i % 50 === 49) await run(w.clock, 20);
    }
    await run(w.clock, 70_000, 500);
    await sock.close();
    const sent = (w.events['bob'] ?? []).flatMap((e) => (e.type === 'sip.sent' ? [e.text.slice(0, 12)] : []));
    // Some mutants are malformed requests (answered 400), some are well-formed (new calls refused).
    expect(sent.filter((t) => t === 'SIP/2.0 400 ').length).toBeGreaterThan(10);
    expect(incoming.length).toBeGreaterThan(1);

    // Bob still works: a new call from alice is answered and hung up.
    answering = true;
    const again = alice.invite('sip:bob@lab.test', SDP('alice'));
    await settle(w.clock, again.answered);
    expect((await settle(w.clock, again.bye()))?.status).toBe(200);
    await settle(w.clock, Promise.all([alice.close(), bob.close()]));
    await w.close();
  });
});
