import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { expectationMet } from '../../../main/headless/commands/demo';
import { concludeRun } from '../../../main/headless/commands/call-output';
import { CALL_EXPECTATIONS, CALL_SCENARIOS, startVirtualLab, type CallScenarioName } from '../../../main/lab/call-lab';
import { PacingScheduler } from '../../../main/media/stream';
import { reportFromTimeline } from '../../../main/report';
import { thresholdsEntry } from '../../../main/session/call-events';
import { runTwoPartyCall } from '../../../main/session/call-run';
import { DEFAULT_PROFILE } from '../../../main/session/thresholds';
import { parseTimelineJsonl } from '../../../main/session/timeline';

// Whole calls on the virtual network, one per field scenario (PROTOCOLS.md §7): SIP through the
// lab registrar, provisioning and MRAS, gathering with the relay MRAS returned, checks, early
// media, promotion, the final re-INVITE, media per path epoch, BYE. The caller's report must end on
// the path the field expects, with the diagnoses the rules give, and nothing may be left running.

async function call(name: CallScenarioName, opts: { seed?: number; strategy?: 'lync' | 'rfc8445'; dialect?: 'v19' | 'multipart-draft6' } = {}) {
  const seed = opts.seed ?? 1;
  const world = await startVirtualLab(name, { seed });
  const scheduler = new PacingScheduler({ clock: world.clock });
  const random = new SeededRandom(seed);
  const result = await runTwoPartyCall(world, {
    strategy: opts.strategy ?? 'lync',
    dialect: opts.dialect ?? 'multipart-draft6',
    codec: 'PCMU',
    random: { caller: random.fork(), callee: random.fork() },
    toolVersion: 'test',
    title: `sim ${name}`,
    meta: { scenario: name },
    preamble: [thresholdsEntry(0, DEFAULT_PROFILE)],
    scheduler,
  });
  scheduler.close();
  await world.close();
  const report = concludeRun(result.caller.timeline, DEFAULT_PROFILE);
  return { world, result, report };
}

describe('calls through the lab on the virtual network', () => {
  for (const name of CALL_SCENARIOS) {
    it(`${name}: final path and diagnoses as the field expects`, async () => {
      const { world, result, report } = await call(name);
      const exp = CALL_EXPECTATIONS[name];
      expect(expectationMet(world, report), JSON.stringify({ finalPath: report.finalPath, diagnoses: report.diagnoses.map((d) => d.id), changes: report.pathChanges })).toMatchObject({ ok: true });
      expect(world.leftovers()).toEqual({ timers: 0, openResources: 0 });
      // The phases, in order, each announced by the session.
      expect(report.phases.map((p) => p.name)).toEqual(['registration', 'mras', 'gathering', 'checks', 'media']);
      expect(report.registration?.ok).toBe(true);
      if (exp.path === null) {
        expect(report.verdict).toBe('error');
        expect(result.caller.outcome?.error?.code).toBe('ICE_CHECK_FAILED');
        return;
      }
      expect(report.mras?.ok).toBe(true);
      expect(result.caller.outcome).toMatchObject({ ok: true, end: 'local-bye', mediaReceived: true });
      expect(result.callee.outcome).toMatchObject({ ok: true, end: 'remote-bye', mediaReceived: true });
      // The final offer went out once checks settled (one more after consent loss moved the path).
      expect(result.caller.outcome!.reinvites).toBe(name === 'consent-loss' ? 2 : 1);
      // Every epoch with a path has media figures; the last is the final path's.
      const epochs = report.epochs.filter((e) => e.path !== null && e.packetsExpected > 0);
      expect(epochs.length).toBeGreaterThan(0);
      expect(epochs[epochs.length - 1]!.pathKind).toBe(exp.path);
      // The callee's Timeline tells the same story from its side.
      const callee = reportFromTimeline(result.callee.timeline);
      expect(callee.phases.every((p) => p.ok)).toBe(true);
      expect(callee.finalPath?.pathKind).toBe(exp.path);
    });
  }

  it('promotion: early media on the relay before the answer, the host path after it, and the final re-INVITE names the host pair', async () => {
    const { result, report } = await call('promotion');
    const events = result.caller.timeline.events;
    const answered = events.find((e) => e.type === 'call.state' && e['to'] === 'confirmed')!;
    const [first, promoted] = report.pathChanges;
    expect(first).toMatchObject({ reason: 'first-success', pathKind: 'relay' });
    expect(promoted).toMatchObject({ reason: 'higher-priority-succeeded', pathKind: 'host' });
    expect(first!.atMs).toBeLessThan(answered.at - result.caller.timeline.header.originAt);
    expect(promoted!.atMs).toBeGreaterThan(answered.at - result.caller.timeline.header.originAt);
    const reinvite = events.find((e) => e.type === 'call.reinvite')!;
    expect(reinvite['status']).toBe(200);
    expect(String((reinvite['pairs'] as string[])[0])).toMatch(/^host\/udp .* → host\/udp /);
    // The re-INVITE carried only the chosen candidate and a=remote-candidates (the first INVITE
    // went twice: the proxy asks for digest credentials with a 407).
    const sent = events.filter((e) => e.type === 'sip.sent' && /^INVITE /.test(String(e['text'])));
    expect(sent).toHaveLength(3);
    const body = String(sent[2]!['text']);
    // One v19 line (and, in the multipart body, the same address in the draft-6 part).
    expect(body.match(/^a=candidate:.* typ .*$/gm)).toEqual([expect.stringMatching(/^a=candidate:\S+ 1 UDP \d+ 10\.1\.0\.11 \d+ typ host\r?$/)]);
    expect(body.match(/^a=candidate:/gm)).toHaveLength(2);
    expect(body).toMatch(/^a=remote-candidates:1 10\.1\.0\.12 \d+\r?$/m);
    // Both epochs measured: relay, then host.
    expect(report.epochs.filter((e) => e.packetsExpected > 0).map((e) => e.pathKind)).toEqual(['relay', 'host']);
  });

  it('the first INVITE is multipart with the draft-6 part first and the v19 part last; v19 alone when asked', async () => {
    const multi = await call('inside-inside', { dialect: 'multipart-draft6' });
    const invite = multi.result.caller.timeline.events.find((e) => e.type === 'sip.sent' && /^INVITE /.test(String(e['text'])))!;
    const text = String(invite['text']);
    expect(text).toMatch(/^Content-Type: multipart\/alternative;boundary="[^"]+"/m);
    const fallback = text.indexOf('ms-proxy-2007fallback');
    const v19 = text.search(/a=candidate:\S+ 1 UDP \d+ \S+ \d+ typ host/);
    expect(fallback).toBeGreaterThan(0);
    expect(v19).toBeGreaterThan(fallback);
    const single = await call('inside-inside', { dialect: 'v19' });
    const plain = String(single.result.caller.timeline.events.find((e) => e.type === 'sip.sent' && /^INVITE /.test(String(e['text'])))!['text']);
    expect(plain).toMatch(/^Content-Type: application\/sdp/m);
    expect(single.report.finalPath?.pathKind).toBe('host');
  });

  it.each(['inside-outside', 'symmetric', 'udp-blocked'] as const)('%s with the RFC 8445 strategy ends on the same path', async (name) => {
    const { report } = await call(name, { strategy: 'rfc8445' });
    expect(report.finalPath?.pathKind).toBe(CALL_EXPECTATIONS[name].path);
  });

  it('a run repeats exactly for a seed, and the saved Timeline gives the same report', async () => {
    const a = await call('inside-outside', { seed: 3 });
    const b = await call('inside-outside', { seed: 3 });
    expect(b.result.caller.timeline.toJsonl()).toBe(a.result.caller.timeline.toJsonl());
    const loaded = parseTimelineJsonl(a.result.caller.timeline.toJsonl());
    expect(loaded.ok).toBe(true);
    expect(reportFromTimeline(loaded.ok ? loaded.value : a.result.caller.timeline)).toEqual(a.report);
  });
});
