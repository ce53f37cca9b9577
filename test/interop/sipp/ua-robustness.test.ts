import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { NodeNet } from '../../../main/net/node/node-net';
import { type ServerCall, SipUserAgent, type UaEvent } from '../../../main/sip/ua';
import { pickFreePort } from '../../support/ports';
import { expectSippOk, runSipp } from './harness';

// SIPp sending our user agent what a real network and real peers send: malformed requests,
// retransmitted ones, and a BYE that overtakes its ACK. The agent answers 400 where RFC 3261
// says so, absorbs retransmissions, ends the call once, and keeps serving.

const SDP = { body: 'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n', contentType: 'application/sdp' };
const net = new NodeNet();
const clock = new RealClock();
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

async function agent(events: UaEvent[]): Promise<SipUserAgent> {
  // The registrar is never contacted here: SIPp calls the agent directly.
  const nowhere = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
  const ua = new SipUserAgent({
    net,
    clock,
    random: new CryptoRandom(),
    transport: 'udp',
    registrar: { address: '127.0.0.1', port: nowhere },
    aor: 'sip:alice@lab.test',
    password: 'alice-pw',
    local: { ip: '127.0.0.1', port: 0 },
    onEvent: (e) => events.push(e),
  });
  cleanup.push(() => ua.close());
  await ua.start();
  return ua;
}

const wire = (events: UaEvent[], type: 'sip.sent' | 'sip.received'): string[] => events.flatMap((e) => (e.type === type ? [e.text] : []));

describe('our user agent under SIPp', () => {
  it('udp: malformed requests get 400 or nothing when no answer can be built; the agent still answers OPTIONS', async () => {
    const events: UaEvent[] = [];
    const ua = await agent(events);
    const calls: ServerCall[] = [];
    ua.onIncomingCall((c) => calls.push(c));
    const run = await runSipp('ua-malformed.xml', `127.0.0.1:${ua.localAddress!.port}`, 'udp');
    cleanup.push(() => run.sipp.stop());
    await expectSippOk(run);
    const sent = wire(events, 'sip.sent');
    expect(sent.filter((t) => t.startsWith('SIP/2.0 400 '))).toHaveLength(4);
    expect(sent.filter((t) => t.startsWith('SIP/2.0 200 '))).toHaveLength(1);
    // The broken INVITE never became a call.
    expect(calls).toEqual([]);
  });

  it('udp: a retransmitted INVITE is one call, a BYE before its ACK ends it once, the late ACK stops the 2xx, a repeated BYE gets the same 200', async () => {
    const events: UaEvent[] = [];
    const ua = await agent(events);
    const calls: ServerCall[] = [];
    const ended: unknown[] = [];
    ua.onIncomingCall((c) => {
      calls.push(c);
      c.progress(180);
      void c.ended.then((e) => ended.push(e));
      // Ring long enough for the INVITE's copy to arrive first.
      const t = clock.setTimeout(() => void c.accept(SDP).catch(() => undefined), 300);
      cleanup.push(async () => clock.clearTimeout(t));
    });
    const run = await runSipp('ua-retrans-reorder.xml', `127.0.0.1:${ua.localAddress!.port}`, 'udp', ['-nr']);
    cleanup.push(() => run.sipp.stop());
    await expectSippOk(run);
    expect(calls).toHaveLength(1);
    expect(ended).toEqual([{ reason: 'remote-bye' }]);
    expect(ua.activeCalls).toEqual([]);
    const received = wire(events, 'sip.received');
    const sent = wire(events, 'sip.sent');
    expect(received.filter((t) => t.startsWith('INVITE '))).toHaveLength(2);
    // The copy made the transaction repeat its 180, not start a second call.
    expect(sent.filter((t) => t.startsWith('SIP/2.0 180 ')).length).toBeGreaterThanOrEqual(2);
    const byeOk = sent.filter((t) => t.startsWith('SIP/2.0 200 ') && t.includes('\r\nCSeq: 2 BYE\r\n'));
    expect(byeOk).toHaveLength(2);
    expect(byeOk[1]).toBe(byeOk[0]);
  });
});
