import { describe, expect, it } from 'vitest';
import { getHeader, getHeaders } from '../../../../main/sip/message';
import type { CallStateEvent, ServerCall, SipUserAgent } from '../../../../main/sip/ua';
import type { FakeClock } from '../../../../main/common/clock';
import type { SipRequest } from '../../../../main/sip/message';
import { responseTo } from '../../../../main/sip/ua';
import { run, settle, uaWorld } from './support';

const SDP = (who: string, v = 1) => ({ body: `v=0\r\no=${who} ${v} ${v} IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n`, contentType: 'application/sdp' });

async function pair(kind: 'udp' | 'tcp' = 'udp', registrar = {}) {
  const w = await uaWorld(kind, registrar);
  const alice = w.ua('alice', w.aliceHost);
  const bob = w.ua('bob', w.bobHost);
  await settle(w.clock, Promise.all([alice.register(600), bob.register(600)]));
  const incoming: ServerCall[] = [];
  bob.onIncomingCall((c) => incoming.push(c));
  return { ...w, alice, bob, incoming };
}

function states(events: unknown[] | undefined, direction: 'outgoing' | 'incoming'): string[] {
  return (events ?? []).filter((e): e is CallStateEvent => (e as CallStateEvent).type === 'call.state' && (e as CallStateEvent).direction === direction).map((e) => e.to);
}

async function waitFor(w: { clock: FakeClock }, cond: () => boolean, limit = 10_000): Promise<void> {
  for (let t = 0; t < limit && !cond(); t += 10) await run(w.clock, 10);
  if (!cond()) throw new Error('condition not met in fake time');
}

async function closeAll(w: Awaited<ReturnType<typeof pair>>, ...extra: SipUserAgent[]) {
  await settle(w.clock, Promise.all([w.alice.close(), w.bob.close(), ...extra.map((u) => u.close())]));
  await w.close();
}

describe('calls through the registrar/proxy (RFC 3261 §13–§15)', () => {
  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: INVITE, 183 with SDP, 200, ACK, re-INVITE, BYE — states, bodies and route set`, async () => {
      const w = await pair(kind);
      const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
      const progress: number[] = [];
      call.on('progress', (p) => progress.push(p.status));
      await waitFor(w, () => w.incoming.length === 1);
      const callee = w.incoming[0]!;
      expect(callee.offer?.body).toContain('o=alice');
      expect(callee.from).toBe('sip:alice@lab.test');
      callee.progress(183, SDP('bob-early'));
      await waitFor(w, () => progress.includes(183));
      expect(call.state).toBe('early');
      const accepted = callee.accept(SDP('bob'));
      const answer = await settle(w.clock, call.answered);
      expect(answer.body).toContain('o=bob');
      await settle(w.clock, accepted);
      expect(callee.state).toBe('confirmed');
      expect(call.state).toBe('confirmed');
      // The proxy Record-Routed: both sides route in-dialog requests through it.
      expect(call.dialogInfo?.routeSet).toEqual([`<sip:203.0.113.10:5060;transport=${kind};lr>`]);
      expect(callee.dialogInfo?.routeSet).toEqual([`<sip:203.0.113.10:5060;transport=${kind};lr>`]);
      expect(call.dialogInfo?.remoteTarget).toMatch(/^sip:bob@203\.0\.113\.20:\d+/);
      expect(callee.dialogInfo?.remoteTarget).toMatch(/^sip:alice@198\.51\.100\.1:\d+/);

      // The caller re-INVITEs (Lync's final candidates); the callee answers with its handler.
      callee.onReinvite((offer) => ({ body: `${offer?.body ?? ''}a=answered\r\n`, contentType: 'application/sdp' }));
      const re = await settle(w.clock, call.reinvite(SDP('alice', 2)));
      expect(re.status).toBe(200);
      expect(re.body).toContain('a=answered');
      expect(call.remoteBody?.body).toContain('a=answered');
      // The callee's own re-INVITE right away waits for the ACK of the exchange in progress (§14.1).
      const back = await settle(w.clock, callee.reinvite(SDP('bob', 2)));
      expect(back.status).toBe(200);
      await run(w.clock, 100);
      const reinvite = w.reg.requests.filter((r) => r.method === 'INVITE').at(-2)!;
      expect(getHeader(reinvite, 'CSeq')).toBe('2 INVITE');
      expect(getHeaders(reinvite, 'Route')).toEqual([`<sip:203.0.113.10:5060;transport=${kind};lr>`]);

      const bye = await settle(w.clock, call.bye());
      expect(bye?.status).toBe(200);
      expect(await settle(w.clock, call.ended)).toMatchObject({ reason: 'local-bye' });
      expect(await settle(w.clock, callee.ended)).toMatchObject({ reason: 'remote-bye' });
      expect(states(w.events['alice'], 'outgoing')).toEqual(['proceeding', 'early', 'confirmed', 'terminating', 'terminated']);
      expect(states(w.events['bob'], 'incoming')).toEqual(['early', 'accepted', 'confirmed', 'terminated']);
      const acks = w.reg.requests.filter((r) => r.method === 'ACK');
      expect(acks.map((a) => getHeader(a, 'CSeq'))).toEqual(['1 ACK', '2 ACK', '1 ACK']);
      await closeAll(w);
    });
  }

  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: a BYE sent the moment the 2xx arrives never overtakes the ACK`, async () => {
      const w = await pair(kind);
      const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
      await waitFor(w, () => w.incoming.length === 1);
      void w.incoming[0]!.accept(SDP('bob')).catch(() => undefined);
      void call.answered.then(() => call.bye());
      await settle(w.clock, call.ended);
      const order = w.reg.requests.filter((r) => r.method === 'ACK' || r.method === 'BYE').map((r) => r.method);
      expect(order).toEqual(['ACK', 'BYE']);
      await closeAll(w);
    });
  }

  it('CANCEL after 180: the callee sees cancelled, the caller ends cancelled with 487', async () => {
    const w = await pair();
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    const callee = w.incoming[0]!;
    let cancelled = false;
    callee.on('cancelled', () => (cancelled = true));
    callee.progress(180);
    await waitFor(w, () => call.state === 'early');
    call.cancel();
    expect(await settle(w.clock, call.ended)).toMatchObject({ reason: 'cancelled', status: 487 });
    expect(await settle(w.clock, callee.ended)).toMatchObject({ reason: 'cancelled', status: 487 });
    expect(cancelled).toBe(true);
    await expect(call.answered).rejects.toMatchObject({ code: 'SIP_REJECTED', detail: { response: { code: 487 } } });
    await closeAll(w);
  });

  it('a CANCEL wanted before any 1xx waits for one (RFC 3261 §9.1)', async () => {
    const w = await pair('udp', { drop: (r: { method: string }) => r.method === 'INVITE' && dropInvite.on });
    const dropInvite = { on: true };
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await run(w.clock, 50);
    call.cancel();
    expect(call.state).toBe('cancelling');
    await run(w.clock, 50);
    expect(w.reg.requests.filter((r) => r.method === 'CANCEL')).toHaveLength(0);
    dropInvite.on = false; // the next retransmission gets through; bob's 100/180 releases the CANCEL
    await waitFor(w, () => w.incoming.length === 1, 5000);
    w.incoming[0]!.progress(180);
    expect(await settle(w.clock, call.ended)).toMatchObject({ reason: 'cancelled' });
    expect(w.reg.requests.filter((r) => r.method === 'CANCEL')).toHaveLength(1);
    await closeAll(w);
  });

  it('reject(486) ends both sides; with no listener an INVITE is refused 480', async () => {
    const w = await pair();
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    w.incoming[0]!.reject(486);
    expect(await settle(w.clock, call.ended)).toMatchObject({ reason: 'rejected', status: 486 });
    const back = w.bob.invite('sip:alice@lab.test', SDP('bob'));
    expect(await settle(w.clock, back.ended)).toMatchObject({ reason: 'rejected', status: 480 });
    const nobody = w.alice.invite('sip:carol@lab.test', SDP('alice'));
    expect(await settle(w.clock, nobody.ended)).toMatchObject({ reason: 'rejected', status: 480 });
    const unknown = w.alice.invite('sip:dave@lab.test', SDP('alice'));
    expect(await settle(w.clock, unknown.ended)).toMatchObject({ reason: 'rejected', status: 404 });
    await closeAll(w);
  });

  it('407 on INVITE: the caller retries with Proxy-Authorization and the ACK carries it', async () => {
    const w = await pair('udp', { challenge: ['INVITE'] });
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    void w.incoming[0]!.accept(SDP('bob'));
    await settle(w.clock, call.answered);
    const invites = w.reg.requests.filter((r) => r.method === 'INVITE');
    expect(invites.map((i) => getHeader(i, 'CSeq'))).toEqual(['1 INVITE', '2 INVITE']);
    expect(getHeader(invites[1]!, 'Proxy-Authorization')).toMatch(/^Digest username="alice"/);
    await run(w.clock, 100);
    const ack = w.reg.requests.filter((r) => r.method === 'ACK').at(-1)!;
    expect(getHeader(ack, 'CSeq')).toBe('2 ACK');
    expect(getHeader(ack, 'Proxy-Authorization')).toBe(getHeader(invites[1]!, 'Proxy-Authorization'));
    await closeAll(w);
  });

  it('the callee repeats its 200 at T1…T2 until the ACK; none within 64·T1 means BYE and SIP_TIMEOUT', async () => {
    const w = await pair('udp', { drop: (r: { method: string }) => r.method === 'ACK' });
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    const callee = w.incoming[0]!;
    const t0 = w.clock.now();
    const accepted = callee.accept(SDP('bob')).catch((e: unknown) => e);
    const e = await settle(w.clock, accepted);
    expect(e).toMatchObject({ code: 'SIP_TIMEOUT' });
    const sent200 = (w.events['bob'] ?? []).filter((x) => x.type === 'sip.sent' && x.text.startsWith('SIP/2.0 200') && x.text.includes('CSeq: 1 INVITE')).map((x) => (x as { at: number }).at - t0);
    // 0, then T1=500 doubling to T2=4000: 500, 1500, 3500, 7500, 11500 … until 32 s.
    expect(sent200.slice(0, 6)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(sent200.at(-1)).toBeLessThan(32_000);
    expect(await settle(w.clock, callee.ended)).toMatchObject({ reason: 'failed' });
    expect(await settle(w.clock, call.ended)).toMatchObject({ reason: 'remote-bye' });
    await closeAll(w);
  });

  it('re-INVITE glare: both get 491, retry after the §14.1 delays (non-owner first), both succeed', async () => {
    const w = await pair();
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    const callee = w.incoming[0]!;
    void callee.accept(SDP('bob'));
    await settle(w.clock, call.answered);
    await run(w.clock, 100);
    const t0 = w.clock.now();
    const fromAlice = call.reinvite(SDP('alice', 2));
    const fromBob = callee.reinvite(SDP('bob', 2));
    const [a, b] = await settle(w.clock, Promise.all([fromAlice, fromBob]));
    expect([a.status, b.status]).toEqual([200, 200]);
    const invites = w.reg.requests.filter((r) => r.method === 'INVITE' && /tag=/.test(getHeader(r, 'To') ?? ''));
    expect(invites).toHaveLength(4);
    // Bob (not the Call-ID owner) retried within 2 s, Alice after 2.1 s.
    expect(w.clock.now() - t0).toBeGreaterThan(2100);
    const answered = (w.events['alice'] ?? []).filter((e) => e.type === 'sip.sent' && e.text.startsWith('SIP/2.0 491'));
    expect(answered).toHaveLength(1);
    await closeAll(w);
  });

  it('a refused re-INVITE leaves the call as it was; the handler sees the offer', async () => {
    const w = await pair();
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    const callee = w.incoming[0]!;
    void callee.accept(SDP('bob'));
    await settle(w.clock, call.answered);
    const offers: string[] = [];
    callee.onReinvite((offer) => {
      offers.push(offer?.body ?? '');
      return { status: 488 };
    });
    const refused = await settle(w.clock, call.reinvite(SDP('alice', 4)).catch((x: unknown) => x));
    expect(refused).toMatchObject({ code: 'SIP_REJECTED', detail: { response: { code: 488 } } });
    expect(offers[0]).toContain('o=alice 4 4');
    expect(call.state).toBe('confirmed');
    expect(call.localBody?.body).toContain('o=alice 1 1');
    await closeAll(w);
  });

  it('close() hangs up live calls and un-registers', async () => {
    const w = await pair();
    const call = w.alice.invite('sip:bob@lab.test', SDP('alice'));
    await waitFor(w, () => w.incoming.length === 1);
    void w.incoming[0]!.accept(SDP('bob'));
    await settle(w.clock, call.answered);
    await settle(w.clock, w.alice.close());
    expect(call.endedWith).toMatchObject({ reason: 'closed' });
    expect(await settle(w.clock, w.incoming[0]!.ended)).toMatchObject({ reason: 'remote-bye' });
    expect(w.reg.contactsOf('alice')).toEqual([]);
    await closeAll(w);
  });
});

describe('out-of-dialog requests', () => {
  it('OPTIONS, provisioning SUBSCRIBE (Expires 0, body back) and SERVICE through the registrar', async () => {
    const w = await uaWorld('udp', {
      challenge: ['SUBSCRIBE', 'SERVICE'],
      onRequest: (req) => {
        if (req.method === 'SUBSCRIBE') return { ...responseOk(req), body: '<provisionGroupList/>', headers: [...responseOk(req).headers, { name: 'Content-Type', value: 'application/vnd-microsoft-roaming-provisioning-v2+xml' }] };
        if (req.method === 'SERVICE') return { ...responseOk(req), body: '<response reasonPhrase="OK"/>' };
        return undefined;
      },
    });
    const alice = w.ua('alice', w.aliceHost);
    await settle(w.clock, alice.register(600));
    const opt = await settle(w.clock, alice.options());
    expect(opt.status).toBe(200);
    const sub = await settle(
      w.clock,
      alice.subscribe({ event: 'vnd-microsoft-provisioning-v2', accept: 'application/vnd-microsoft-roaming-provisioning-v2+xml', contentType: 'application/vnd-microsoft-roaming-provisioning-v2+xml', body: '<provisioningGroupList/>' }),
    );
    expect(sub.body).toBe('<provisionGroupList/>');
    const subReq = w.reg.requests.filter((r) => r.method === 'SUBSCRIBE').at(-1)!;
    expect(subReq.uri).toBe('sip:alice@lab.test');
    expect(getHeader(subReq, 'Expires')).toBe('0');
    expect(getHeader(subReq, 'Event')).toBe('vnd-microsoft-provisioning-v2');
    expect(getHeader(subReq, 'Proxy-Authorization')).toMatch(/^Digest/);
    const svc = await settle(w.clock, alice.service('sip:alice@lab.test;gruu;opaque=srvr:MRAS:x', 'application/msrtc-media-relay-auth+xml', '<request/>'));
    expect(svc.status).toBe(200);
    expect(svc.body).toContain('reasonPhrase="OK"');
    await settle(w.clock, alice.close());
    await w.close();
  });
});

function responseOk(req: SipRequest) {
  return responseTo(req, 200, { toTag: 'srv' });
}
