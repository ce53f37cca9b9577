import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import { IceAgent, type IceAgentOptions, type IceEvent, type IceStrategy } from '../../../main/ice/agent';
import { transportLabel, type Candidate } from '../../../main/ice/candidate';
import { VirtualNetwork, firewallPresets, type VirtualHost } from '../../../main/net/virtual';

// ICE-TCP (RFC 6544) host candidates on the virtual network, on fake time: same LAN with TCP
// only, and a caller whose site drops all UDP (directly routed, then behind a NAT).
const SEEDS = [1, 2, 3, 4, 5];

type Site = 'same-lan' | 'udp-blocked-routed' | 'udp-blocked-nat';

function world(site: Site, seed: number) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  let caller: VirtualHost;
  let callee: VirtualHost;
  if (site === 'same-lan') {
    net.addLan('office', { cidr: '10.1.0.0/24' });
    net.addRouter('gw', { inside: 'office', nat: 'port-restricted-cone' });
    caller = net.addHost('caller', { lan: 'office', ip: '10.1.0.10', link: { delayMs: 5 } });
    callee = net.addHost('callee', { lan: 'office', ip: '10.1.0.20', link: { delayMs: 5 } });
  } else {
    net.addLan('site', { cidr: '10.2.0.0/24' });
    net.addRouter('fw', { inside: 'site', wan: { delayMs: 10 }, firewall: firewallPresets.dropUdp(), ...(site === 'udp-blocked-nat' ? { nat: 'port-restricted-cone' as const } : {}) });
    caller = net.addHost('caller', { lan: 'site', ip: '10.2.0.10' });
    callee = net.addHost('callee', { ip: '203.0.113.50', link: { delayMs: 10 } });
  }
  return { clock, net, caller, callee };
}

async function advance(clock: FakeClock, ms: number, until?: () => boolean): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.advance(5);
    for (let i = 0; i < 8; i++) await Promise.resolve();
    if (until?.()) return;
  }
}

async function settle<T>(clock: FakeClock, p: Promise<T>, ms = 10_000): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  await advance(clock, ms, () => done);
  expect(done).toBe(true);
  return p;
}

function remoteOf(cands: readonly Candidate[]) {
  return cands.map((c) => ({ foundation: c.foundation, component: c.component, transport: c.transport, ...(c.tcpType ? { tcpType: c.tcpType } : {}), type: c.type, address: c.address, priority: c.priority }));
}

async function run(site: Site, strategy: IceStrategy, seed: number, extra: Partial<IceAgentOptions> = {}) {
  const { clock, net, caller, callee } = world(site, seed);
  const random = new SeededRandom(seed);
  const events: IceEvent[] = [];
  const common = {
    clock,
    strategy,
    profile: strategy === 'lync' ? lyncIce2Profile : rfc8445Profile,
    policy: 'host-only' as const,
    tcp: true,
    consentIntervalMs: 1000,
    nominationDelayMs: 2500,
    ...extra,
  };
  const a = new IceAgent({ ...common, net: caller, random: random.fork(), role: 'controlling', onEvent: (e) => events.push(e) });
  const b = new IceAgent({ ...common, net: callee, random: random.fork(), role: 'controlled' });
  await settle(clock, Promise.all([a.gather(), b.gather()]));
  a.setRemote({ ufrag: b.local.ufrag, pwd: b.local.pwd, candidates: remoteOf(b.localCandidates) });
  b.setRemote({ ufrag: a.local.ufrag, pwd: a.local.pwd, candidates: remoteOf(a.localCandidates) });
  const t0 = clock.now();
  a.start();
  b.start();
  await advance(clock, 8000, () => a.state === 'completed' && b.state === 'completed');
  // Data both ways on the selected pair, then a little more time (consent runs on the connection).
  const got: { a: string[]; b: string[] } = { a: [], b: [] };
  a.onData((_c, bytes) => got.a.push(new TextDecoder().decode(bytes)));
  b.onData((_c, bytes) => got.b.push(new TextDecoder().decode(bytes)));
  const sentA = [1, 2, 3].map((i) => a.send(1, new TextEncoder().encode(`to b ${i}`)));
  const sentB = [1, 2, 3].map((i) => b.send(1, new TextEncoder().encode(`to a ${i}`)));
  await advance(clock, 3000);
  const out = { a, b, events, got, sent: [...sentA, ...sentB].every(Boolean), t0, states: [a.state, b.state], selA: a.selectedPair(1), selB: b.selectedPair(1) };
  await settle(clock, Promise.all([a.close(), b.close()]));
  await net.close();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
  return out;
}

const label = (c: Candidate | undefined) => (c ? `${c.type} ${transportLabel(c)}` : 'none');

describe.each(['lync', 'rfc8445'] as const)('ICE-TCP on the virtual network, %s strategy', (strategy) => {
  it('same LAN, TCP only: controlling active ↔ controlled passive, data both ways, over seeds', async () => {
    for (const seed of SEEDS) {
      const r = await run('same-lan', strategy, seed, { transports: ['tcp'] });
      expect(r.states, `seed ${seed}`).toEqual(['completed', 'completed']);
      expect([label(r.selA?.local), label(r.selA?.remote)], `seed ${seed}`).toEqual(['host tcp-active', 'host tcp-passive']);
      expect([label(r.selB?.local), label(r.selB?.remote)], `seed ${seed}`).toEqual(['host tcp-passive', 'host tcp-active']);
      expect(r.sent).toBe(true);
      expect(r.got.b).toEqual(['to b 1', 'to b 2', 'to b 3']);
      expect(r.got.a).toEqual(['to a 1', 'to a 2', 'to a 3']);
    }
  });

  it('UDP dropped at the caller\'s router: the host TCP pair carries the call', async () => {
    for (const seed of SEEDS) {
      const r = await run('udp-blocked-routed', strategy, seed);
      expect(r.states, `seed ${seed}`).toEqual(['completed', 'completed']);
      expect([label(r.selA?.local), label(r.selA?.remote)], `seed ${seed}`).toEqual(['host tcp-active', 'host tcp-passive']);
      // the UDP pair was checked, but the firewall dropped its checks: it never succeeded
      const udp = r.events.filter((e) => e.type === 'check' && e.pair.local.transport === 'udp');
      expect(udp.some((e) => e.type === 'check' && e.to === 'in-progress')).toBe(true);
      expect(udp.some((e) => e.type === 'check' && e.to === 'succeeded')).toBe(false);
      expect(r.got.b).toEqual(['to b 1', 'to b 2', 'to b 3']);
      expect(r.got.a).toEqual(['to a 1', 'to a 2', 'to a 3']);
    }
  });

  it('UDP dropped behind a NAT: the caller\'s active side gets out, learnt as peer-reflexive on both ends', async () => {
    for (const seed of SEEDS) {
      const r = await run('udp-blocked-nat', strategy, seed);
      expect(r.states, `seed ${seed}`).toEqual(['completed', 'completed']);
      // Our active candidate's address is private; the callee saw the NAT's: a local prflx
      // (RFC 8445 §7.2.5.3.1) whose valid pair rides the checked pair's connection.
      expect([label(r.selA?.local), label(r.selA?.remote)], `seed ${seed}`).toEqual(['prflx tcp-active', 'host tcp-passive']);
      expect([label(r.selB?.local), label(r.selB?.remote)], `seed ${seed}`).toEqual(['host tcp-passive', 'prflx tcp-active']);
      expect(r.got.b).toEqual(['to b 1', 'to b 2', 'to b 3']);
      expect(r.got.a).toEqual(['to a 1', 'to a 2', 'to a 3']);
    }
  });
});
