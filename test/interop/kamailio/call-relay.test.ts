import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { loopbackPhoneNet } from '../../../main/lab/call-lab';
import type { KamailioInstance } from '../../../main/lab/kamailio';
import { PacingScheduler } from '../../../main/media/stream';
import { NodeNet } from '../../../main/net/node/node-net';
import { nextIncomingCall, IncomingCall } from '../../../main/session/call-answer';
import { OutgoingCall } from '../../../main/session/call';
import { timelineSink } from '../../../main/session/call-events';
import { Endpoint } from '../../../main/session/endpoint';
import { Timeline } from '../../../main/session/timeline';
import type { Net } from '../../../main/net/types';
import { startLongTermCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';
import { DOMAIN, kamailioErrors, startLabKamailio, USERS, type UserName, withKamailioLog } from './harness';

// A standard SIP deployment: Kamailio for signalling, no Lync provisioning and so no MRAS, and the
// TURN server configured in each phone by hand (a real coturn with long-term credentials). The
// direct path between the phones is cut for the whole call, so the call can only work through
// the relay: the offer carries relay candidates, checks succeed through coturn, media flows on a
// relay path, BYE through Kamailio.

let kam: KamailioInstance;
let turn: LabCoturn;
beforeAll(async () => {
  kam = await startLabKamailio();
  turn = await startLongTermCoturn();
});
afterAll(async () => {
  const errors = kam ? kamailioErrors(kam) : [];
  await kam?.stop();
  await stopAllCoturn();
  expect(errors).toEqual([]);
});

describe('a call through Kamailio with TURN relays configured by hand', () => {
  it('multipart-draft6 over udp: relay candidates offered, direct path cut, media on the relay path, BYE', async () => {
    const clock = new RealClock();
    const node = new NodeNet();
    const scheduler = new PacingScheduler({ clock });
    const callerIp = '127.0.0.2';
    const calleeIp = '127.0.0.3';
    // Nothing from the caller's own address reaches the callee: only relayed traffic gets through.
    const calleeNet = loopbackPhoneNet(node, clock, calleeIp, { fromIp: callerIp, forMs: 3_600_000 });
    const turnUser = { alice: 'alice', bob: 'bob' } as const;
    const turnPassword = { alice: 'alicepw', bob: 'bobpw' } as const;
    const endpoint = (user: 'alice' | 'bob', net: Net, ip: string, timeline: Timeline) =>
      new Endpoint({
        net,
        clock,
        random: new CryptoRandom(),
        sink: timelineSink(timeline),
        account: { aor: `sip:${user}@${DOMAIN}`, password: USERS[user as UserName] },
        registrar: { address: kam.udp.ip, port: kam.udp.port },
        transport: 'udp',
        sipLocal: { ip },
        registerExpires: 600,
        dialect: 'multipart-draft6',
        ice: {
          strategy: 'lync',
          interfaces: { allowLoopback: true, families: [4] },
          relays: [{ address: turn.udp, transports: ['udp'], credentials: { kind: 'long-term', username: turnUser[user], password: turnPassword[user] } }],
        },
        media: { codec: 'PCMU', rtcpIntervalMs: 1000, delaySource: 'probe', scheduler },
      });
    const tCaller = Timeline.start(clock, { toolVersion: 'test' });
    const tCallee = Timeline.start(clock, { toolVersion: 'test' });
    const alice = endpoint('alice', loopbackPhoneNet(node, clock, callerIp), callerIp, tCaller);
    const bob = endpoint('bob', calleeNet, calleeIp, tCallee);
    try {
      await withKamailioLog(kam, async () => {
        const [ra, rb] = await Promise.all([alice.start(), bob.start()]);
        for (const r of [ra, rb]) {
          expect(r.noRelayReason).toBeUndefined();
          expect(r.relays).toHaveLength(1);
        }
        expect(tCaller.events.some((e) => e.type === 'phase' && e['name'] === 'mras' && e['state'] === 'skipped' && /relays configured by hand/.test(String(e['detail'])))).toBe(true);
        const incoming = nextIncomingCall(bob, 20_000).then((sip) => (sip ? new IncomingCall(bob, sip, { answerDelayMs: 200 }).run() : undefined));
        const out = await new OutgoingCall(alice, { target: `sip:bob@${DOMAIN}`, durationMs: 2500, answerDelayMs: 200 }).run();
        const inc = await incoming;
        expect(out, JSON.stringify(out.error)).toMatchObject({ ok: true, end: 'local-bye', mediaReceived: true });
        expect(inc).toMatchObject({ ok: true, end: 'remote-bye', mediaReceived: true });
        const path = out.finalPath!;
        expect(path.local.type === 'relay' || path.remote.type === 'relay', JSON.stringify(path)).toBe(true);
      });
    } finally {
      await Promise.all([alice.close(), bob.close()]);
      scheduler.close();
    }
    expect(calleeNet.dropped()).toBeGreaterThan(0);
    // The offer as bob got it through Kamailio: a relay candidate on coturn's address in it.
    const invite = tCallee.events.filter((e) => e.type === 'sip.received').map((e) => String(e['text'])).find((t) => /^INVITE /.test(t) && /typ relay/.test(t));
    expect(invite).toMatch(new RegExp(`^a=candidate:\\S+ 1 UDP \\d+ ${turn.udp.ip.replace(/\./g, '\\.')} \\d+ typ relay raddr `, 'm'));
    expect(await kam.bindings()).toEqual([]);
    expect(node.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
