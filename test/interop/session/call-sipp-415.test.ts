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
import { farEnd, sippCaller, withSipp } from '../../support/sipp-call';

// Our Lync-style caller (multipart/alternative offer, draft-6 fallback part first, v19 last)
// against SIPp (Debian sip-tester) as a peer that takes one SDP only: SIPp refuses the multipart
// INVITE with 415 and Accept: application/sdp, checks with regexps that the retry in the same call
// carries a single application/sdp body with ICE, and answers it with a v19 SDP whose ICE agent is
// this test's. The call then runs as against the v19 UAS: checks, media, final re-INVITE, BYE, and
// the QoE report answered 202.

const dir = mkdtempSync(path.join(os.tmpdir(), 'mediapath-call-sipp-415-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = (text: string, name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(text.slice(0, text.indexOf('\r\n\r\n')))?.[1]?.trim();

describe('a call to a SIPp UAS that refuses multipart with 415', () => {
  it('retries in the same call with one application/sdp part, and the call is answered and carries media', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const scheduler = new PacingScheduler({ clock });
    const far = await farEnd(net, clock, scheduler);
    const inf = path.join(dir, 'v19.csv');
    far.writeInjection(inf);
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    // Calls (Call-IDs) SIPp sees: REGISTER, SUBSCRIBE, INVITE (both attempts), SERVICE.
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'call-uas-415-v19.xml'), '-inf', inf, '-i', '127.0.0.1', '-p', String(port), '-m', '4'], 40);
    const timeline = Timeline.start(clock, { toolVersion: 'test' });
    const ep = sippCaller(net, clock, port, timeline, 'multipart-draft6');
    // The far agent starts on the INVITE SIPp answers: the single-part one.
    const seen = far.watch(timeline, ep, (t) => /^Content-Type:\s*application\/sdp/im.test(t) && !header(t, 'To')?.includes('tag='));
    try {
      await withSipp(sipp, async () => {
        await waitForSippPort('127.0.0.1', port, 'udp');
        await ep.start();
        const outcome = await new OutgoingCall(ep, { target: 'sip:bob@lab.test', durationMs: 2500 }).run();
        expect(outcome, JSON.stringify(outcome.error)).toMatchObject({ ok: true, end: 'local-bye', reinvites: 1, mediaReceived: true });
        await ep.close();
        const r = await sipp.done;
        expect(r.code, `sipp exit ${r.code}\n${r.stdout.slice(-3000)}`).toBe(0);
      });
    } finally {
      await ep.close();
      await far.close();
      scheduler.close();
    }
    // What went out: the multipart INVITE, then in the same call a single-part one (CSeq up).
    const initial = seen.invites.filter((t) => !header(t, 'To')?.includes('tag='));
    expect(initial.map((t) => header(t, 'Content-Type')!.split(';')[0])).toEqual(['multipart/alternative', 'application/sdp']);
    expect(header(initial[1]!, 'Call-ID')).toBe(header(initial[0]!, 'Call-ID'));
    expect(Number(header(initial[1]!, 'CSeq')!.split(' ')[0])).toBe(Number(header(initial[0]!, 'CSeq')!.split(' ')[0]) + 1);
    expect(initial[1]!).not.toMatch(/ms-proxy-2007fallback|^--/m);
    const states = timeline.events.filter((e) => e.type === 'session.state').map((e) => e['to']);
    expect(states).toContain('answered');
    expect(timeline.events.filter((e) => e.type === 'call.offer-retry')).toEqual([
      expect.objectContaining({ status: 415, accept: ['application/sdp'], from: 'multipart-draft6', to: 'v19', contentType: 'application/sdp' }),
    ]);
    // SIPp took the QoE report (its regexps checked the content type and the root element).
    expect(timeline.events.filter((e) => e.type === 'qoe.sent')).toEqual([expect.objectContaining({ status: 202 })]);
    const report = reportFromTimeline(timeline);
    expect(report.phases.map((p) => `${p.name}:${p.state}`)).toEqual(['registration:done', 'mras:skipped', 'gathering:done', 'checks:done', 'media:done']);
    expect(report.finalPath?.pathKind).toBe('host');
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
