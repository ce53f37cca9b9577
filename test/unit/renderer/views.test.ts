import { createElement, type FunctionComponent } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { engineEventSchema, type EngineEvent } from '../../../main/api';
import { ApiServer } from '../../../main/serve/api-server';
import { MemorySettingsStore } from '../../../main/serve/settings-store';
import { CandidatesView } from '../../../renderer/views/candidates-view';
import { ChartsView } from '../../../renderer/views/charts-view';
import { ChecksView } from '../../../renderer/views/checks-view';
import { MrasView } from '../../../renderer/views/mras-view';
import { PathTimelineView } from '../../../renderer/views/path-timeline-view';
import { PhaseStrip } from '../../../renderer/views/phase-strip';
import { RegistrationView } from '../../../renderer/views/registration-view';
import { SipLadderView } from '../../../renderer/views/sip-ladder-view';
import { VerdictView } from '../../../renderer/views/verdict-view';
import { FULL_CALL } from './fixtures';

type ViewProps = { events: readonly EngineEvent[] };
const html = (view: FunctionComponent<ViewProps>, events: readonly EngineEvent[]): string => renderToString(createElement(view, { events }));
/** Visible text only, entities decoded enough for the assertions. */
const text = (s: string): string => s.replace(/<!-- -->/g, '').replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');

const VIEWS: ReadonlyArray<[string, FunctionComponent<ViewProps>, RegExp]> = [
  ['registration', RegistrationView, /Not registered — no registration events yet/],
  ['mras', MrasView, /No MRAS credentials yet/],
  ['candidates', CandidatesView, /No candidates yet/],
  ['checks', ChecksView, /No connectivity checks yet/],
  ['path', PathTimelineView, /No path yet/],
  ['charts', ChartsView, /No media figures yet/],
  ['sip', SipLadderView, /No SIP messages yet/],
  ['verdict', VerdictView, /No verdict yet/],
];

describe('views with no events', () => {
  it.each(VIEWS)('%s says what will come', (_name, view, empty) => {
    expect(text(html(view, []))).toMatch(empty);
  });
});

describe('views from a full call fixture', () => {
  it('the fixture is valid Timeline data', () => {
    for (const e of FULL_CALL) expect(engineEventSchema.safeParse(e).success, e.type).toBe(true);
  });

  it('registration: state, registrar, expiry', () => {
    const t = text(html(RegistrationView, FULL_CALL));
    expect(t).toMatch(/registered/);
    expect(t).toMatch(/192\.0\.2\.5:5060/);
    expect(t).toMatch(/sip:alice@lab\.test/);
    expect(t).toMatch(/\d+ s left of 3600 s/);
  });

  it('registration: an error in plain words', () => {
    const failed: EngineEvent[] = [{ type: 'registration', at: 0, state: 'failed', registrar: 'lab.test:5061', error: { code: 'SIP_AUTH_FAILED', message: '403 Forbidden' } }];
    expect(text(html(RegistrationView, failed))).toMatch(/refused the user name or password.*SIP_AUTH_FAILED/);
  });

  it('MRAS: user name, masked password, relays, lifetime', () => {
    const t = text(html(MrasView, FULL_CALL));
    expect(t).toMatch(/1767254400:alice/);
    expect(t).toMatch(/••••••••/);
    expect(t).not.toMatch(/redacted/);
    expect(t).toMatch(/edge\.lab\.test 3478 443 internal/);
    expect(t).toMatch(/of 480 min/);
    const failed: EngineEvent[] = [{ type: 'mras.failed', at: 0, error: { code: 'MRAS_TIMEOUT', message: 'no answer to SERVICE' }, reason: 'no answer' }];
    expect(text(html(MrasView, failed))).toMatch(/MRAS gave no relay credentials.*MRAS_TIMEOUT/);
  });

  it('candidates: both tables, relay transport, gathering steps with failures', () => {
    const s = html(CandidatesView, FULL_CALL);
    const t = text(s);
    expect(t).toMatch(/Local candidates \(3\)/);
    expect(t).toMatch(/Remote candidates \(2\)/);
    expect(s.match(/data-type="relay"/g)?.length).toBe(3);
    expect(t).toMatch(/tcp to 203\.0\.113\.10:443/);
    expect(t).toMatch(/failed srflx from 203\.0\.113\.10:3478 over udp .* no answer within 100 ms/);
    expect(t).toMatch(/done in 100 ms/);
  });

  it('checks: one row per pair, latest state, RTT, nominated', () => {
    const t = text(html(ChecksView, FULL_CALL));
    expect(t).toMatch(/2 of 2 pairs/);
    expect(t).toMatch(/host\/udp 10\.1\.0\.11:50000 → host\/udp 10\.1\.0\.12:50002 succeeded 3\.0 ms yes yes/);
    expect(t).toMatch(/relay\/udp via udp 203\.0\.113\.10:49152 .* succeeded 42\.0 ms yes/);
  });

  it('path timeline: each change with its reason, the current one marked', () => {
    const s = html(PathTimelineView, FULL_CALL);
    const t = text(s);
    expect(t).toMatch(/first-success/);
    expect(t).toMatch(/higher-priority-succeeded a better pair succeeded \(promotion\)/);
    expect(t).toMatch(/host host\/udp 10\.1\.0\.11:50000 .*\(current\)/);
    expect(s.match(/aria-current="true"/g)?.length).toBe(1);
    // The SIP messages sit on the same time axis.
    expect(s).toMatch(/<title>INVITE sip:bob@lab\.test SIP\/2\.0<\/title>/);
  });

  it('charts: one section per epoch and the per-path matrix', () => {
    const s = html(ChartsView, FULL_CALL);
    const t = text(s);
    expect(t).toMatch(/Epoch 0: relay → relay/);
    expect(t).toMatch(/Epoch 1: host → host/);
    expect(t).toMatch(/1 host → host 0\.00 1\.0 3\.5 4\.41 100 \/ 100/);
    expect(s.match(/class="chart"/g)?.length).toBe(8);
  });

  it('SIP ladder: parties, arrows, raw text closed until asked', () => {
    const s = html(SipLadderView, FULL_CALL);
    const t = text(s);
    expect(t).toMatch(/mediapath 192\.0\.2\.5:5060/);
    expect(t).toMatch(/REGISTER sip:lab\.test SIP\/2\.0/);
    expect(t).toMatch(/SIP\/2\.0 183 Session Progress/);
    expect(s.match(/role="listitem"/g)?.length).toBe(4);
    expect(t).toMatch(/Select a message to see its raw text/);
  });

  it('verdict and diagnoses', () => {
    const t = text(html(VerdictView, FULL_CALL));
    expect(t).toMatch(/PASS fit for calls/);
    expect(t).toMatch(/Diagnoses \(1\)/);
    expect(t).toMatch(/\[path-changed\]/);
  });

  it('phase strip: five phases and the path now', () => {
    const t = text(html(PhaseStrip, FULL_CALL));
    expect(t).toMatch(/Registration done MRAS done Gathering done Checks done Media done/);
    expect(t).toMatch(/Path now: host host\/udp 10\.1\.0\.11:50000/);
  });
});

describe('views from a real lab run (promotion, lync)', () => {
  it('shows host and relay candidates both sides, checks, and the promotion', async () => {
    const api = new ApiServer({ version: '0', host: 'test', settings: new MemorySettingsStore() });
    const r = await api.runScenario({ kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    expect(r.ok).toBe(true);
    const run = await api.currentRun();
    const events = run.ok ? run.value.events : [];
    const cands = html(CandidatesView, events);
    const [local, remote] = cands.split('Remote candidates');
    for (const side of [local!, remote!]) {
      expect(side).toMatch(/data-type="host"/);
      expect(side).toMatch(/data-type="relay"/);
    }
    expect(text(html(ChecksView, events))).toMatch(/succeeded/);
    expect(text(html(PathTimelineView, events))).toMatch(/higher-priority-succeeded/);
    expect(text(html(VerdictView, events))).toMatch(/PASS ended on the expected host path/);
    expect(text(html(PhaseStrip, events))).toMatch(/Registration skipped MRAS skipped Gathering done Checks done Media skipped/);
    // What a lab run does not have says so rather than showing nothing.
    expect(text(html(SipLadderView, events))).toMatch(/A lab ICE run has no SIP/);
    expect(text(html(ChartsView, events))).toMatch(/No media figures yet/);
  });
});
