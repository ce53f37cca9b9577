import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor, reportFromTimeline, reportSchema, type Report } from '../../../main/report';
import { MICROSOFT_EDGE_EDGE, userProfile } from '../../../main/session/thresholds';
import { formatTimelineLoadError, parseTimelineJsonl, type AnyEvent } from '../../../main/session/timeline';
import { callTimeline, iceScenarioTimeline, mediaStats, newTimeline } from '../../fixtures/timeline/build';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'timeline');

function loadFixture(name: string) {
  const r = parseTimelineJsonl(readFileSync(path.join(FIXTURES, name), 'utf8'), name);
  if (!r.ok) throw new Error(formatTimelineLoadError(r.error));
  return r.value;
}

function golden(name: string): Report {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Report;
}

function timelineOf(...events: AnyEvent[]) {
  const t = newTimeline();
  for (const e of events) t.append(e);
  return t;
}

describe('the JSON report', () => {
  it('of a saved call equals its saved report (schema v1 is stable)', () => {
    const r = reportFromTimeline(loadFixture('promotion-call.jsonl'));
    expect(r).toEqual(golden('promotion-call.report.json'));
    expect(reportSchema.safeParse(r).success).toBe(true);
  });

  it('is identical for a run in memory and the same run saved and loaded again', async () => {
    for (const t of [callTimeline(), await iceScenarioTimeline('udp-blocked'), await iceScenarioTimeline('consent-loss', 'callee')]) {
      const loaded = parseTimelineJsonl(t.toJsonl());
      if (!loaded.ok) throw new Error(formatTimelineLoadError(loaded.error));
      expect(JSON.stringify(reportFromTimeline(loaded.value))).toBe(JSON.stringify(reportFromTimeline(t)));
    }
  });

  it('a saved lab run still loads and reports the same: udp-blocked ⇒ relay over TCP, relay-one-transport, no media (error, exit 2)', () => {
    const r = reportFromTimeline(loadFixture('lab-udp-blocked-caller.jsonl'));
    expect(r).toEqual(golden('lab-udp-blocked-caller.report.json'));
    expect(r.finalPath).toMatchObject({ pathKind: 'relay', local: 'relay' });
    expect(r.candidates.local.find((c) => c.type === 'relay')?.relayProtocol).toBe('tcp');
    expect(r.diagnoses.map((d) => d.id)).toEqual(['relay-one-transport']);
    expect(r).toMatchObject({ verdict: 'error', exitCode: 2, verdictReason: 'no media was measured' });
    expect(r.phases.map((p) => [p.name, p.ok])).toEqual([
      ['gathering', true],
      ['checks', true],
    ]);
  });

  it('has the fields the issue names, with figures per epoch', () => {
    const r = reportFromTimeline(callTimeline());
    expect(r.phases.map((p) => p.name)).toEqual(['registration', 'mras', 'gathering', 'checks', 'media']);
    expect(r.phases.every((p) => p.ok && typeof p.ms === 'number')).toBe(true);
    expect(r.registration).toMatchObject({ ok: true, aor: 'sip:alice@lab.test', ms: 20 });
    expect(r.mras).toMatchObject({ ok: true, relays: [{ host: 'av.lab.test', udpPort: 3478, tcpPort: 443 }], validForMs: 8 * 3600_000 });
    expect(r.candidates.local.map((c) => c.type)).toEqual(['host', 'srflx', 'relay', 'relay']);
    expect(r.candidates.remote.map((c) => c.type)).toEqual(['host', 'relay']);
    expect(r.pathChanges.map((p) => [p.atMs, p.reason, p.pathKind])).toEqual([
      [300, 'first-success', 'relay'],
      [7000, 'higher-priority-succeeded', 'host'],
    ]);
    expect(r.epochs.map((e) => [e.pathKind, e.durationMs, e.verdict])).toEqual([
      ['relay', 6700, 'fail'],
      ['host', 8000, 'pass'],
    ]);
    expect(r.epochs[0]!.lossPct).toBeCloseTo((100 * 4) / 335, 9);
    expect(r.epochs[0]).toMatchObject({ jitterMs: 6, rttMs: 80, mosMin: 3.9, oneWayMs: null });
    expect(r.diagnoses.map((d) => d.id)).toEqual(['path-unsettled']);
    expect(r).toMatchObject({ verdict: 'fail', exitCode: 1 });
    expect(r.verdictReason).toMatch(/^epoch 1 \(relay\/udp\(udp\) 203\.0\.113\.10:49152 → relay\/udp 203\.0\.113\.10:49160\): packet loss 1\.19% \(limit < 1%, any 15 s\)$/);
  });

  it('takes the thresholds profile it is given', () => {
    const t = callTimeline();
    const strict = reportFromTimeline(t, { profile: MICROSOFT_EDGE_EDGE });
    expect(strict.thresholds.profile).toBe('microsoft-edge-edge');
    expect(strict.epochs.map((e) => e.verdict)).toEqual(['fail', 'pass']);
    const lenient = reportFromTimeline(t, { profile: userProfile('lenient', { lossPct: { max: 5 } }) });
    expect(lenient).toMatchObject({ verdict: 'pass', exitCode: 0 });
  });

  it('is an error when a phase failed or never finished, whatever the media said', () => {
    const failed = reportFromTimeline(
      timelineOf(
        { type: 'phase', at: 0, name: 'registration', state: 'running' },
        { type: 'registration', at: 30, state: 'failed', registrar: '127.0.0.1:5060', aor: 'sip:alice@lab.test', error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden' } },
        { type: 'phase', at: 30, name: 'registration', state: 'failed', detail: 'SIP_AUTH_FAILED: 403 Forbidden' },
      ),
    );
    expect(failed).toMatchObject({ verdict: 'error', exitCode: 2, verdictReason: 'phase registration failed: SIP_AUTH_FAILED: 403 Forbidden' });
    expect(failed.registration).toEqual({ ok: false, aor: 'sip:alice@lab.test', registrar: '127.0.0.1:5060', error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden' } });
    const unfinished = reportFromTimeline(timelineOf({ type: 'phase', at: 0, name: 'checks', state: 'running' }, mediaStats({ at: 1000 }), mediaStats({ at: 2000 })));
    expect(unfinished).toMatchObject({ verdict: 'error', verdictReason: 'phase checks did not finish: did not finish' });
    expect(unfinished.phases[0]).toMatchObject({ name: 'checks', ok: false, state: 'running', ms: 2000 });
  });

  it('an MRAS phase skipped is not a failure', () => {
    const r = reportFromTimeline(timelineOf({ type: 'phase', at: 0, name: 'mras', state: 'skipped', detail: 'no mrasUri' }, mediaStats({ at: 1000 })));
    expect(r.phases[0]).toMatchObject({ ok: true, state: 'skipped' });
    expect(r.verdict).toBe('pass');
    expect(r.diagnoses.map((d) => d.id)).toEqual(['no-mras-uri']);
  });

  it('works out phases from protocol events when none were announced', () => {
    const r = reportFromTimeline(
      timelineOf(
        { type: 'registration', at: 0, from: 'unregistered', to: 'registering', reason: 'register', aor: 'sip:a@lab.test' },
        { type: 'registration', at: 25, from: 'registering', to: 'registered', reason: '200', aor: 'sip:a@lab.test', expires: 600 },
        { type: 'mras.state', at: 30, from: 'idle', to: 'requesting', reason: 'get' },
        { type: 'mras.failed', at: 8030, error: { code: 'MRAS_TIMEOUT', message: 'no answer' }, renewal: false },
      ),
    );
    expect(r.phases).toEqual([
      { name: 'registration', ok: true, ms: 25, state: 'done', startMs: 0 },
      { name: 'mras', ok: false, ms: 8000, state: 'failed', startMs: 30, detail: 'MRAS_TIMEOUT: no answer' },
    ]);
    expect(r.mras).toMatchObject({ ok: false, error: { code: 'MRAS_TIMEOUT' } });
    expect(r.diagnoses.map((d) => d.id)).toEqual(['mras-failed']);
    expect(r.verdict).toBe('error');
  });

  it('maps verdicts to exit codes: 0 pass, 1 thresholds failed, 2 could not run', () => {
    expect(EXIT_CODES).toEqual({ pass: 0, fail: 1, error: 2 });
    expect([exitCodeFor('pass'), exitCodeFor('fail'), exitCodeFor('error')]).toEqual([0, 1, 2]);
  });
});
