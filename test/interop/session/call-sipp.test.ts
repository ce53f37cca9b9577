import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { PacingScheduler } from '../../../main/media/stream';
import { NodeNet } from '../../../main/net/node/node-net';
import { reportFromTimeline } from '../../../main/report';
import { OutgoingCall } from '../../../main/session/call';
import { Timeline } from '../../../main/session/timeline';
import { pickFreePort } from '../../support/ports';
import { SIPP_FIXTURES, SippProcess, waitForSippPort } from '../../support/sipp';
import { farEnd, sippCaller as caller, withSipp } from '../../support/sipp-call';

// Our caller against SIPp (Debian sip-tester) as the far end of the whole Lync sequence: REGISTER,
// provisioning SUBSCRIBE (no mrasUri: host candidates only), INVITE answered with 183 and 200.
// One UAS answers with a single v19 SDP whose ICE credentials and candidate belong to an ICE agent
// of this test (SIPp does no ICE): the call gets its checks, media, the final re-INVITE with
// a=remote-candidates (SIPp checks it with a regexp), BYE and the QoE report. The other answers with draft-6
// candidates only, which this engine cannot check: it says so and hangs up.

const dir = mkdtempSync(path.join(os.tmpdir(), 'mediapath-call-sipp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a call to SIPp UAS', () => {
  it('v19 answer: checks with the ICE agent behind SIPp, media, final re-INVITE with a=remote-candidates, BYE', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const scheduler = new PacingScheduler({ clock });
    // The far end's ICE and media, which SIPp's SDP announces.
    const far = await farEnd(net, clock, scheduler);
    const cand = far.agent.localCandidates[0]!;
    const inf = path.join(dir, 'v19.csv');
    far.writeInjection(inf);
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    // Calls (Call-IDs) SIPp sees: REGISTER, SUBSCRIBE, INVITE, the QoE SERVICE.
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'call-uas-v19.xml'), '-inf', inf, '-i', '127.0.0.1', '-p', String(port), '-m', '4'], 40);
    const timeline = Timeline.start(clock, { toolVersion: 'test' });
    const ep = caller(net, clock, port, timeline, 'v19');
    const seen = far.watch(timeline, ep);
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
      await far.close();
      scheduler.close();
    }
    const invite = seen.invites[0] ?? '';
    // SIPp took the QoE report (its regexps checked the content type and the root element).
    expect(timeline.events.filter((e) => e.type === 'qoe.sent')).toEqual([expect.objectContaining({ status: 202 })]);
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
