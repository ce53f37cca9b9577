import { describe, expect, it } from 'vitest';
import { rfc8445Profile } from '../../../main/compat';
import {
  CheckList,
  FoundationRegistry,
  canPair,
  makeLocalCandidate,
  pairPriorityFor,
  prflxPriority,
  type Candidate,
  type CheckListEvent,
  type CheckListOptions,
} from '../../../main/ice';
import { addr, localFactory, remote } from './helpers';

const H = 2130706431; // host, comp 1
const H2 = 2130706430; // host, comp 2

function setup(opts: Partial<CheckListOptions> = {}) {
  let t = 0;
  const events: CheckListEvent[] = [];
  const foundations = new FoundationRegistry();
  const list = new CheckList({
    profile: rfc8445Profile,
    role: 'controlling',
    components: [1],
    now: () => t,
    onEvent: (e) => events.push(e),
    foundations,
    ...opts,
  });
  return { list, events, f: localFactory(rfc8445Profile, foundations), tick: (ms: number) => (t += ms) };
}

const ids = (pairs: readonly { local: Candidate; remote: Candidate }[]) => pairs.map((p) => `${p.local.address.ip}:${p.local.address.port}>${p.remote.address.ip}:${p.remote.address.port}`);
const checkEvents = (events: CheckListEvent[]) => events.filter((e) => e.type === 'check').map((e) => (e.type === 'check' ? `${e.pair.local.address}:${e.pair.local.port} ${e.from}→${e.to}` : ''));

describe('forming pairs (RFC 8445 §6.1.2.2, RFC 6544 §6.2)', () => {
  it('pairs by component, address family, link-local scope and transport; TCP active↔passive only', () => {
    const { list, f } = setup({ components: [1, 2] });
    list.addLocalCandidates([
      f.host('10.0.0.2', 5000),
      f.host('2001:db8::2', 5000),
      f.host('fe80::2', 5000),
      f.host('10.0.0.2', 9, 1, { tcpType: 'active' }),
      f.host('10.0.0.2', 6000, 1, { tcpType: 'passive' }),
      f.host('10.0.0.2', 5001, 2),
    ]);
    list.addRemoteCandidates([
      remote('host', '10.0.0.3', 7000, H),
      remote('host', '2001:db8::3', 7000, H),
      remote('host', 'fe80::3', 7000, H),
      remote('host', '10.0.0.3', 8000, H, { tcpType: 'passive' }),
      remote('host', '10.0.0.3', 9, H, { tcpType: 'active' }),
      remote('host', '10.0.0.3', 8001, H, { tcpType: 'so' }),
      remote('host', '10.0.0.3', 7001, H2, { component: 2 }),
    ]);
    expect(new Set(ids(list.pairs))).toEqual(
      new Set([
        '10.0.0.2:5000>10.0.0.3:7000',
        '2001:db8::2:5000>2001:db8::3:7000',
        'fe80::2:5000>fe80::3:7000',
        '10.0.0.2:9>10.0.0.3:8000',
        '10.0.0.2:6000>10.0.0.3:9',
        '10.0.0.2:5001>10.0.0.3:7001',
      ]),
    );
  });

  it('never pairs link-local IPv6 with a global address, nor S-O with active', () => {
    const { f } = setup();
    expect(canPair(f.host('fe80::2', 1), remote('host', '2001:db8::3', 1, H))).toBe(false);
    expect(canPair(f.host('10.0.0.2', 1, 1, { tcpType: 'so' }), remote('host', '10.0.0.3', 1, H, { tcpType: 'active' }))).toBe(false);
    expect(canPair(f.host('10.0.0.2', 1, 1, { tcpType: 'so' }), remote('host', '10.0.0.3', 1, H, { tcpType: 'so' }))).toBe(true);
  });

  it('replaces a srflx local by its base and prunes the redundant pair (§6.1.2.4)', () => {
    const { list, f } = setup();
    const host = f.host('10.0.0.2', 5000);
    list.addLocalCandidates([host, f.srflx('198.51.100.2', 6000, host.address)]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    expect(list.pairs).toHaveLength(1);
    expect(list.pairs[0]!.local).toBe(host);
  });

  it('keeps a srflx pair while its base is unknown and swaps it for the host pair when that arrives', () => {
    const { list, f } = setup();
    const host = f.host('10.0.0.2', 5000);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    list.addLocalCandidates([f.srflx('198.51.100.2', 6000, host.address)]);
    expect(list.pairs.map((p) => p.local.type)).toEqual(['srflx']);
    list.addLocalCandidates([host]);
    expect(list.pairs.map((p) => p.local.type)).toEqual(['host']);
  });

  it('orders by pair priority, and re-orders when the role changes (G/D swap the tie bit)', () => {
    const { list } = setup();
    const reg = new FoundationRegistry();
    const local = (ip: string, priority: number) => makeLocalCandidate(rfc8445Profile, reg, { type: 'host', component: 1, transport: 'udp', address: addr(ip, 1), priority });
    list.addLocalCandidates([local('10.0.0.5', 5), local('10.0.0.3', 3)]);
    list.addRemoteCandidates([remote('host', '10.0.1.3', 1, 3), remote('host', '10.0.1.5', 1, 5)]);
    expect(ids(list.pairs)).toEqual(['10.0.0.5:1>10.0.1.5:1', '10.0.0.5:1>10.0.1.3:1', '10.0.0.3:1>10.0.1.5:1', '10.0.0.3:1>10.0.1.3:1']);
    list.setRole('controlled');
    expect(ids(list.pairs)).toEqual(['10.0.0.5:1>10.0.1.5:1', '10.0.0.3:1>10.0.1.5:1', '10.0.0.5:1>10.0.1.3:1', '10.0.0.3:1>10.0.1.3:1']);
    for (const p of list.pairs) expect(p.priority).toBe(pairPriorityFor('controlled', p.local.priority, p.remote.priority));
  });

  it('keeps at most maxPairs, dropping the lowest priorities (§6.1.2.5)', () => {
    const { list, f } = setup({ maxPairs: 3 });
    list.addLocalCandidates([f.host('10.0.0.2', 5000)]);
    list.addRemoteCandidates([1, 5, 3, 4, 2].map((n) => remote('host', `10.0.0.${10 + n}`, 7000, n * 1000)));
    expect(list.pairs.map((p) => p.remote.priority)).toEqual([5000, 4000, 3000]);
  });
});

describe('initial states and unfreezing (RFC 8445 §6.1.2.6, §6.1.4.2, §7.2.5.3.3)', () => {
  function twoComponents() {
    const s = setup({ components: [1, 2] });
    const { list, f } = s;
    list.addLocalCandidates([f.host('10.0.0.2', 5000, 1), f.host('10.0.0.2', 5001, 2), f.relay('203.0.113.5', 50000, 1), f.relay('203.0.113.5', 50001, 2)]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H, { foundation: 'rh' }), remote('host', '10.0.0.3', 7001, H2, { component: 2, foundation: 'rh' })]);
    return s;
  }

  it('puts one pair per foundation in waiting: lowest component, highest priority', () => {
    const { list } = twoComponents();
    list.start();
    expect(list.pairs.map((p) => `${p.local.type}${p.component}:${p.state}`)).toEqual(['host1:waiting', 'host2:frozen', 'relay1:waiting', 'relay2:frozen']);
  });

  it('checks the highest-priority waiting pair, leaves a foundation frozen while one of it is in flight, then unfreezes on success', () => {
    const { list } = twoComponents();
    list.start();
    const a = list.nextOrdinaryCheck()!;
    expect(`${a.pair.local.type}${a.pair.component}`).toBe('host1');
    expect(a).toMatchObject({ triggered: false, nominate: false, priority: prflxPriority(rfc8445Profile, a.pair.local) });
    const b = list.nextOrdinaryCheck()!;
    expect(`${b.pair.local.type}${b.pair.component}`).toBe('relay1');
    expect(list.nextOrdinaryCheck()).toBeUndefined(); // both component-2 pairs stay frozen
    list.onCheckSuccess(a.pair, { mapped: a.pair.local.address, from: a.pair.remote.address, rtt: 12 });
    const host2 = list.pairs.find((p) => p.local.type === 'host' && p.component === 2)!;
    expect(host2.state).toBe('waiting');
    expect(list.nextOrdinaryCheck()!.pair).toBe(host2);
  });

  it('unfreezes a frozen pair when its foundation has nothing waiting or in progress', () => {
    const { list } = twoComponents();
    list.start();
    list.nextOrdinaryCheck(); // host1
    const relay1 = list.nextOrdinaryCheck()!.pair;
    list.onCheckFailure(relay1, 'timeout');
    const next = list.nextOrdinaryCheck()!;
    expect(`${next.pair.local.type}${next.pair.component}`).toBe('relay2');
  });

  it('unfreezeAll puts every checkable pair in waiting (lync strategy)', () => {
    const { list } = twoComponents();
    list.start();
    expect(list.unfreezeAll()).toBe(2);
    expect(list.countByState()).toMatchObject({ waiting: 4, frozen: 0 });
  });

  it('unfreezes the first pair of a new foundation when candidates arrive late', () => {
    const { list, f } = setup();
    list.addLocalCandidates([f.host('10.0.0.2', 5000)]);
    list.start();
    expect(list.state).toBe('failed'); // no pairs at all
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H), remote('srflx', '198.51.100.3', 7000, 1694498815)]);
    expect(list.pairs.map((p) => p.state)).toEqual(['waiting', 'waiting']);
    expect(list.state).toBe('running');
  });

  it('never starts ordinary checks from a passive TCP candidate (RFC 6544)', () => {
    const { list, f } = setup();
    const passive = f.host('10.0.0.2', 6000, 1, { tcpType: 'passive' });
    list.addLocalCandidates([passive]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 9, H, { tcpType: 'active' })]);
    list.start();
    expect(list.pairs[0]!.state).toBe('frozen');
    expect(list.nextCheck()).toBeUndefined();
    // the peer connects and checks: now the pair gets a triggered check on that connection
    const inc = list.onIncomingCheck(passive, addr('10.0.0.3', 53211), { priority: 1 });
    expect(inc.learnedRemote).toBeUndefined();
    expect(list.nextCheck()).toMatchObject({ pair: list.pairs[0], triggered: true });
  });

  it('matches TCP candidates by tcptype: a check from the peer\'s active side finds its active candidate, not a passive one on the same IP', () => {
    const { list, f } = setup();
    const active = f.host('10.0.0.2', 9, 1, { tcpType: 'active' });
    const passive = f.host('10.0.0.2', 6000, 1, { tcpType: 'passive' });
    list.addLocalCandidates([passive, active]);
    // the peer lists its passive candidate first: an IP-only match would pick it for an active source
    list.addRemoteCandidates([remote('host', '10.0.0.3', 8000, H, { tcpType: 'passive' }), remote('host', '10.0.0.3', 9, H, { tcpType: 'active' })]);
    list.start();
    const inc = list.onIncomingCheck(passive, addr('10.0.0.3', 53211), { priority: 1 });
    expect(inc.learnedRemote).toBeUndefined();
    expect(inc.remote.tcpType).toBe('active');
    expect(inc.pair.local.id).toBe(passive.id);
    // our active check succeeds: the mapped address (our ephemeral port) names the active candidate
    const pair = list.pairs.find((p) => p.local.tcpType === 'active')!;
    expect(pair.state).toBe('waiting');
    const out = list.onCheckSuccess(pair, { mapped: addr('10.0.0.2', 50123) });
    expect(out).toMatchObject({ kind: 'valid' });
    if (out.kind === 'valid') {
      expect(out.localPrflx).toBeUndefined();
      expect(out.valid).toBe(pair);
    }
  });
});

describe('triggered checks and peer-reflexive candidates (RFC 8445 §7.3.1.3, §7.3.1.4)', () => {
  function oneHost() {
    const s = setup();
    const local = s.f.host('10.0.0.2', 5000);
    const r1 = remote('host', '10.0.0.3', 7000, H);
    const r2 = remote('host', '10.0.0.4', 7000, H - 1000);
    s.list.addLocalCandidates([local]);
    s.list.addRemoteCandidates([r1, r2]);
    return { ...s, local, r1, r2 };
  }

  it('an incoming check on a frozen pair makes it waiting and checks it before ordinary pairs', () => {
    const { list, local } = oneHost();
    list.start();
    const low = list.pairs[1]!;
    expect(low.state).toBe('waiting'); // own foundation
    const inc = list.onIncomingCheck(local, addr('10.0.0.4', 7000), { priority: 5 });
    expect(inc).toMatchObject({ pair: low, triggered: true });
    expect(list.nextCheck()).toMatchObject({ pair: low, triggered: true });
    expect(list.nextCheck()).toMatchObject({ pair: list.pairs[0], triggered: false });
  });

  it('cancels and re-queues an in-progress pair; a late success of the old transaction still counts', () => {
    const { list, local } = oneHost();
    list.start();
    const c = list.nextCheck()!;
    list.onIncomingCheck(local, c.pair.remote.address);
    expect(c.pair.state).toBe('waiting');
    expect(list.triggeredCount).toBe(1);
    const out = list.onCheckSuccess(c.pair, { mapped: local.address, from: c.pair.remote.address });
    expect(out.kind).toBe('valid');
    expect(c.pair.state).toBe('succeeded');
    expect(list.triggeredCount).toBe(0);
    // and a timeout of a cancelled transaction is not a failure
    expect(list.onCheckFailure(c.pair, 'timeout')).toBe(false);
  });

  it('does nothing more for a succeeded pair and revives a failed one', () => {
    const { list, local } = oneHost();
    list.start();
    const c = list.nextCheck()!;
    list.onCheckSuccess(c.pair, { mapped: local.address, from: c.pair.remote.address });
    expect(list.onIncomingCheck(local, c.pair.remote.address).triggered).toBe(false);
    const d = list.nextCheck()!;
    list.onCheckFailure(d.pair, 'timeout');
    expect(d.pair.state).toBe('failed');
    expect(list.onIncomingCheck(local, d.pair.remote.address).triggered).toBe(true);
    expect(d.pair.state).toBe('waiting');
  });

  it('learns a remote prflx from an unknown source with the request’s PRIORITY and checks it', () => {
    const { list, local, events } = oneHost();
    list.start();
    const inc = list.onIncomingCheck(local, addr('198.51.100.77', 41000), { priority: 1862270975 });
    expect(inc.learnedRemote).toMatchObject({ type: 'prflx', priority: 1862270975, address: addr('198.51.100.77', 41000), component: 1 });
    expect(inc.pair.state).toBe('waiting');
    expect(list.remoteCandidates).toContain(inc.learnedRemote);
    expect(events.some((e) => e.type === 'candidate.prflx' && e.side === 'remote')).toBe(true);
    expect(list.nextCheck()).toMatchObject({ pair: inc.pair, triggered: true });
    // the same source again is now a known candidate
    expect(list.onIncomingCheck(local, addr('198.51.100.77', 41000)).learnedRemote).toBeUndefined();
  });
});

describe('successes and the valid list (RFC 8445 §7.2.5)', () => {
  it('a mapped address we do not know makes a local prflx and an off-list valid pair', () => {
    const { list, f, events } = setup();
    const local = f.host('10.0.0.2', 5000);
    const r = remote('host', '198.51.100.3', 7000, H);
    list.addLocalCandidates([local]);
    list.addRemoteCandidates([r]);
    list.start();
    const c = list.nextCheck()!;
    const out = list.onCheckSuccess(c.pair, { mapped: addr('203.0.113.99', 61000), from: r.address, rtt: 40 });
    if (out.kind !== 'valid') throw new Error(out.reason);
    expect(out.localPrflx).toMatchObject({ type: 'prflx', base: local.address, priority: c.priority, address: addr('203.0.113.99', 61000) });
    expect(out.valid).not.toBe(c.pair);
    expect(out.valid).toMatchObject({ inCheckList: false, valid: true, state: 'succeeded', lastRtt: 40 });
    expect(out.valid.generating).toBe(c.pair);
    expect(c.pair.validPair).toBe(out.valid);
    expect(list.validList).toEqual([out.valid]);
    expect(list.pairs).not.toContain(out.valid);
    expect(list.bestValidPair(1)).toBe(out.valid);
    expect(list.pairById(out.valid.id)).toBe(out.valid);
    expect(events.map((e) => e.type)).toContain('pair.valid');
    // the learnt local is never paired with new remotes (§7.2.5.3.1)
    list.addRemoteCandidates([remote('host', '198.51.100.4', 7000, H)]);
    expect(list.pairs.every((p) => p.local.type !== 'prflx')).toBe(true);
  });

  it('a mapped address equal to our srflx candidate gives the (srflx, remote) valid pair', () => {
    const { list, f } = setup();
    const host = f.host('10.0.0.2', 5000);
    const srflx = f.srflx('198.51.100.2', 6000, host.address);
    list.addLocalCandidates([host, srflx]);
    list.addRemoteCandidates([remote('host', '198.51.100.3', 7000, H)]);
    list.start();
    const c = list.nextCheck()!;
    const out = list.onCheckSuccess(c.pair, { mapped: srflx.address });
    expect(out.kind === 'valid' && out.valid.local).toBe(srflx);
    expect(out.kind === 'valid' && out.localPrflx).toBeUndefined();
  });

  it('fails a non-symmetric response (§7.2.5.2.1)', () => {
    const { list, f, events } = setup();
    list.addLocalCandidates([f.host('10.0.0.2', 5000)]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    list.start();
    const c = list.nextCheck()!;
    const out = list.onCheckSuccess(c.pair, { mapped: c.pair.local.address, from: addr('10.0.0.9', 7000) });
    expect(out.kind).toBe('failed');
    expect(c.pair.state).toBe('failed');
    const last = events.filter((e) => e.type === 'check').at(-1);
    expect(last).toMatchObject({ to: 'failed', error: { code: 'ICE_CHECK_FAILED' } });
    expect(list.state).toBe('failed');
  });

  it('goes failed when every pair failed and back to running when a peer check revives one', () => {
    const { list, f, events } = setup();
    const local = f.host('10.0.0.2', 5000);
    list.addLocalCandidates([local]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H), remote('host', '10.0.0.4', 7000, H - 1)]);
    list.start();
    for (let c = list.nextCheck(); c; c = list.nextCheck()) list.onCheckFailure(c.pair, 'timeout', { code: 'STUN_TIMEOUT', message: 'no answer' });
    expect(list.state).toBe('failed');
    list.onIncomingCheck(local, addr('10.0.0.3', 7000));
    expect(list.state).toBe('running');
    expect(events.filter((e) => e.type === 'checklist.state').map((e) => (e.type === 'checklist.state' ? e.to : ''))).toEqual(['failed', 'running']);
  });
});

describe('nomination (RFC 8445 §8.1, §7.2.5.3.4, §7.3.1.5)', () => {
  function started(role: 'controlling' | 'controlled', components = [1]) {
    const s = setup({ role, components });
    const locals = components.map((c) => s.f.host('10.0.0.2', 5000 + c - 1, c));
    const remotes = components.map((c) => remote('host', '10.0.0.3', 7000 + c - 1, H - (c - 1), { component: c, foundation: 'rh' }));
    s.list.addLocalCandidates(locals);
    s.list.addRemoteCandidates(remotes);
    s.list.start();
    return { ...s, locals, remotes };
  }

  it('regular: check, then re-check the generating pair with USE-CANDIDATE; completed when every component is nominated', () => {
    const { list, events } = started('controlling', [1, 2]);
    const valid: ReturnType<typeof list.nextCheck>[] = [];
    for (let c = list.nextCheck(); c; c = list.nextCheck()) {
      valid.push(c);
      list.onCheckSuccess(c.pair, { mapped: c.pair.local.address, from: c.pair.remote.address });
    }
    expect(valid).toHaveLength(2);
    expect(list.state).toBe('running');
    for (const c of valid) list.nominate(c!.pair.validPair!);
    const n1 = list.nextCheck()!;
    expect(n1).toMatchObject({ triggered: true, nominate: true });
    expect(n1.pair.state).toBe('succeeded'); // a nominating re-check does not change the state
    list.onCheckSuccess(n1.pair, { mapped: n1.pair.local.address, useCandidate: true });
    expect(list.state).toBe('running');
    const n2 = list.nextCheck()!;
    list.onCheckSuccess(n2.pair, { mapped: n2.pair.local.address, useCandidate: true });
    expect(list.state).toBe('completed');
    expect(list.nominatedPair(1)).toBe(n1.pair);
    expect(events.filter((e) => e.type === 'pair.nominated').map((e) => (e.type === 'pair.nominated' ? e.by : ''))).toEqual(['us', 'us']);
    expect(events.at(-1)).toMatchObject({ type: 'checklist.state', from: 'running', to: 'completed' });
  });

  it('aggressive: USE-CANDIDATE on the first check nominates at once', () => {
    const { list } = started('controlling');
    const c = list.nextCheck()!;
    const out = list.onCheckSuccess(c.pair, { mapped: c.pair.local.address, useCandidate: true });
    expect(out).toMatchObject({ kind: 'valid', nominated: true });
    expect(list.state).toBe('completed');
  });

  it('a failed nominating re-check fails the pair', () => {
    const { list } = started('controlling');
    const c = list.nextCheck()!;
    list.onCheckSuccess(c.pair, { mapped: c.pair.local.address });
    list.nominate(c.pair);
    const n = list.nextCheck()!;
    expect(list.onCheckFailure(n.pair, 'timeout')).toBe(true);
    expect(n.pair.state).toBe('failed');
    expect(n.pair.lastError).toBeUndefined();
  });

  it('controlled: a USE-CANDIDATE seen before our success nominates when our check succeeds', () => {
    const { list, locals, remotes, events } = started('controlled');
    const c = list.nextCheck()!;
    const inc = list.onIncomingCheck(locals[0]!, remotes[0]!.address, { useCandidate: true });
    expect(inc.nominated).toBeUndefined();
    expect(c.pair.remoteNominated).toBe(true);
    const out = list.onCheckSuccess(c.pair, { mapped: c.pair.local.address });
    expect(out).toMatchObject({ kind: 'valid', nominated: true });
    expect(events.some((e) => e.type === 'pair.nominated' && e.by === 'peer')).toBe(true);
    expect(list.state).toBe('completed');
  });

  it('controlled: a USE-CANDIDATE on a succeeded pair nominates its valid pair at once', () => {
    const { list, locals, remotes } = started('controlled');
    const c = list.nextCheck()!;
    list.onCheckSuccess(c.pair, { mapped: c.pair.local.address });
    const inc = list.onIncomingCheck(locals[0]!, remotes[0]!.address, { useCandidate: true });
    expect(inc.nominated).toBe(c.pair);
    expect(list.nominatedPair(1)).toBe(c.pair);
  });

  it('only the controlling agent nominates', () => {
    const { list } = started('controlled');
    const c = list.nextCheck()!;
    list.onCheckSuccess(c.pair, { mapped: c.pair.local.address });
    expect(() => list.nominate(c.pair)).toThrow(/controlling/);
  });

  it('stopChecksFor drops waiting and frozen pairs of a nominated component (§8.1.2)', () => {
    const s = setup();
    s.list.addLocalCandidates([s.f.host('10.0.0.2', 5000), s.f.relay('203.0.113.5', 50000)]);
    s.list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    s.list.start();
    const c = s.list.nextCheck()!;
    s.list.onCheckSuccess(c.pair, { mapped: c.pair.local.address, useCandidate: true });
    expect(s.list.stopChecksFor(1)).toBe(1);
    expect(s.list.countByState()).toEqual({ frozen: 0, waiting: 0, 'in-progress': 0, succeeded: 1, failed: 1 });
  });
});

describe('role conflicts and consent', () => {
  it('487: the pair goes back to waiting and is retried first (§7.2.5.1)', () => {
    const s = setup();
    s.list.addLocalCandidates([s.f.host('10.0.0.2', 5000)]);
    s.list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H), remote('host', '10.0.0.4', 7000, H - 5)]);
    s.list.start();
    const c = s.list.nextCheck()!;
    s.list.onRoleConflictResponse(c.pair);
    s.list.setRole('controlled');
    expect(c.pair.state).toBe('waiting');
    expect(s.list.nextCheck()).toMatchObject({ pair: c.pair, triggered: true });
    expect(c.pair.priority).toBe(pairPriorityFor('controlled', c.pair.local.priority, c.pair.remote.priority));
  });

  it('consent lost on the best valid pair falls back to the next one', () => {
    const s = setup();
    s.list.addLocalCandidates([s.f.host('10.0.0.2', 5000), s.f.relay('203.0.113.5', 50000)]);
    s.list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    s.list.start();
    s.list.unfreezeAll();
    for (let c = s.list.nextCheck(); c; c = s.list.nextCheck()) s.list.onCheckSuccess(c.pair, { mapped: c.pair.local.address, useCandidate: true });
    const [best, second] = s.list.validList;
    expect(s.list.bestValidPair(1)).toBe(best);
    expect(s.list.state).toBe('completed');
    expect(s.list.markFailed(best!, 'consent lost')).toBe(true);
    expect(s.list.bestValidPair(1)).toBe(second);
    expect(s.list.nominatedPair(1)).toBe(second);
    expect(s.list.markFailed(best!, 'again')).toBe(false);
  });
});

describe('event stream', () => {
  it('reports every pair change once, in order, from one chokepoint', () => {
    const { list, f, events, tick } = setup();
    const local = f.host('10.0.0.2', 5000);
    list.addLocalCandidates([local]);
    list.addRemoteCandidates([remote('host', '10.0.0.3', 7000, H)]);
    list.start();
    tick(50);
    const c = list.nextCheck()!;
    tick(30);
    list.onCheckSuccess(c.pair, { mapped: local.address, from: c.pair.remote.address, rtt: 30, useCandidate: true });
    expect(checkEvents(events)).toEqual(['10.0.0.2:5000 frozen→waiting', '10.0.0.2:5000 waiting→in-progress', '10.0.0.2:5000 in-progress→succeeded']);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['check', 0],
      ['check', 50],
      ['check', 80],
      ['pair.valid', 80],
      ['pair.nominated', 80],
      ['checklist.state', 80],
    ]);
    expect(JSON.parse(JSON.stringify(events))).toHaveLength(6);
  });
});
