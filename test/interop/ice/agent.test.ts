import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { NodeNet } from '../../../main/net/node/node-net';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import { IceAgent, type IceAgentOptions, type IceEvent, type IceStrategy } from '../../../main/ice/agent';
import type { Candidate } from '../../../main/ice/candidate';
import { remoteInputOf } from '../../../main/ice/candidate-factory';
import { longTermCredentials } from '../../../main/turn';
import { startLongTermCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';

// Two agents on real loopback sockets: host-only, and relay-only through a real coturn.
let coturn: LabCoturn;
const clock = new RealClock();
const net = new NodeNet();

beforeAll(async () => {
  coturn = await startLongTermCoturn({ ip: '127.0.0.1' });
});

afterAll(async () => {
  await stopAllCoturn();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

function remoteOf(cands: readonly Candidate[]) {
  return cands.map(remoteInputOf);
}

async function connectPair(strategy: IceStrategy, extra: Partial<IceAgentOptions>) {
  const events: IceEvent[] = [];
  const common = {
    net,
    clock,
    strategy,
    interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] as const },
    consentIntervalMs: 200,
    ...extra,
  };
  const a = new IceAgent({ ...common, random: new SeededRandom(1), role: 'controlling', profile: strategy === 'lync' ? lyncIce2Profile : rfc8445Profile, onEvent: (e) => events.push(e) });
  const b = new IceAgent({ ...common, random: new SeededRandom(2), role: 'controlled', profile: strategy === 'lync' ? lyncIce2Profile : rfc8445Profile });
  await Promise.all([a.gather(), b.gather()]);
  a.setRemote({ ufrag: b.local.ufrag, pwd: b.local.pwd, candidates: remoteOf(b.localCandidates) });
  b.setRemote({ ufrag: a.local.ufrag, pwd: a.local.pwd, candidates: remoteOf(a.localCandidates) });
  a.start();
  b.start();
  for (let i = 0; i < 300 && !(a.state === 'completed' && b.state === 'completed'); i++) await new Promise((r) => setTimeout(r, 10));
  return { a, b, events };
}

async function exchange(a: IceAgent, b: IceAgent): Promise<string> {
  const got = new Promise<string>((resolve) => {
    const d = b.onData((_c, bytes) => {
      d.dispose();
      resolve(new TextDecoder().decode(bytes));
    });
  });
  expect(a.send(1, new TextEncoder().encode('rtp-ish payload'))).toBe(true);
  return got;
}

describe.each(['lync', 'rfc8445'] as const)('ICE on loopback, %s strategy', (strategy) => {
  it('host-only: both sides select the host UDP pair and exchange data', async () => {
    const { a, b, events } = await connectPair(strategy, { policy: 'host-only' });
    try {
      expect(a.state).toBe('completed');
      expect(b.state).toBe('completed');
      const sel = a.selectedPair(1)!;
      expect(sel.local.type).toBe('host');
      expect(sel.remote.type).toBe('host');
      expect(b.selectedPair(1)!.nominated).toBe(true);
      expect(await exchange(a, b)).toBe('rtp-ish payload');
      expect(await exchange(b, a)).toBe('rtp-ish payload');
      expect(events.some((e) => e.type === 'path.changed')).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('relay-only through coturn (UDP and TCP allocations): selects a relay pair and exchanges data', async () => {
    const relays = [{ address: coturn.udp, transports: ['udp', 'tcp'] as const, credentials: longTermCredentials('alice', 'alicepw') }];
    const { a, b } = await connectPair(strategy, { policy: 'relay-only', relays: relays.map((r) => ({ ...r, transports: [...r.transports] })) });
    try {
      expect(a.state).toBe('completed');
      const sel = a.selectedPair(1)!;
      expect(sel.local.type).toBe('relay');
      expect(await exchange(a, b)).toBe('rtp-ish payload');
      expect(await exchange(b, a)).toBe('rtp-ish payload');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('ICE on IPv6 loopback', () => {
  it('gathers IPv6 host candidates and connects over ::1', async () => {
    const { a, b } = await connectPair('lync', { policy: 'host-only', interfaces: { allowLoopback: true, include: ['::1/128'], families: [6] } });
    try {
      expect(a.state).toBe('completed');
      const sel = a.selectedPair(1)!;
      expect(sel.local.address.ip).toBe('::1');
      expect(sel.remote.address.ip).toBe('::1');
      expect(await exchange(a, b)).toBe('rtp-ish payload');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
