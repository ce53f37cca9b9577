import { describe, expect, it } from 'vitest';
import { noPairSucceeded } from '../../../../main/session/diagnosis/no-pair-succeeded';
import { pathUnsettled } from '../../../../main/session/diagnosis/path-unsettled';
import { relayAddressUnreachable } from '../../../../main/session/diagnosis/relay-address-unreachable';
import { srflxNominated } from '../../../../main/session/diagnosis/srflx-nominated';
import type { AnyEvent } from '../../../../main/session/timeline';
import { cand, iceScenarioTimeline, newTimeline, pair } from '../../../fixtures/timeline/build';
import { run, tl } from './helpers';

const host = cand({ type: 'host', address: '10.1.0.11' });
const relay = cand({ type: 'relay', address: '203.0.113.10', port: 50000, relayProtocol: 'udp', related: ['198.51.100.1', 40000] });
const peerHost = cand({ type: 'host', address: '192.168.2.12', side: 'R' });
const peerSrflx = cand({ type: 'srflx', address: '198.51.100.2', port: 41000, side: 'R' });
const peerRelay = cand({ type: 'relay', address: '203.0.113.99', port: 51000, side: 'R' });

function check(at: number, local: Record<string, unknown>, remote: Record<string, unknown>, from: string, to: string, error?: { code: string; message: string }): AnyEvent {
  return { type: 'check', at, pair: pair(local, remote, { state: to, valid: to === 'succeeded' }), from, to, reason: to === 'failed' ? 'no response' : 'x', ...(error ? { error } : {}) };
}
const stunTimeout = { code: 'STUN_TIMEOUT', message: 'no STUN response after 5750 ms' };

describe('relay-address-unreachable', () => {
  it('fires when every check to the peer\'s relay went unanswered from candidates that work', () => {
    const t = tl(
      check(100, host, peerSrflx, 'waiting', 'in-progress'),
      check(150, host, peerSrflx, 'in-progress', 'succeeded'),
      check(100, host, peerRelay, 'waiting', 'in-progress'),
      check(100, relay, peerRelay, 'waiting', 'in-progress'),
      check(5850, host, peerRelay, 'in-progress', 'failed', stunTimeout),
      check(5850, relay, peerRelay, 'in-progress', 'failed', stunTimeout),
    );
    const d = run(relayAddressUnreachable, t)!;
    expect(d).toMatchObject({ id: 'relay-address-unreachable', severity: 'error', evidence: [3, 4, 5, 6], facts: { relays: 1, attempts: 2 } });
    expect(d.message).toMatch(/^The peer's relay address 203\.0\.113\.99:51000 never answered a connectivity check.*external \(NAT\) address is probably misconfigured/);
  });

  it('stays quiet when the failing local candidate is not known to work (our own firewall may be the cause)', () => {
    const t = tl(check(100, host, peerRelay, 'waiting', 'in-progress'), check(5850, host, peerRelay, 'in-progress', 'failed', stunTimeout));
    expect(run(relayAddressUnreachable, t)).toBeUndefined();
  });

  it('stays quiet when some check to the relay succeeded, or failed with an answer', () => {
    const answered = tl(check(100, relay, peerRelay, 'waiting', 'in-progress'), check(130, relay, peerRelay, 'in-progress', 'failed', { code: 'ICE_CHECK_ERROR_RESPONSE', message: '401' }));
    expect(run(relayAddressUnreachable, answered)).toBeUndefined();
    const oneWorks = tl(
      check(100, relay, peerRelay, 'waiting', 'in-progress'),
      check(5850, relay, peerRelay, 'in-progress', 'failed', stunTimeout),
      check(100, host, peerRelay, 'waiting', 'in-progress'),
      check(150, host, peerRelay, 'in-progress', 'succeeded'),
    );
    expect(run(relayAddressUnreachable, oneWorks)).toBeUndefined();
  });

  it('counts only checks started while the check list ran: later ones may lack the peer\'s TURN permission', () => {
    const t = tl(
      check(100, host, peerSrflx, 'in-progress', 'succeeded'),
      { type: 'checklist.state', at: 180, from: 'running', to: 'completed', reason: 'nominated' },
      check(300, relay, peerRelay, 'waiting', 'in-progress'),
      check(6050, relay, peerRelay, 'in-progress', 'failed', stunTimeout),
    );
    expect(run(relayAddressUnreachable, t)).toBeUndefined();
  });

  it('reads the end of checking from main/api\'s ice.state too', () => {
    const t = tl(
      check(100, host, peerSrflx, 'in-progress', 'succeeded'),
      { type: 'ice.state', at: 180, from: 'checking', to: 'completed', reason: 'every component nominated' },
      check(300, relay, peerRelay, 'waiting', 'in-progress'),
      check(6050, relay, peerRelay, 'in-progress', 'failed', stunTimeout),
    );
    expect(run(relayAddressUnreachable, t)).toBeUndefined();
  });

  it('stays quiet on the lab consent-loss callee (rfc8445): the caller stopped checking, so its relays had no permission for us', async () => {
    expect(run(relayAddressUnreachable, await iceScenarioTimeline('consent-loss', 'callee', { strategy: 'rfc8445' }))).toBeUndefined();
  });
});

describe('no-pair-succeeded', () => {
  it('fires when checks ran and none succeeded', () => {
    const t = tl(
      check(100, host, peerHost, 'waiting', 'in-progress'),
      check(100, host, peerSrflx, 'waiting', 'in-progress'),
      check(5850, host, peerHost, 'in-progress', 'failed', stunTimeout),
    );
    const d = run(noPairSucceeded, t)!;
    expect(d).toMatchObject({ id: 'no-pair-succeeded', severity: 'error', evidence: [1, 3], facts: { pairs: 2, failed: 1 } });
    expect(d.message).toMatch(/^No candidate pair succeeded \(2 pairs checked, 1 failed, the rest unanswered\).*Local candidates were host; the peer's were host, srflx\./);
  });

  it('stays quiet on a lab run that found a path, and before any check', async () => {
    expect(run(noPairSucceeded, await iceScenarioTimeline('inside-inside'))).toBeUndefined();
    expect(run(noPairSucceeded, tl({ type: 'candidate.gathered', at: 1, candidate: host }))).toBeUndefined();
  });
});

describe('srflx-nominated', () => {
  it('fires on the lab inside-outside run: the lync agent nominates srflx → srflx', async () => {
    const t = await iceScenarioTimeline('inside-outside');
    const d = run(srflxNominated, t)!;
    expect(d).toMatchObject({ id: 'srflx-nominated', severity: 'warning', facts: { nominated: true } });
    expect(d.message).toMatch(/^The nominated pair has a server-reflexive local candidate \(srflx\/udp 198\.51\.100\.1:\d+ → srflx\/udp 198\.51\.100\.2:\d+\)\. Skype for Business rejects/);
    const nominated = t.events.find((e) => e.type === 'pair.nominated')!;
    expect(d.evidence).toContain(nominated.seq);
  });

  it('fires on a selected path alone when nothing was nominated (first-success media)', () => {
    const t = tl({ type: 'path.changed', at: 200, component: 1, to: pair(cand({ type: 'srflx', address: '198.51.100.1' }), peerHost), reason: 'first-success' });
    const d = run(srflxNominated, t)!;
    expect(d).toMatchObject({ facts: { nominated: false }, evidence: [1] });
    expect(d.message).toMatch(/^The media path the call ended on has a server-reflexive local candidate/);
  });

  it('stays quiet when a srflx first-success path was promoted to host (lab promotion)', async () => {
    const t = await iceScenarioTimeline('promotion');
    expect(t.events.some((e) => e.type === 'path.changed' && (e['to'] as { local?: { type: string } } | undefined)?.local?.type === 'srflx')).toBe(true);
    expect(run(srflxNominated, t)).toBeUndefined();
  });

  it('stays quiet on the lab symmetric run (peer-reflexive local) and inside-inside (host)', async () => {
    expect(run(srflxNominated, await iceScenarioTimeline('symmetric'))).toBeUndefined();
    expect(run(srflxNominated, await iceScenarioTimeline('inside-inside'))).toBeUndefined();
  });
});

describe('path-unsettled', () => {
  /** A lab run with the call answered when its first path came up. */
  async function answeredRun(name: 'consent-loss' | 'promotion') {
    const lab = await iceScenarioTimeline(name);
    const t = newTimeline();
    let answered = false;
    for (const { seq: _seq, ...e } of lab.events) {
      t.append(e as AnyEvent);
      if (!answered && e.type === 'path.changed') {
        t.append({ type: 'call.state', at: e.at, callId: 'c1', direction: 'outgoing', from: 'early', to: 'confirmed', reason: '200 OK' });
        answered = true;
      }
    }
    return t;
  }

  it('fires on the lab consent-loss run: the path moved ~7 s after pickup', async () => {
    const t = await answeredRun('consent-loss');
    const d = run(pathUnsettled, t)!;
    expect(d).toMatchObject({ id: 'path-unsettled', severity: 'info', facts: { lastReason: 'consent-lost' } });
    expect(d.facts!['lastChangeAfterPickupMs']).toBeGreaterThan(5000);
    expect(d.message).toMatch(/^The media path was still changing \d+\.\d s after the call was answered \(1 change after pickup; the last, consent-lost, to srflx\/udp/);
    expect(d.evidence[0]).toBe(t.events.find((e) => e.type === 'call.state')!.seq);
  });

  it('stays quiet when promotion finished within the settle time, or with no pickup', async () => {
    expect(run(pathUnsettled, await answeredRun('promotion'))).toBeUndefined();
    expect(run(pathUnsettled, await iceScenarioTimeline('consent-loss'))).toBeUndefined();
  });

  it('takes pickup from the 200 OK to the INVITE on the wire, not from a 200 to something else', () => {
    const ok200 = (at: number, method: string): AnyEvent => ({ type: 'sip.received', at, peer: '127.0.0.1:5060', transport: 'udp', text: `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\nCSeq: 2 ${method}\r\nContent-Length: 0\r\n\r\n` });
    const change = (at: number): AnyEvent => ({ type: 'path.changed', at, component: 1, to: pair(host, peerHost), reason: 'higher-priority-succeeded' });
    const t = tl(ok200(100, 'REGISTER'), ok200(1000, 'INVITE'), change(1200), change(7000), ok200(7100, 'INVITE'));
    const d = run(pathUnsettled, t)!;
    expect(d.evidence).toEqual([2, 3, 4]);
    expect(d.facts).toMatchObject({ lastChangeAfterPickupMs: 6000, changesAfterPickup: 2 });
    expect(run(pathUnsettled, tl(ok200(100, 'REGISTER'), change(7000)))).toBeUndefined();
  });

  it('the settle time is an option', async () => {
    expect(run(pathUnsettled, await answeredRun('promotion'), { pathSettleMs: 100 })?.id).toBe('path-unsettled');
  });
});
