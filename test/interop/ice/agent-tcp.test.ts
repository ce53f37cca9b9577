import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { NodeNet } from '../../../main/net/node/node-net';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import { IceAgent, type IceAgentOptions, type IceEvent, type IceStrategy } from '../../../main/ice/agent';
import { transportLabel, type Candidate } from '../../../main/ice/candidate';
import { remoteInputOf } from '../../../main/ice/candidate-factory';

// ICE-TCP (RFC 6544) between two agents on real loopback sockets: host TCP candidates alone,
// then mixed with host UDP ones.
const clock = new RealClock();
const net = new NodeNet();

afterAll(() => {
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

function remoteOf(cands: readonly Candidate[]) {
  return cands.map(remoteInputOf);
}

async function connectPair(strategy: IceStrategy, extra: Partial<IceAgentOptions>) {
  const events: IceEvent[] = [];
  const profile = strategy === 'lync' ? lyncIce2Profile : rfc8445Profile;
  const common = {
    net,
    clock,
    strategy,
    profile,
    policy: 'host-only' as const,
    tcp: true,
    interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] as const },
    consentIntervalMs: 200,
    ...extra,
  };
  const a = new IceAgent({ ...common, random: new SeededRandom(1), role: 'controlling', onEvent: (e) => events.push(e) });
  const b = new IceAgent({ ...common, random: new SeededRandom(2), role: 'controlled' });
  await Promise.all([a.gather(), b.gather()]);
  a.setRemote({ ufrag: b.local.ufrag, pwd: b.local.pwd, candidates: remoteOf(b.localCandidates) });
  b.setRemote({ ufrag: a.local.ufrag, pwd: a.local.pwd, candidates: remoteOf(a.localCandidates) });
  a.start();
  b.start();
  for (let i = 0; i < 300 && !(a.state === 'completed' && b.state === 'completed'); i++) await new Promise((r) => setTimeout(r, 10));
  return { a, b, events };
}

/** Sends `count` numbered packets from a to b on component 1 and returns what b got, in order. */
async function exchange(a: IceAgent, b: IceAgent, count = 20): Promise<string[]> {
  const got: string[] = [];
  const all = new Promise<void>((resolve) => {
    const d = b.onData((_c, bytes) => {
      got.push(new TextDecoder().decode(bytes));
      if (got.length === count) {
        d.dispose();
        resolve();
      }
    });
  });
  // Sent back to back, so several frames share one TCP segment: the deframer splits them again.
  for (let i = 0; i < count; i++) expect(a.send(1, new TextEncoder().encode(`rtp-ish ${i}`))).toBe(true);
  await all;
  return got;
}

const sent = (count = 20) => Array.from({ length: count }, (_, i) => `rtp-ish ${i}`);

describe.each(['lync', 'rfc8445'] as const)('ICE-TCP on loopback, %s strategy', (strategy) => {
  it('TCP only: gathers passive and active host candidates, selects controlling-active ↔ controlled-passive, data both ways', async () => {
    const { a, b, events } = await connectPair(strategy, { transports: ['tcp'] });
    try {
      // RFC 6544 §4.5: the passive candidate listens on a real port; the active one says 9.
      const labels = a.localCandidates.map((c) => `${c.type} ${transportLabel(c)} ${c.address.port === 9 ? '9' : 'port'}`);
      expect(labels.sort()).toEqual(['host tcp-active 9', 'host tcp-passive port']);
      expect(a.state).toBe('completed');
      expect(b.state).toBe('completed');
      const sa = a.selectedPair(1)!;
      const sb = b.selectedPair(1)!;
      expect([sa.local.type, sa.local.transport, sa.local.tcpType, sa.remote.type, sa.remote.tcpType]).toEqual(['host', 'tcp', 'active', 'host', 'passive']);
      expect([sb.local.type, sb.local.transport, sb.local.tcpType, sb.remote.tcpType]).toEqual(['host', 'tcp', 'passive', 'active']);
      expect(sb.nominated).toBe(true);
      // the same connection on both sides: A's remote candidate is B's passive candidate
      expect(sa.remote.address).toEqual(sb.local.address);
      expect(await exchange(a, b)).toEqual(sent());
      expect(await exchange(b, a)).toEqual(sent());
      expect(events.some((e) => e.type === 'path.changed' && e.to?.local.transport === 'tcp')).toBe(true);
      // consent runs over the connection too
      await new Promise((r) => setTimeout(r, 400));
      expect(events.some((e) => e.type === 'consent' && e.ok)).toBe(true);
      expect(a.selectedPair(1)).toBe(sa);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('UDP and TCP host candidates: UDP wins on priority, TCP pairs still check', async () => {
    const { a, b, events } = await connectPair(strategy, {});
    try {
      expect(a.localCandidates.map((c) => transportLabel(c)).sort()).toEqual(['tcp-active', 'tcp-passive', 'udp']);
      expect(a.state).toBe('completed');
      expect(b.state).toBe('completed');
      expect(a.selectedPair(1)!.local.transport).toBe('udp');
      expect(b.selectedPair(1)!.local.transport).toBe('udp');
      const tcpChecked = events.filter((e) => e.type === 'check' && e.pair.local.transport === 'tcp');
      expect(tcpChecked.length).toBeGreaterThan(0);
      expect(await exchange(a, b, 5)).toEqual(sent(5));
      expect(await exchange(b, a, 5)).toEqual(sent(5));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('ICE-TCP failures', () => {
  it('a passive candidate nobody listens on any more fails its pair with the connect error', async () => {
    const events: IceEvent[] = [];
    const a = new IceAgent({
      net,
      clock,
      strategy: 'lync',
      profile: rfc8445Profile,
      policy: 'host-only',
      tcp: true,
      transports: ['tcp'],
      interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] },
      random: new SeededRandom(3),
      role: 'controlling',
      onEvent: (e) => events.push(e),
    });
    await a.gather();
    // A passive port that was just closed: the connect is refused at once.
    const gone = await net.listenTcp({ ip: '127.0.0.1' });
    await gone.close();
    a.setRemote({
      ufrag: 'peer',
      pwd: 'peerpasswordpeerpassword',
      candidates: [{ foundation: 'x', component: 1, transport: 'tcp', tcpType: 'passive', type: 'host', address: gone.local, priority: 1 }],
    });
    a.start();
    try {
      for (let i = 0; i < 200 && a.state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(a.state).toBe('failed');
      const failed = events.find((e) => e.type === 'check' && e.to === 'failed');
      expect(failed?.type === 'check' && failed.error?.code).toBe('NET_CONNECT_FAILED');
    } finally {
      await a.close();
    }
  });
});
