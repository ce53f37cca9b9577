import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { startVirtualLab, type CallScenarioName, type VirtualLabOptions } from '../../../main/lab/call-lab';
import { PacingScheduler } from '../../../main/media/stream';
import { reportFromTimeline } from '../../../main/report';
import { runTwoPartyCall, type TwoPartyCallOptions } from '../../../main/session/call-run';

// What goes wrong, on the virtual network in fake time: the Edge's MRAS never answers or refuses,
// the callee does not exist, a wrong password. Each run says it in its phases, its outcome and
// its diagnoses, and leaves nothing running. Nothing secret ends up in a Timeline.

async function call(name: CallScenarioName, lab: VirtualLabOptions = {}, extra: Partial<TwoPartyCallOptions> = {}) {
  const world = await startVirtualLab(name, { seed: 2, ...lab });
  const scheduler = new PacingScheduler({ clock: world.clock });
  const random = new SeededRandom(2);
  const result = await runTwoPartyCall(world, {
    strategy: 'lync',
    dialect: 'v19',
    codec: 'PCMU',
    random: { caller: random.fork(), callee: random.fork() },
    toolVersion: 'test',
    title: `failure ${name}`,
    scheduler,
    ...extra,
  });
  scheduler.close();
  await world.close();
  expect(world.leftovers()).toEqual({ timers: 0, openResources: 0 });
  return { world, result, report: reportFromTimeline(result.caller.timeline) };
}

describe('calls that go wrong', () => {
  it('MRAS never answers: the phase fails, the call goes host-only, mras-failed says why', async () => {
    const { result, report } = await call('inside-inside', { registrarKnobs: { mrasSilent: true } });
    expect(report.phases.find((p) => p.name === 'mras')).toMatchObject({ ok: false, state: 'failed', detail: expect.stringMatching(/MRAS_TIMEOUT|SIP_TIMEOUT/) });
    expect(report.candidates.local.map((c) => c.type)).toEqual(['host']);
    expect(report.finalPath?.pathKind).toBe('host');
    expect(result.caller.outcome).toMatchObject({ ok: true, mediaReceived: true });
    expect(report.diagnoses.map((d) => d.id)).toEqual(['mras-failed']);
    // A phase that failed makes the run one that could not be judged as asked (exit code 2).
    expect(report.verdict).toBe('error');
  });

  it('MRAS refuses ("Request Malformed"): MRAS_FAILED with the server\'s words', async () => {
    const { report } = await call('inside-inside', { registrarKnobs: { mrasError: 'Request Malformed' } });
    expect(report.mras).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED', message: expect.stringContaining('Request Malformed') } });
    expect(report.diagnoses.map((d) => d.id)).toEqual(['mras-failed']);
  });

  it('a callee that does not exist: 404 ends the call before any check', async () => {
    const { result, report } = await call('inside-inside', {}, { target: 'sip:carol@lab.test', timings: { answerTimeoutMs: 5000 } });
    expect(result.caller.outcome).toMatchObject({ ok: false, end: 'rejected', error: { code: 'SIP_REJECTED', response: { code: 404 } } });
    expect(report.phases.find((p) => p.name === 'checks')).toMatchObject({ ok: false, detail: expect.stringContaining('404') });
    expect(report.verdict).toBe('error');
    expect(result.callee.error?.code).toBe('SIP_TIMEOUT');
  });

  it('a wrong password: registration fails, no call is made', async () => {
    const world = await startVirtualLab('inside-inside', { seed: 3 });
    const bad = { ...world, caller: { ...world.caller, password: 'wrong' } };
    const scheduler = new PacingScheduler({ clock: world.clock });
    const random = new SeededRandom(3);
    const result = await runTwoPartyCall(bad, { strategy: 'lync', dialect: 'v19', codec: 'PCMU', random: { caller: random.fork(), callee: random.fork() }, toolVersion: 'test', title: 'bad password', scheduler });
    scheduler.close();
    await world.close();
    expect(result.caller.error?.code).toBe('SIP_AUTH_FAILED');
    expect(result.caller.outcome).toBeUndefined();
    const report = reportFromTimeline(result.caller.timeline);
    expect(report.phases).toEqual([expect.objectContaining({ name: 'registration', ok: false })]);
    expect(report.exitCode).toBe(2);
    expect(world.leftovers()).toEqual({ timers: 0, openResources: 0 });
  });

  it('no password, MRAS credential or ICE password is in either Timeline', async () => {
    const { result } = await call('symmetric');
    for (const side of [result.caller, result.callee]) {
      const text = side.timeline.toJsonl();
      expect(text).not.toMatch(/alice-lab-pw|bob-lab-pw/);
      expect(text).not.toMatch(/"password"\s*:/);
      if (side === result.caller) expect(text).toMatch(/<password>«/);
      expect(text).not.toMatch(/<password>[^<«]/);
      // The SIP ladder keeps every message, with the secrets redacted in place.
      expect(text).toMatch(/a=ice-pwd:«/);
      expect(text).not.toMatch(/a=ice-pwd:(?!«)/);
    }
  });
});
