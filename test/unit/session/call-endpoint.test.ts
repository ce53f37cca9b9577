import { describe, expect, it } from 'vitest';
import type { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { startVirtualLab } from '../../../main/lab/call-lab';
import { timelineSink } from '../../../main/session/call-events';
import { Endpoint } from '../../../main/session/endpoint';
import { Timeline } from '../../../main/session/timeline';

// One account's start on the virtual network (fake time): REGISTER, the provisioning SUBSCRIBE,
// MRAS credentials turned into the gatherer's relays (UDP port, then TCP), and the renewal at 80 %
// of their lifetime that later calls gather with.

async function advance(clock: FakeClock, ms: number, stepMs = 50): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await new Promise<void>((r) => setImmediate(r));
  }
}

describe('Endpoint', () => {
  it('registers, provisions, gets MRAS relays, renews the credentials later calls gather with', async () => {
    const world = await startVirtualLab('inside-outside', { seed: 4 });
    const clock = world.clock as FakeClock;
    const timeline = Timeline.start(clock, { toolVersion: 'test' });
    const p = world.caller;
    const ep = new Endpoint({
      net: p.net,
      clock,
      random: new SeededRandom(4),
      sink: timelineSink(timeline),
      account: { aor: p.aor, password: p.password },
      registrar: { address: world.registrar.address, port: world.registrar.udpPort },
      transport: 'udp',
      sipLocal: { ip: p.ip },
      registerExpires: 600,
      mras: { durationMinutes: 10 },
      ice: { strategy: 'lync' },
    });
    try {
      const ready = await world.run(ep.start());
      expect(ready.mrasUri).toMatch(/^sip:mras@lab\.test/);
      expect(ready.relays.map((r) => `${r.address.ip}:${r.address.port}/${r.transports.join(',')}`)).toEqual(['203.0.113.10:3478/udp', '203.0.113.10:443/tcp']);
      const first = ready.relays[0]!.credentials;
      expect(first).toMatchObject({ kind: 'rest', username: expect.stringMatching(/^\d+:alice$/) });
      expect(ep.state).toBe('ready');
      // 80 % of 10 minutes later the MRAS client asks again; the next call gets the new credentials.
      await advance(clock, 8.2 * 60_000);
      const renewed = ep.relays[0]!.credentials;
      expect(renewed.username).not.toBe(first.username);
      const grants = timeline.events.filter((e) => e.type === 'mras.credentials');
      expect(grants.map((g) => g['renewal'])).toEqual([false, true]);
      const phases = timeline.events.filter((e) => e.type === 'phase').map((e) => `${e['name']}:${e['state']}`);
      expect(phases).toEqual(['registration:running', 'registration:done', 'mras:running', 'mras:done']);
      expect(timeline.events.find((e) => e.type === 'provisioning')).toMatchObject({ ok: true, mrasUri: ready.mrasUri, minAudioPort: 50000, maxAudioPort: 50039 });
    } finally {
      await world.run(ep.close());
      await world.close();
    }
    expect(ep.state).toBe('closed');
    expect(world.leftovers()).toEqual({ timers: 0, openResources: 0 });
  });
});
