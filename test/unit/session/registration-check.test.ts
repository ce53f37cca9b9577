import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { startLabRegistrar, type RegistrarKnobs } from '../../../main/lab/registrar';
import { VirtualNetwork } from '../../../main/net/virtual';
import { runRegistrationCheck, timersWithin, type RegistrationCheckOptions, type RegistrationCheckResult } from '../../../main/session/registration-check';

// runRegistrationCheck on the virtual network in fake time: the bounds the user sets with
// --timeout hold exactly (an unanswered REGISTER, a TCP SYN into a black hole, a silent MRAS),
// and a client behind a NAT gets through every step.

const USERS = { alice: 'alicepw' };

/**
 * Advances fake time until `p` settles: to the next timer when it is due within `stepMs` (so
 * a step ends exactly when its timer fires and durations read exactly), else by `stepMs`,
 * letting promises and I/O callbacks run between moves.
 */
async function drive<T>(clock: FakeClock, p: Promise<T>, limitMs = 120_000, stepMs = 5): Promise<T> {
  let settled = false;
  const watched = p.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  const end = clock.now() + limitMs;
  while (!settled && clock.now() <= end) {
    // Let pending work arm its timers before time moves.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    if (settled) break;
    const next = clock.nextTimerAt();
    clock.advance(next !== undefined ? Math.min(stepMs, Math.max(0, next - clock.now())) : stepMs);
  }
  return p;
}

async function world(o: { knobs?: Partial<RegistrarKnobs>; dropTcpOut?: boolean } = {}) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: 7 });
  const sipHost = net.addHost('sip', { ip: '203.0.113.10' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  net.addNat('nat-home', {
    inside: 'home',
    ip: '198.51.100.1',
    nat: 'port-restricted-cone',
    ...(o.dropTcpOut ? { firewall: { rules: [{ action: 'drop', direction: 'out', proto: 'tcp', note: 'black hole for TCP' }] } } : {}),
  });
  const alice = net.addHost('alice', { lan: 'home', ip: '192.168.1.10' });
  const reg = await startLabRegistrar({
    net: sipHost,
    clock,
    random: new SeededRandom(3),
    listen: { ip: sipHost.address, udpPort: 5060, tcpPort: 5060 },
    domain: 'lab.test',
    users: USERS,
    digest: 'MD5',
    mras: { enabled: true, relays: [{ location: 'internet', directIPAddress: '203.0.113.3', udpPort: 3478, tcpPort: 443 }], turnSecret: 's' },
    ...(o.knobs ? { knobs: o.knobs } : {}),
  });
  const check = (extra: Partial<RegistrationCheckOptions>): Promise<RegistrationCheckResult> =>
    drive(
      clock,
      runRegistrationCheck({
        net: alice,
        clock,
        random: new SeededRandom(9),
        transport: 'udp',
        registrar: { address: sipHost.address, port: 5060 },
        local: { ip: alice.address },
        aor: 'sip:alice@lab.test',
        password: USERS.alice,
        location: 'internet',
        timeoutMs: 4000,
        ...extra,
      }),
    );
  const done = async (): Promise<void> => {
    await reg.stop();
    // Segments still in flight on the virtual links (a FIN) are delivered, then nothing is left.
    for (let i = 0; i < 10 && clock.pendingTimers() > 0; i++) {
      clock.runAll();
      await new Promise((r) => setImmediate(r));
    }
    expect(clock.pendingTimers()).toBe(0);
  };
  return { clock, reg, check, done };
}

describe('runRegistrationCheck in fake time', () => {
  it('through a NAT over UDP and TCP: every step, the binding removed at the end', async () => {
    const w = await world();
    for (const transport of ['udp', 'tcp'] as const) {
      // A fresh random source per run: equal seeds would repeat the Via branch, and the registrar
      // would rightly take the second REGISTER for a retransmission of the first (RFC 3261 §17.2.3).
      const r = await w.check({ transport, random: new SeededRandom(transport === 'udp' ? 21 : 22) });
      expect(r.error).toBeUndefined();
      expect(r.steps.map((s) => s.name)).toEqual(['register', 'provisioning', 'mras', 'unregister']);
      expect(r.registered.contact).toContain('198.51.100.1');
      expect(r.mras?.relays[0]).toEqual({ host: '203.0.113.3', udpPort: 3478, tcpPort: 443, location: 'internet' });
      expect(w.reg.bindings()).toEqual([]);
    }
    await w.done();
  });

  it.each([500, 4000, 32_000])('nobody at the address over UDP: SIP_TIMEOUT no later than --timeout %i ms', async (timeoutMs) => {
    const w = await world();
    const r = await w.check({ registrar: { address: '203.0.113.99', port: 5060 }, timeoutMs });
    expect(r.error?.code).toBe('SIP_TIMEOUT');
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]!.ms).toBeLessThanOrEqual(timeoutMs);
    // Timer F is 64·T1: the scaled T1 uses the whole bound but never passes it.
    expect(r.steps[0]!.ms).toBeGreaterThan(timeoutMs / 2);
    await w.done();
  });

  it('a TCP SYN into a black hole: connect gives up at --timeout, presented as SIP_TIMEOUT (registrar unreachable)', async () => {
    const w = await world({ dropTcpOut: true });
    const r = await w.check({ transport: 'tcp', timeoutMs: 3000 });
    expect(r.error).toMatchObject({ code: 'SIP_TIMEOUT', cause: { code: 'NET_CONNECT_FAILED' } });
    expect(r.steps[0]!.ms).toBeLessThanOrEqual(3000);
    await w.done();
  });

  it('a silent MRAS: no relay credentials after --timeout, still un-registered', async () => {
    const w = await world({ knobs: { mrasSilent: true } });
    const r = await w.check({ timeoutMs: 2500 });
    expect(['MRAS_TIMEOUT', 'SIP_TIMEOUT']).toContain(r.error?.code);
    const mras = r.steps.find((s) => s.name === 'mras')!;
    expect(mras.ok).toBe(false);
    expect(mras.ms).toBeLessThanOrEqual(2500);
    expect(r.diagnosis[0]).toMatch(/^no relay credentials: the MRAS service did not answer within 2500 ms/);
    expect(r.steps.at(-1)).toMatchObject({ name: 'unregister', ok: true });
    await w.done();
  });

  it('timersWithin keeps Timer F (64·T1) inside the bound and T2 ≥ T1', () => {
    for (const ms of [100, 640, 1000, 10_000, 32_000, 600_000]) {
      const t = timersWithin(ms);
      expect(64 * t.t1!).toBeLessThanOrEqual(Math.max(64, ms));
      expect(t.t2!).toBeGreaterThanOrEqual(t.t1!);
      expect(t.t1!).toBeLessThanOrEqual(500);
    }
  });
});
