import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { driveFakeClock } from '../../../main/lab/call-lab';
import { startLabRegistrar, type LabRegistrar } from '../../../main/lab/registrar';
import type { RegistrarEvent } from '../../../main/lab/registrar/types';
import { PacingScheduler } from '../../../main/media/stream';
import { VirtualNetwork, type VirtualHost } from '../../../main/net/virtual';
import { humanSummary, reportFromTimeline } from '../../../main/report';
import { OutgoingCall } from '../../../main/session/call';
import { IncomingCall, nextIncomingCall } from '../../../main/session/call-answer';
import { timelineSink } from '../../../main/session/call-events';
import type { CallOutcome } from '../../../main/session/call-session';
import { Endpoint } from '../../../main/session/endpoint';
import { parseQoeReport, QOE_CONTENT_TYPE } from '../../../main/session/qoe-report';
import type { OfferDialect } from '../../../main/session/sdp-bridge';
import { Timeline } from '../../../main/session/timeline';
import type { ServerCall } from '../../../main/sip/ua';

// Two of our phones through the lab registrar on the virtual network (fake time, host candidates:
// provisioning has a qosUri but no mrasUri). (1) A callee that takes single-part offers only
// refuses the caller's Lync multipart INVITE with 415 + Accept: application/sdp; the caller sends
// the v19 part alone in a new transaction of the same call, and the call completes with media.
// A callee refusing even that ends the call with a coded error naming the 415. (2) At hang-up
// both sides send one [MS-QoE] report to the qosUri, which the registrar answers 202; a dead QoE
// server costs the hang-up its bounded wait, never the call.

const USERS = { alice: 'alice-pw', bob: 'bob-pw' };

interface World {
  clock: FakeClock;
  net: VirtualNetwork;
  registrar: LabRegistrar;
  registrarEvents: RegistrarEvent[];
  caller: Endpoint;
  callee: Endpoint;
  tCaller: Timeline;
  tCallee: Timeline;
  scheduler: PacingScheduler;
}

/** An endpoint whose qosUri is not the one provisioning gave (a QoE server that is not there). */
class MisprovisionedEndpoint extends Endpoint {
  override get qosUri(): string | undefined {
    return 'sip:carol@lab.test';
  }
}

async function world(seed: number, dialect: OfferDialect, qosUri?: string, wrongQosUri = false): Promise<World> {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const link = { link: { delayMs: 5 } };
  const sip = net.addHost('sip', { ip: '203.0.113.5', ...link });
  const a = net.addHost('alice', { ip: '198.51.100.11', ...link });
  const b = net.addHost('bob', { ip: '198.51.100.12', ...link });
  const registrarEvents: RegistrarEvent[] = [];
  const random = new SeededRandom(seed);
  const registrar = await startLabRegistrar({
    net: sip,
    clock,
    random: random.fork(),
    listen: { ip: sip.address, udpPort: 5060 },
    domain: 'lab.test',
    users: USERS,
    digest: 'SHA-256',
    authenticate: { invite: true },
    ...(qosUri !== undefined ? { provisioning: { qosUri } } : {}),
    onEvent: (e) => registrarEvents.push(e),
  });
  const scheduler = new PacingScheduler({ clock });
  const endpoint = (host: VirtualHost, user: 'alice' | 'bob', t: Timeline): Endpoint =>
    new (wrongQosUri && user === 'alice' ? MisprovisionedEndpoint : Endpoint)({
      net: host,
      clock,
      random: random.fork(),
      sink: timelineSink(t),
      account: { aor: `sip:${user}@lab.test`, password: USERS[user] },
      registrar: { address: sip.address, port: 5060 },
      transport: 'udp',
      sipLocal: { ip: host.address },
      registerExpires: 600,
      dialect,
      ice: { strategy: 'lync', interfaces: { families: [4] }, nominationDelayMs: 500 },
      media: { codec: 'PCMU', rtcpIntervalMs: 1000, delaySource: 'probe', scheduler },
    });
  const tCaller = Timeline.start(clock, { toolVersion: 'test' });
  const tCallee = Timeline.start(clock, { toolVersion: 'test' });
  return { clock, net, registrar, registrarEvents, caller: endpoint(a, 'alice', tCaller), callee: endpoint(b, 'bob', tCallee), tCaller, tCallee, scheduler };
}

async function close(w: World): Promise<void> {
  await driveFakeClock(w.clock, Promise.all([w.caller.close(), w.callee.close()]), 60_000);
  await driveFakeClock(w.clock, w.registrar.stop(), 10_000);
  w.scheduler.close();
  await w.net.close();
  expect(w.clock.pendingTimers()).toBe(0);
  expect(w.net.openResources()).toBe(0);
}

type Answer = (sip: ServerCall) => Promise<CallOutcome | undefined>;

const ourCallee =
  (w: World, opts: { singlePartOnly?: boolean } = {}): Answer =>
  (sip) =>
    new IncomingCall(w.callee, sip, { ...opts, answerDelayMs: 300 }).run();

/** A callee that takes no SDP at all the way it was sent: 415 with `accept` (none: no Accept header). */
const refuse415 =
  (accept?: string): Answer =>
  (sip) => {
    sip.reject(415, { reason: 'Unsupported Media Type', ...(accept ? { headers: [['Accept', accept]] } : {}) });
    return Promise.resolve(undefined);
  };

/** The callee answers every call that comes within the run. */
async function call(w: World, answer: Answer, timings = {}): Promise<{ caller: CallOutcome; callee: (CallOutcome | undefined)[]; offers: number }> {
  const work = async () => {
    await Promise.all([w.caller.start(), w.callee.start()]);
    const callee: (CallOutcome | undefined)[] = [];
    let stop = false;
    let offers = 0;
    const answering = (async () => {
      while (!stop) {
        const sip = await nextIncomingCall(w.callee, 1000);
        if (!sip) continue;
        offers++;
        callee.push(await answer(sip));
      }
    })();
    const caller = await new OutgoingCall(w.caller, { target: 'sip:bob@lab.test', durationMs: 3000, ...timings }).run();
    stop = true;
    await answering;
    return { caller, callee, offers };
  };
  return driveFakeClock(w.clock, work(), 120_000);
}

/** The INVITEs a side sent, read from the Timeline's redacted copies (so Content-Length may not match the body: read by hand). */
const invites = (t: Timeline): { headers: string; body: string }[] =>
  t.events
    .filter((e) => e.type === 'sip.sent' && /^INVITE /.test(String(e['text'])))
    .map((e) => {
      const text = String(e['text']);
      const split = text.indexOf('\r\n\r\n');
      return { headers: text.slice(0, split), body: text.slice(split + 4) };
    });
const getHeader = (m: { headers: string }, name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(m.headers)?.[1]?.trim();

describe('415 to a multipart offer: one retry with the v19 part', () => {
  it('the call completes with media, the Timeline shows the retry, the report reads it', async () => {
    const w = await world(11, 'multipart-draft6');
    try {
      const r = await call(w, ourCallee(w, { singlePartOnly: true }));
      expect(r.caller, JSON.stringify(r.caller.error)).toMatchObject({ ok: true, end: 'local-bye', mediaReceived: true });
      // The callee refused the first INVITE and answered the second.
      expect(r.callee.map((o) => o?.error?.code ?? 'ok')).toEqual(['SIP_REJECTED', 'ok']);
      expect(w.tCallee.events.filter((e) => e.type === 'call.offer-refused')).toHaveLength(1);
      expect(r.callee[1]).toMatchObject({ ok: true, mediaReceived: true });

      const retry = w.tCaller.events.filter((e) => e.type === 'call.offer-retry');
      expect(retry).toEqual([expect.objectContaining({ status: 415, accept: ['application/sdp'], from: 'multipart-draft6', to: 'v19', contentType: 'application/sdp' })]);
      // Initial INVITE, its digest retry (407), the 415 retry, then the final re-INVITE after checks.
      const sent = invites(w.tCaller);
      const initial = sent.filter((m) => !getHeader(m, 'To')?.includes('tag='));
      const types = initial.map((m) => getHeader(m, 'Content-Type')!.split(';')[0]);
      expect(types[0]).toBe('multipart/alternative');
      expect(types[types.length - 1]).toBe('application/sdp');
      const first = initial[0]!;
      const last = initial[initial.length - 1]!;
      // A new transaction of the same call (RFC 3261 §8.1.3.5): Call-ID and From tag kept, CSeq up, new branch.
      expect(getHeader(last, 'Call-ID')).toBe(getHeader(first, 'Call-ID'));
      expect(getHeader(last, 'From')).toBe(getHeader(first, 'From'));
      expect(Number(getHeader(last, 'CSeq')!.split(' ')[0])).toBeGreaterThan(Number(getHeader(first, 'CSeq')!.split(' ')[0]));
      expect(getHeader(last, 'Via')).not.toBe(getHeader(first, 'Via'));
      // One SDP, the v19 part of the first body: same ICE credentials and candidates, no draft-6 lines.
      expect(last.body).not.toMatch(/^--/m);
      expect(last.body).toMatch(/^a=ice-ufrag:/m);
      const ufrag = /^a=ice-ufrag:(\S+)/m.exec(last.body)![1]!;
      expect(first.body).toContain(`a=ice-ufrag:${ufrag}`);
      for (const line of last.body.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'))) expect(first.body).toContain(line);

      const report = reportFromTimeline(w.tCaller);
      expect(report.phases.map((p) => `${p.name}:${p.state}`)).toEqual(['registration:done', 'mras:skipped', 'gathering:done', 'checks:done', 'media:done']);
      expect(humanSummary(report).length).toBeGreaterThan(0);
    } finally {
      await close(w);
    }
  });

  it('a second 415 ends the call with SDP_NEGOTIATION_FAILED naming the 415 and both offers', async () => {
    const w = await world(12, 'multipart-draft6');
    try {
      const r = await call(w, refuse415('application/sdp'), { answerTimeoutMs: 5000 });
      expect(r.offers).toBe(2);
      expect(r.caller).toMatchObject({ ok: false, end: 'rejected', error: { code: 'SDP_NEGOTIATION_FAILED', response: { code: 415, accept: ['application/sdp'] } } });
      expect(r.caller.error?.message).toMatch(/415 Unsupported Media Type: offered multipart\/alternative \(draft-6 fallback \+ v19\), then application\/sdp \(v19\); it accepts application\/sdp/);
      expect(w.tCaller.events.filter((e) => e.type === 'call.offer-retry')).toHaveLength(1);
      const report = reportFromTimeline(w.tCaller);
      expect(report.verdict).toBe('error');
      expect(report.phases.find((p) => p.name === 'checks')).toMatchObject({ ok: false, detail: expect.stringContaining('415') });
      // No media, so no QoE report.
      expect(w.tCaller.events.filter((e) => e.type === 'qoe.sent')).toEqual([]);
    } finally {
      await close(w);
    }
  });

  it('a 415 to a single-part offer, or one whose Accept we cannot meet, is not retried', async () => {
    for (const [dialect, accept, offered] of [
      ['v19', 'application/sdp', /offered application\/sdp \(v19\); it accepts application\/sdp$/],
      ['multipart-draft6', 'multipart/mixed', /offered multipart\/alternative \(draft-6 fallback \+ v19\); it accepts multipart\/mixed$/],
      ['multipart-draft6', undefined, undefined],
    ] as const) {
      const w = await world(13, dialect);
      try {
        const r = await call(w, refuse415(accept), { answerTimeoutMs: 5000 });
        if (accept === undefined) {
          // No Accept: the v19 part is tried (PROTOCOLS.md §2), and refused again.
          expect(r.offers).toBe(2);
          expect(r.caller.error?.message).toMatch(/then application\/sdp \(v19\); it sent no Accept$/);
        } else {
          expect(r.offers).toBe(1);
          expect(r.caller.error?.message).toMatch(offered!);
          expect(w.tCaller.events.filter((e) => e.type === 'call.offer-retry')).toEqual([]);
        }
        expect(r.caller.error?.code).toBe('SDP_NEGOTIATION_FAILED');
      } finally {
        await close(w);
      }
    }
  });
});

/** The QoE SERVICE requests the registrar received, with their body (read by hand: the copy is redacted). */
function qoeRequests(w: World): { contentType: string | undefined; callId: string | undefined; body: string }[] {
  return w.registrarEvents
    .flatMap((e) => (e.type === 'sip.received' && /^SERVICE sip:qos@/.test(e.text) ? [e] : []))
    .map((e) => {
      const split = e.text.indexOf('\r\n\r\n');
      const m = { headers: e.text.slice(0, split) };
      return { contentType: getHeader(m, 'Content-Type'), callId: getHeader(m, 'Call-ID'), body: e.text.slice(split + 4) };
    });
}

describe('QoE report at hang-up', () => {
  it('each side sends one [MS-QoE] report to the qosUri: 202, the call\'s Call-ID and figures', async () => {
    const w = await world(21, 'v19');
    try {
      const r = await call(w, ourCallee(w));
      expect(r.caller).toMatchObject({ ok: true, mediaReceived: true });
      const reqs = qoeRequests(w);
      expect(reqs).toHaveLength(2);
      expect(w.registrarEvents.filter((e) => e.type === 'qoe.received')).toHaveLength(2);
      const reports = reqs.map((q) => {
        expect(q.contentType).toBe(QOE_CONTENT_TYPE);
        const p = parseQoeReport(q.body);
        if (!p.ok) throw new Error(p.error.reason);
        return p.value;
      });
      const mine = reports.filter((x) => x.caller === true);
      const theirs = reports.filter((x) => x.caller === false);
      expect(mine).toHaveLength(1);
      expect(theirs).toHaveLength(1);
      const caller = mine[0]!;
      const callee = theirs[0]!;
      // The SERVICE is its own request (its own Call-ID); the report names the call's.
      expect(caller.callId).toBe(r.caller.callId);
      expect(callee.callId).toBe(r.caller.callId);
      expect(reqs.every((q) => q.callId !== r.caller.callId)).toBe(true);
      expect(caller).toMatchObject({ fromUri: 'sip:alice@lab.test', toUri: 'sip:bob@lab.test', codec: 'PCMU' });
      // A clean network: no loss, a good MOS, a round trip measured, packets both ways.
      expect(caller.inbound).toMatchObject({ lossRate: 0 });
      expect(caller.inbound!.packets).toBeGreaterThan(100);
      expect(caller.inbound!.mos).toBeGreaterThan(4);
      expect(caller.outbound!.packets).toBeGreaterThan(100);
      expect(caller.outbound!.rttMs).toBeGreaterThanOrEqual(10);
      // What one side received is what the other sent, give or take the packets still in flight at the end.
      expect(Math.abs(caller.inbound!.packets! - callee.outbound!.packets!)).toBeLessThanOrEqual(5);

      for (const [t, side] of [
        [w.tCaller, 'outgoing'],
        [w.tCallee, 'incoming'],
      ] as const) {
        const sent = t.events.filter((e) => e.type === 'qoe.sent');
        expect(sent).toEqual([expect.objectContaining({ direction: side, status: 202, callId: r.caller.callId, qosUri: expect.stringMatching(/^sip:qos@lab\.test/) })]);
        expect(sent[0]!['error']).toBeUndefined();
        // After the media is over, before the call's end.
        const ended = t.events.findIndex((e) => e.type === 'session.state' && e['to'] === 'ended');
        expect(t.events.indexOf(sent[0]!)).toBeLessThan(ended);
      }
      const report = reportFromTimeline(w.tCaller);
      expect(report.verdict).not.toBe('error');
      expect(report.qoe).toMatchObject({ ok: true, status: 202, qosUri: expect.stringMatching(/^sip:qos@lab\.test/) });
      expect(humanSummary(report)).toMatch(/^QoE report: sip:qos@lab\.test\S* took it \(202/m);
    } finally {
      await close(w);
    }
  });

  it('a QoE server that does not answer in time or refuses costs the hang-up its bound, never the call', async () => {
    // 1 ms is shorter than any round trip here: the wait ends first, deterministically in fake time.
    const w = await world(22, 'v19');
    try {
      const r = await call(w, ourCallee(w), { qoeTimeoutMs: 1 });
      expect(r.caller).toMatchObject({ ok: true, mediaReceived: true });
      const sent = w.tCaller.events.filter((e) => e.type === 'qoe.sent');
      expect(sent).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'SIP_TIMEOUT', message: expect.stringContaining('1 ms') }) })]);
      // The fake clock moves in 5 ms steps; the answer would need a 20 ms round trip.
      expect(sent[0]!['ms']).toBeLessThanOrEqual(5);
      expect(sent[0]!['status']).toBeUndefined();
      const report = reportFromTimeline(w.tCaller);
      expect(report.verdict).not.toBe('error');
      expect(report.qoe).toMatchObject({ ok: false, error: { code: 'SIP_TIMEOUT' } });
    } finally {
      await close(w);
    }
    // A qosUri the registrar does not serve: the proxy answers 404 (no such user).
    const w2 = await world(23, 'v19', undefined, true);
    try {
      const r = await call(w2, ourCallee(w2));
      expect(r.caller).toMatchObject({ ok: true });
      const sent = w2.tCaller.events.filter((e) => e.type === 'qoe.sent');
      expect(sent).toEqual([expect.objectContaining({ status: 404, error: expect.objectContaining({ code: 'SIP_REJECTED' }) })]);
    } finally {
      await close(w2);
    }
  });

  it('no qosUri in provisioning: no SERVICE, no entry', async () => {
    const w = await world(24, 'v19', '');
    try {
      const r = await call(w, ourCallee(w));
      expect(r.caller).toMatchObject({ ok: true });
      expect(w.tCaller.events.filter((e) => e.type === 'qoe.sent')).toEqual([]);
      expect(qoeRequests(w)).toEqual([]);
      expect(reportFromTimeline(w.tCaller).qoe).toBeNull();
    } finally {
      await close(w);
    }
  });
});
