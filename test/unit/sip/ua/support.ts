import { FakeClock } from '../../../../main/common/clock';
import { SeededRandom } from '../../../../main/common/random';
import type { Net } from '../../../../main/net/types';
import { type NatConfig, type NatPreset, VirtualNetwork } from '../../../../main/net/virtual';
import type { SipTransportKind } from '../../../../main/sip/transport';
import { SipUserAgent, type SipUserAgentOptions, type UaEvent } from '../../../../main/sip/ua';
import { TestSipRegistrar, type TestRegistrarOptions } from '../../../support/sip-registrar';

export { run, settle, flush } from '../transport/support';

export const USERS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' };

/**
 * The registrar on the internet (203.0.113.10, DNS lab.test), alice behind a port-restricted
 * NAT (192.168.1.10 → 198.51.100.1), bob on the internet (203.0.113.20).
 */
export async function uaWorld(kind: SipTransportKind = 'udp', registrar: Partial<TestRegistrarOptions> = {}, seed = 1, nat: NatConfig | NatPreset = 'port-restricted-cone') {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const server = net.addHost('server', { ip: '203.0.113.10', dns: 'lab.test' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  net.addNat('nat', { inside: 'home', ip: '198.51.100.1', nat });
  const aliceHost = net.addHost('alice', { lan: 'home', ip: '192.168.1.10' });
  const bobHost = net.addHost('bob', { ip: '203.0.113.20' });
  const reg = await TestSipRegistrar.start({
    net: server,
    clock,
    kind,
    local: { ip: '203.0.113.10', port: 5060 },
    users: USERS,
    random: new SeededRandom(seed + 100),
    ...registrar,
  });
  const events: Record<string, UaEvent[]> = {};
  let n = 0;
  const ua = (user: keyof typeof USERS, host: Net, extra: Partial<SipUserAgentOptions> = {}): SipUserAgent => {
    const list: UaEvent[] = (events[user] ??= []);
    return new SipUserAgent({
      net: host,
      clock,
      random: new SeededRandom(seed * 1000 + ++n),
      transport: kind,
      registrar: { host: 'lab.test', port: 5060 },
      aor: `sip:${user}@lab.test`,
      password: USERS[user],
      onEvent: (e) => list.push(e),
      ...extra,
    });
  };
  const close = async (...uas: SipUserAgent[]): Promise<void> => {
    await Promise.all(uas.map((u) => u.close()));
    await reg.close();
    await net.close();
    if (net.openResources() !== 0) throw new Error(`open resources after close: ${net.openResources()}`);
    if (clock.pendingTimers() !== 0) throw new Error(`pending timers after close: ${clock.pendingTimers()}`);
  };
  return { clock, net, server, aliceHost, bobHost, reg, ua, events, close };
}
