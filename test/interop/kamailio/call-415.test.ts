import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { loopbackPhoneNet } from '../../../main/lab/call-lab';
import type { KamailioInstance } from '../../../main/lab/kamailio';
import { PacingScheduler } from '../../../main/media/stream';
import { NodeNet } from '../../../main/net/node/node-net';
import { type CallWorld, runTwoPartyCall } from '../../../main/session/call-run';
import { DOMAIN, kamailioErrors, startLabKamailio, USERS, type UserName, withKamailioLog } from './harness';

// A real peer that takes one SDP only: Kamailio refuses an INVITE to bob carrying
// multipart/alternative with 415 and `Accept: application/sdp` (RFC 3261 §21.4.13), as a plain
// SIP phone or gateway would. Our caller retries once with the v19 part of the same offer (a new
// transaction of the same call, PROTOCOLS.md §2), and the call completes through Kamailio.

let kam: KamailioInstance;
beforeAll(async () => {
  kam = await startLabKamailio({ refuseMultipartTo: ['bob'] });
});
afterAll(async () => {
  const errors = kam ? kamailioErrors(kam) : [];
  await kam?.stop();
  expect(errors).toEqual([]);
});

const text = (e: { readonly [k: string]: unknown }): string => String(e['text'] ?? '');
const header = (t: string, name: string): string | undefined => new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'mi').exec(t.split('\r\n\r\n')[0] ?? '')?.[1];

describe('415 from Kamailio to a multipart offer', () => {
  it('udp: the caller retries with the v19 part, same Call-ID, CSeq up; answered, media, BYE', async () => {
    const clock = new RealClock();
    const node = new NodeNet();
    const scheduler = new PacingScheduler({ clock });
    const phone = (user: UserName, ip: string) => ({ net: loopbackPhoneNet(node, clock, ip), ip, transport: 'udp' as const, aor: `sip:${user}@${DOMAIN}`, username: user, password: USERS[user] });
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
    const result = await withKamailioLog(kam, () =>
      runTwoPartyCall(world, {
        strategy: 'lync',
        dialect: 'multipart-draft6',
        codec: 'PCMU',
        random: { caller: new CryptoRandom(), callee: new CryptoRandom() },
        toolVersion: 'test',
        title: 'kamailio 415',
        timings: { answerDelayMs: 200 },
        scheduler,
      }),
    );
    scheduler.close();
    const detail = JSON.stringify({ caller: result.caller.error ?? result.caller.outcome, callee: result.callee.error ?? result.callee.outcome }).slice(0, 2000);
    expect(result.caller.outcome, detail).toMatchObject({ ok: true, end: 'local-bye', mediaReceived: true });
    expect(result.callee.outcome, detail).toMatchObject({ ok: true, end: 'remote-bye', mediaReceived: true });

    const callerEvents = result.caller.timeline.events;
    // The refusal came from Kamailio itself, with the type it takes.
    const refusal = callerEvents.filter((e) => e.type === 'sip.received').map(text).find((t) => /^SIP\/2\.0 415 /.test(t));
    expect(refusal).toBeDefined();
    expect(header(refusal!, 'Accept')).toBe('application/sdp');
    expect(header(refusal!, 'Server')).toMatch(/kamailio/);
    expect(callerEvents.filter((e) => e.type === 'call.offer-retry')).toEqual([
      expect.objectContaining({ status: 415, accept: ['application/sdp'], from: 'multipart-draft6', to: 'v19', contentType: 'application/sdp' }),
    ]);
    // Dialog-forming INVITEs the caller sent: multipart first (and its 407 round), then one SDP.
    const initial = callerEvents.filter((e) => e.type === 'sip.sent').map(text).filter((t) => /^INVITE /.test(t) && !/tag=/.test(header(t, 'To') ?? ''));
    const types = initial.map((t) => header(t, 'Content-Type')!.split(';')[0]);
    expect(types[0]).toBe('multipart/alternative');
    expect(types[types.length - 1]).toBe('application/sdp');
    const first = initial[0]!;
    const last = initial[initial.length - 1]!;
    expect(header(last, 'Call-ID')).toBe(header(first, 'Call-ID'));
    expect(Number(header(last, 'CSeq')!.split(' ')[0])).toBeGreaterThan(Number(header(first, 'CSeq')!.split(' ')[0]));

    // Bob never saw the multipart offer: only the single SDP reached him.
    const bobInvites = result.callee.timeline.events.filter((e) => e.type === 'sip.received').map(text).filter((t) => /^INVITE /.test(t) && !/tag=/.test(header(t, 'To') ?? ''));
    expect(bobInvites).toHaveLength(1);
    expect(header(bobInvites[0]!, 'Content-Type')).toMatch(/^application\/sdp/);
    expect(bobInvites[0]).not.toMatch(/ms-proxy-2007fallback/);

    expect(await kam.bindings()).toEqual([]);
    expect(node.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
