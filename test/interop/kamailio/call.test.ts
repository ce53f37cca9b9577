import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { loopbackPhoneNet } from '../../../main/lab/call-lab';
import type { KamailioInstance } from '../../../main/lab/kamailio';
import { PacingScheduler } from '../../../main/media/stream';
import { NodeNet } from '../../../main/net/node/node-net';
import { type CallWorld, runTwoPartyCall } from '../../../main/session/call-run';
import type { AnyEvent } from '../../../main/session/timeline';
import { type ServerCall, SipUserAgent, type UaEvent } from '../../../main/sip/ua';
import { DOMAIN, kamailioErrors, startLabKamailio, USERS, type UserName, withKamailioLog } from './harness';

// Calls between two of our user agents with Kamailio as registrar and proxy: the SIP dialog
// (INVITE challenged 407, 183, 200/ACK, re-INVITE both ways, BYE, CANCEL) over UDP and TCP, then
// whole calls of main/session (Endpoint, OutgoingCall/IncomingCall) with candidates in both offer
// dialects, ICE checks on loopback and media, through a proxy we did not write. Kamailio answers
// the provisioning SUBSCRIBE 489, so there is no mrasUri: host candidates only, said as a diagnosis.

let kam: KamailioInstance;
beforeAll(async () => {
  kam = await startLabKamailio();
});
afterAll(async () => {
  // Read before stopping: Kamailio's workers complain about closed pipes while it shuts down.
  const errors = kam ? kamailioErrors(kam) : [];
  await kam?.stop();
  expect(errors).toEqual([]);
});

const SDP = (who: string, v = 1) => ({ body: `v=0\r\no=${who} ${v} ${v} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`, contentType: 'application/sdp' });
const textOf = (e: UaEvent | AnyEvent): string => String((e as { text?: unknown }).text ?? '');

describe('calls through Kamailio: the SIP dialog', () => {
  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: INVITE (407 digest), 183, 200/ACK, re-INVITE both ways, BYE; Record-Route kept in the dialog`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const events: Record<UserName, UaEvent[]> = { alice: [], bob: [], carol: [] };
      const ua = (user: UserName) =>
        new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: kind, registrar: { address: kam.udp.ip, port: kam.udp.port }, aor: `sip:${user}@${DOMAIN}`, password: USERS[user], onEvent: (e) => events[user].push(e) });
      const alice = ua('alice');
      const bob = ua('bob');
      await withKamailioLog(kam, async () => {
        try {
          await Promise.all([alice.register(600), bob.register(600)]);
          const incoming = new Promise<ServerCall>((resolve) => bob.onIncomingCall(resolve));
          const t0 = performance.now();
          const call = alice.invite(`sip:bob@${DOMAIN}`, SDP('alice'));
          const callee = await incoming;
          callee.progress(183, SDP('bob-early'));
          const acked = callee.accept(SDP('bob'));
          expect((await call.answered).body).toContain('o=bob 1 1');
          await acked;
          const setupMs = performance.now() - t0;
          expect((await call.reinvite(SDP('alice', 2))).status).toBe(200);
          expect((await callee.reinvite(SDP('bob', 2))).status).toBe(200);
          expect((await call.bye())?.status).toBe(200);
          expect(await callee.ended).toEqual({ reason: 'remote-bye' });
          console.info(`kamailio ${kind}: INVITE (407, 183) to ACK in ${setupMs.toFixed(1)} ms`);
        } finally {
          await Promise.all([alice.close(), bob.close()]);
        }
      });
      // The caller was challenged by the proxy and answered it.
      const aliceGot = events.alice.filter((e) => e.type === 'sip.received').map(textOf);
      expect(aliceGot.some((t) => /^SIP\/2\.0 407 /.test(t) && /CSeq: \d+ INVITE/i.test(t) && /Proxy-Authenticate: Digest realm="lab\.test"/.test(t))).toBe(true);
      // Bob's INVITE came through Kamailio, which stays on the dialog's path (Record-Route) and
      // forwarded to the flow bob registered from (over TCP that is bob's own connection).
      const bobInvite = events.bob.filter((e) => e.type === 'sip.received').map(textOf).find((t) => /^INVITE /.test(t));
      expect(bobInvite).toBeDefined();
      expect(bobInvite).toMatch(new RegExp(`^Record-Route: <sip:${kam.udp.ip.replace(/\./g, '\\.')}:${kam.udp.port}[^>]*;lr`, 'im'));
      expect(bobInvite).toMatch(new RegExp(`^Via: SIP/2\\.0/${kind.toUpperCase()} ${kam.udp.ip.replace(/\./g, '\\.')}:${kam.udp.port};branch=`, 'im'));
      // The in-dialog requests went through the proxy too: both re-INVITEs and the BYE carry a Route.
      const aliceSentInDialog = events.alice.filter((e) => e.type === 'sip.sent').map(textOf).filter((t) => /^(INVITE|BYE) /.test(t) && /^Route: /im.test(t));
      expect(aliceSentInDialog.length).toBeGreaterThanOrEqual(2);
      expect(await kam.bindings()).toEqual([]);
      expect(net.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });
  }

  it('udp: CANCEL before the answer reaches the callee, the caller gets 487', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const ua = (user: UserName) => new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: 'udp', registrar: { address: kam.udp.ip, port: kam.udp.port }, aor: `sip:${user}@${DOMAIN}`, password: USERS[user] });
    const alice = ua('alice');
    const bob = ua('bob');
    await withKamailioLog(kam, async () => {
      try {
        await Promise.all([alice.register(600), bob.register(600)]);
        const incoming = new Promise<ServerCall>((resolve) => bob.onIncomingCall(resolve));
        const call = alice.invite(`sip:bob@${DOMAIN}`, SDP('alice'));
        const callee = await incoming;
        callee.progress(180);
        await waitFor(() => call.state === 'early' || call.state === 'proceeding', 5000);
        call.cancel();
        expect(await callee.ended).toMatchObject({ reason: 'cancelled' });
        const end = await call.ended;
        expect(end).toMatchObject({ reason: 'cancelled', status: 487 });
      } finally {
        await Promise.all([alice.close(), bob.close()]);
      }
    });
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('an INVITE to a user with no binding is 404 from Kamailio', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const alice = new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: 'udp', registrar: { address: kam.udp.ip, port: kam.udp.port }, aor: `sip:alice@${DOMAIN}`, password: USERS.alice });
    try {
      await alice.register(600);
      const call = alice.invite(`sip:carol@${DOMAIN}`, SDP('alice'));
      expect(await call.ended).toMatchObject({ reason: 'rejected', status: 404 });
    } finally {
      await alice.close();
    }
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('calls through Kamailio: whole calls between two Endpoints', () => {
  const cases = [
    { dialect: 'v19', transport: 'udp' },
    { dialect: 'multipart-draft6', transport: 'udp' },
    { dialect: 'multipart-draft6', transport: 'tcp' },
  ] as const;
  for (const { dialect, transport } of cases) {
    it(`${dialect} over ${transport}: registered, no mrasUri (host candidates), answered, checks, media both ways, final re-INVITE, BYE`, async () => {
      const clock = new RealClock();
      const node = new NodeNet();
      const scheduler = new PacingScheduler({ clock });
      const phone = (user: UserName, ip: string) => ({ net: loopbackPhoneNet(node, clock, ip), ip, transport, aor: `sip:${user}@${DOMAIN}`, username: user, password: USERS[user] });
      const world: CallWorld = {
        clock,
        registrar: { address: kam.udp.ip, udpPort: kam.udp.port, tcpPort: kam.tcp.port },
        caller: phone('alice', '127.0.0.2'),
        callee: phone('bob', '127.0.0.3'),
        ice: { allowLoopback: true },
        mediaMs: 2000,
        onChecksStarted: () => undefined,
        run: (p) => p,
      };
      const t0 = performance.now();
      const result = await withKamailioLog(kam, () =>
        runTwoPartyCall(world, {
          strategy: 'lync',
          dialect,
          codec: 'PCMU',
          random: { caller: new CryptoRandom(), callee: new CryptoRandom() },
          toolVersion: 'test',
          title: `kamailio ${dialect} ${transport}`,
          timings: { answerDelayMs: 200 },
          scheduler,
        }),
      );
      const totalMs = performance.now() - t0;
      scheduler.close();
      const detail = JSON.stringify({ caller: result.caller.error ?? result.caller.outcome, callee: result.callee.error ?? result.callee.outcome }).slice(0, 2000);
      expect(result.caller.outcome, detail).toMatchObject({ ok: true, end: 'local-bye', mediaReceived: true, reinvites: 1 });
      expect(result.callee.outcome, detail).toMatchObject({ ok: true, end: 'remote-bye', mediaReceived: true });
      expect(result.caller.outcome!.finalPath).toMatchObject({ local: { type: 'host' }, remote: { type: 'host' } });

      // Kamailio knows no Lync provisioning: the SUBSCRIBE was refused, the endpoint went on
      // with host candidates and said why (a diagnosis, not a crash).
      for (const side of [result.caller, result.callee]) {
        expect(side.ready?.relays).toEqual([]);
        expect(side.ready?.noRelayReason).toMatch(/no mrasUri/);
        const events = side.timeline.events;
        expect(events.find((e) => e.type === 'provisioning')).toMatchObject({ ok: false });
        expect(events.some((e) => e.type === 'phase' && e['name'] === 'mras' && e['state'] === 'skipped')).toBe(true);
        expect(events.some((e) => e.type === 'sip.received' && /^SIP\/2\.0 489 /.test(textOf(e)))).toBe(true);
      }

      // The offer reached bob through Kamailio as it was sent: both parts for the multipart
      // dialect (draft-6 fallback first, v19 last), candidates in it, Record-Route added.
      const calleeEvents = result.callee.timeline.events;
      const invite = calleeEvents.filter((e) => e.type === 'sip.received').map(textOf).find((t) => /^INVITE /.test(t) && /^Record-Route: /im.test(t) && /\r?\n\r?\nv=0|--/.test(t));
      expect(invite, 'the first INVITE as bob received it').toBeDefined();
      expect(invite).toMatch(new RegExp(`^Record-Route: <sip:${kam.udp.ip.replace(/\./g, '\\.')}:${kam.udp.port}`, 'im'));
      if (dialect === 'multipart-draft6') {
        expect(invite).toMatch(/^Content-Type: multipart\/alternative;\s*boundary=/im);
        expect(invite).toMatch(/ms-proxy-2007fallback/);
        expect(invite!.indexOf('ms-proxy-2007fallback')).toBeLessThan(invite!.lastIndexOf('a=ice-ufrag:'));
        expect(invite).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.2 \d+ typ host/m);
      } else {
        expect(invite).toMatch(/^Content-Type: application\/sdp/im);
        expect(invite).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.2 \d+ typ host/m);
      }
      // The caller's BYE was answered 200 through the proxy.
      const callerEvents = result.caller.timeline.events;
      expect(callerEvents.some((e) => e.type === 'sip.received' && /^SIP\/2\.0 200 /.test(textOf(e)) && /^CSeq: \d+ BYE/im.test(textOf(e)))).toBe(true);

      const at = (events: readonly AnyEvent[], pred: (e: AnyEvent) => boolean): number | undefined => events.find(pred)?.at;
      const regDone = at(callerEvents, (e) => e.type === 'phase' && e['name'] === 'registration' && e['state'] === 'done');
      const answered = at(callerEvents, (e) => e.type === 'sip.received' && /^SIP\/2\.0 200 /.test(textOf(e)) && /^CSeq: \d+ INVITE/im.test(textOf(e)));
      const inviteSent = at(callerEvents, (e) => e.type === 'sip.sent' && /^INVITE /.test(textOf(e)));
      console.info(
        `kamailio call ${dialect}/${transport}: registered ${fmt(regDone, callerEvents[0]?.at)} ms after start, INVITE → 200 ${fmt(answered, inviteSent)} ms (answer delay 200 ms), whole run ${totalMs.toFixed(0)} ms`,
      );
      expect(await kam.bindings()).toEqual([]);
      expect(node.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});

function fmt(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '?' : (a - b).toFixed(1);
}

async function waitFor(cond: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
