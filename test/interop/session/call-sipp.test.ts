import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { lyncIce2Profile } from '../../../main/compat';
import { IceAgent } from '../../../main/ice/agent';
import { remoteInputOf } from '../../../main/ice/candidate-factory';
import { MediaSession, PacingScheduler } from '../../../main/media/stream';
import { NodeNet } from '../../../main/net/node/node-net';
import { reportFromTimeline } from '../../../main/report';
import { OutgoingCall } from '../../../main/session/call';
import { timelineSink } from '../../../main/session/call-events';
import { followIcePath, iceMediaPath } from '../../../main/session/call-media';
import { Endpoint } from '../../../main/session/endpoint';
import { Timeline } from '../../../main/session/timeline';
import { pickFreePort } from '../../support/ports';
import { SIPP_FIXTURES, SippProcess, waitForSippPort } from '../../support/sipp';

// Our caller against SIPp (Debian sip-tester) as the far end of the whole Lync sequence: REGISTER,
// provisioning SUBSCRIBE (no mrasUri: host candidates only), INVITE answered with 183 and 200.
// One UAS answers with a single v19 SDP whose ICE credentials and candidate belong to an ICE agent
// of this test (SIPp does no ICE): the call gets its checks, media, the final re-INVITE with
// a=remote-candidates (SIPp checks it with a regexp) and BYE. The other answers with draft-6
// candidates only, which this engine cannot check: it says so and hangs up.

const dir = mkdtempSync(path.join(os.tmpdir(), 'mediapath-call-sipp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withSipp<T>(sipp: SippProcess, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    const r = await sipp.stop();
    if (e instanceof Error) e.message = `${e.message}\nsipp exit ${r.code}\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
    throw e;
  } finally {
    await sipp.stop();
  }
}

/** Hands the test the call's ICE agent: SIPp's media engine would learn its password from the SDP,
 * but the Timeline's copy of the INVITE has it redacted. */
class CallerEndpoint extends Endpoint {
  agent: IceAgent | undefined;
  override createAgent(role: 'controlling' | 'controlled'): IceAgent {
    this.agent = super.createAgent(role);
    return this.agent;
  }
}

function caller(net: NodeNet, clock: RealClock, port: number, timeline: Timeline, dialect: 'v19' | 'multipart-draft6'): CallerEndpoint {
  return new CallerEndpoint({
    net,
    clock,
    random: new CryptoRandom(),
    sink: timelineSink(timeline),
    account: { aor: 'sip:alice@lab.test', password: 'alice-pw' },
    registrar: { address: '127.0.0.1', port },
    transport: 'udp',
    sipLocal: { ip: '127.0.0.1' },
    registerExpires: 600,
    dialect,
    ice: { strategy: 'lync', interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] } },
    media: { codec: 'PCMU', rtcpIntervalMs: 1000, delaySource: 'probe' },
  });
}

describe('a call to SIPp UAS', () => {
  it('v19 answer: checks with the ICE agent behind SIPp, media, final re-INVITE with a=remote-candidates, BYE', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const scheduler = new PacingScheduler({ clock });
    // The far end's ICE and media, which SIPp's SDP announces.
    const far = new IceAgent({ net, clock, random: new CryptoRandom(), profile: lyncIce2Profile, role: 'controlled', strategy: 'lync', interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] }, policy: 'host-only' });
    await far.gather();
    const cand = far.localCandidates[0]!;
    const inf = path.join(dir, 'v19.csv');
    writeFileSync(inf, `SEQUENTIAL\n${Array(4).fill(`${far.local.ufrag};${far.local.pwd};${cand.address.ip};${cand.address.port};`).join('\n')}\n`);
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'call-uas-v19.xml'), '-inf', inf, '-i', '127.0.0.1', '-p', String(port), '-m', '3'], 40);
    const farMedia = new MediaSession({ clock, random: new CryptoRandom(), scheduler, rtp: iceMediaPath(far, 1), rtcpIntervalMs: 1000, delaySource: 'probe' });
    const follow = followIcePath(far, farMedia, 1);
    const timeline = Timeline.start(clock, { toolVersion: 'test' });
    const ep = caller(net, clock, port, timeline, 'v19');
    // When the INVITE leaves, the far agent learns the offer, as SIPp's media engine would.
    let invite = '';
    const sub = timeline.subscribe((e) => {
      if (e.type !== 'sip.sent' || !/^INVITE /.test(String(e['text'])) || far.state !== 'gathered' || !ep.agent) return;
      invite = String(e['text']);
      far.setRemote({ ufrag: ep.agent.local.ufrag, pwd: ep.agent.local.pwd, candidates: ep.agent.localCandidates.map(remoteInputOf) });
      far.start();
      farMedia.start();
    });
    try {
      await withSipp(sipp, async () => {
        await waitForSippPort('127.0.0.1', port, 'udp');
        const ready = await ep.start();
        expect(ready.noRelayReason).toMatch(/no mrasUri/);
        const outcome = await new OutgoingCall(ep, { target: 'sip:bob@lab.test', durationMs: 2500 }).run();
        expect(outcome, JSON.stringify(outcome.error)).toMatchObject({ ok: true, end: 'local-bye', reinvites: 1, mediaReceived: true });
        expect(outcome.finalPath?.remote).toMatchObject({ type: 'host', address: cand.address.ip, port: cand.address.port });
        await ep.close();
        const r = await sipp.done;
        expect(r.code, `sipp exit ${r.code}\n${r.stdout.slice(-3000)}`).toBe(0);
      });
    } finally {
      await ep.close();
      sub.dispose();
      follow.dispose();
      farMedia.close();
      await far.close();
      scheduler.close();
    }
    // What the Timeline keeps of the offer: the candidates, never the ICE password.
    expect(invite).toMatch(/^a=ice-pwd:/m);
    expect(invite).not.toContain(ep.agent!.local.pwd);
    for (const c of ep.agent!.localCandidates) expect(invite).toContain(` ${c.address.ip} ${c.address.port} typ ${c.type}`);
    const report = reportFromTimeline(timeline);
    expect(report.phases.map((p) => `${p.name}:${p.state}`)).toEqual(['registration:done', 'mras:skipped', 'gathering:done', 'checks:done', 'media:done']);
    expect(report.diagnoses.map((d) => d.id)).toEqual(['no-mras-uri']);
    expect(report.finalPath?.pathKind).toBe('host');
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('draft-6 answer: the SDP is unusable for v19 checks, the call ends with a BYE and says why', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'call-uas-draft6.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '3'], 40);
    const timeline = Timeline.start(clock, { toolVersion: 'test' });
    const ep = caller(net, clock, port, timeline, 'multipart-draft6');
    try {
      await withSipp(sipp, async () => {
        await waitForSippPort('127.0.0.1', port, 'udp');
        await ep.start();
        const outcome = await new OutgoingCall(ep, { target: 'sip:bob@lab.test', durationMs: 2000 }).run();
        expect(outcome).toMatchObject({ ok: false, end: 'local-bye', error: { code: 'SDP_NEGOTIATION_FAILED', message: expect.stringContaining('draft-6') } });
        await ep.close();
        const r = await sipp.done;
        expect(r.code, `sipp exit ${r.code}\n${r.stdout.slice(-3000)}`).toBe(0);
      });
    } finally {
      await ep.close();
    }
    const unusable = timeline.events.filter((e) => e.type === 'sdp.unusable').map((e) => e['where']);
    expect(unusable).toEqual(['183 Session Progress', '200 OK']);
    const report = reportFromTimeline(timeline);
    expect(report.verdict).toBe('error');
    expect(report.phases.find((p) => p.name === 'checks')).toMatchObject({ ok: false, detail: expect.stringContaining('SDP_NEGOTIATION_FAILED') });
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
