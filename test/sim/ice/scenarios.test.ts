import { describe, expect, it } from 'vitest';
import { EXPECTED_PATH, ICE_SCENARIOS, runIceScenario } from '../../../main/lab/ice-scenarios';

// Every field scenario reaches the path a Lync client reaches, under each strategy it applies to,
// over several seeds (loss-free links, so the seed varies ports, credentials and timing jitter).
const SEEDS = [1, 2, 3, 4, 5];

describe.each(['lync', 'rfc8445'] as const)('ICE scenarios on the virtual network, %s strategy', (strategy) => {
  for (const name of ICE_SCENARIOS.filter((n) => EXPECTED_PATH[n].strategies.includes(strategy))) {
    it(`${name} → ${EXPECTED_PATH[name].path}${EXPECTED_PATH[name].relayProtocol ? ` over ${EXPECTED_PATH[name].relayProtocol}` : ''}`, async () => {
      for (const seed of SEEDS) {
        const r = await runIceScenario(name, { strategy, seed });
        expect(r.error, `seed ${seed}`).toBeUndefined();
        expect(r.selected?.path, `seed ${seed}: ${JSON.stringify(r.pathChanges)}`).toBe(EXPECTED_PATH[name].path);
        expect(r.ok, `seed ${seed}`).toBe(true);
        if (name === 'promotion' && strategy === 'lync') {
          expect(r.pathChanges[0]!.reason).toBe('first-success');
          expect(r.pathChanges[0]!.to).toMatch(/relay/);
          expect(r.pathChanges.some((c) => c.reason === 'higher-priority-succeeded')).toBe(true);
        }
        if (name === 'consent-loss') {
          const lost = r.pathChanges.find((c) => c.reason === 'consent-lost');
          expect(lost?.from).toMatch(/^host/);
          expect(lost?.to).toMatch(/relay/);
        }
        if (name === 'udp-blocked') {
          expect(r.selected?.local.type).toBe('relay');
          expect(r.selected?.local.relayProtocol).toBe('tcp');
          expect(r.gather.filter((g) => g.kind === 'relay' && g.protocol === 'udp').every((g) => g.state === 'failed')).toBe(true);
        }
      }
    });
  }
});

describe('scenario runs', () => {
  it('repeat exactly for a seed', async () => {
    const a = await runIceScenario('promotion', { strategy: 'lync', seed: 7 });
    const b = await runIceScenario('promotion', { strategy: 'lync', seed: 7 });
    expect(b.pathChanges).toEqual(a.pathChanges);
    expect(b.selected).toEqual(a.selected);
  });

  it('refuse an unknown scenario with a coded error', async () => {
    await expect(runIceScenario('nope' as never)).rejects.toMatchObject({ code: 'SCENARIO_INVALID' });
  });
});

describe('data path across path changes', () => {
  it.each(['promotion', 'consent-loss'] as const)('%s: a 20 ms stream keeps flowing through every path change', async (name) => {
    const received: number[] = [];
    let sent = 0;
    const r = await runIceScenario(name, {
      strategy: 'lync',
      seed: 2,
      onStarted: ({ caller, callee, clock }) => {
        callee.onData((_c, bytes) => received.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)));
        const tick = (): void => {
          if (caller.state === 'closed') return;
          const b = new Uint8Array(160);
          new DataView(b.buffer).setUint32(0, sent);
          if (caller.send(1, b)) sent++;
          clock.setTimeout(tick, 20);
        };
        tick();
      },
    });
    expect(r.ok).toBe(true);
    expect(r.pathChanges.length).toBeGreaterThanOrEqual(2);
    expect(sent).toBeGreaterThan(100);
    const got = new Set(received);
    if (name === 'promotion') {
      // Old and new paths both work: nothing is lost across the promotion.
      expect(got.size).toBe(sent);
    } else {
      // The cut path drops what is sent between the cut and the consent verdict; after the
      // switch to the relay everything arrives again.
      const lostAt = r.pathChanges.find((c) => c.reason === 'consent-lost')!.at;
      // (the last few are still in flight when the run stops)
      const afterSwitch = [...Array(sent - 5).keys()].filter((i) => i * 20 > lostAt + 100);
      expect(afterSwitch.length).toBeGreaterThan(50);
      expect(afterSwitch.filter((i) => !got.has(i)), `lost at ${lostAt}, sent ${sent}`).toEqual([]);
    }
  });
});

describe('nomination and failures', () => {
  it('every run leaves no timers and no open sockets', async () => {
    for (const name of ['inside-inside', 'symmetric', 'udp-blocked'] as const) {
      const r = await runIceScenario(name, { strategy: 'lync', seed: 9 });
      expect(r.leftovers).toEqual({ timers: 0, openResources: 0 });
    }
  });

  it.each(['lync', 'rfc8445'] as const)('aggressive nomination (%s) reaches the same paths', async (strategy) => {
    for (const name of ['inside-inside', 'inside-outside', 'symmetric'] as const) {
      const r = await runIceScenario(name, { strategy, seed: 4, nomination: 'aggressive' });
      expect(r.selected?.path, name).toBe(EXPECTED_PATH[name].path);
    }
  });

  it('a relay that dies under the selected path is reported as relay-failed', async () => {
    // UDP is blocked, so the only path is the relay reached over TCP; the TURN server stops at 2 s.
    const r = await runIceScenario('udp-blocked', { strategy: 'lync', seed: 1, failRelayAfterMs: 2000 });
    const failed = r.pathChanges.find((c) => c.reason === 'relay-failed');
    expect(failed?.from).toMatch(/^relay/);
    expect(failed?.at).toBeGreaterThanOrEqual(2000);
    expect(r.leftovers).toEqual({ timers: 0, openResources: 0 });
  });
});
