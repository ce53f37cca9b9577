import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../main/api';
import { startVirtualLab } from '../../../main/lab/call-lab';
import { runLabCall } from '../../../main/serve/lab-call';

// The UI's lab call (main/serve/lab-call.ts), engine side, on virtual network worlds instead of
// loopback. A clean promotion (relay first, then the host path) loses nothing on either path, so
// every epoch passes and so does the call (the verdict the UI shows). With the host path cut
// mid-call, only the host epoch fails: the relay epoch after the switch lost nothing.

type Verdict = EngineEvent & { verdict: string; checks: Array<{ name: string; ok: boolean; detail?: string }> };

async function labCall(world: Parameters<typeof startVirtualLab>[0], seed: number) {
  const events: EngineEvent[] = [];
  const out = await runLabCall({ target: 'sip:bob@lab.test' } as Parameters<typeof runLabCall>[0], `sim-${world}`, (e) => events.push(e), { start: () => startVirtualLab(world, { seed }) });
  return { out, events, verdict: events.find((e) => e.type === 'verdict') as Verdict | undefined };
}

describe('the UI lab call, engine side', () => {
  it('a clean promotion ends with a pass verdict, every epoch passing', async () => {
    const { out, events, verdict } = await labCall('promotion', 3);
    expect(verdict?.checks.filter((c) => !c.ok), JSON.stringify(verdict)).toEqual([]);
    expect(out).toMatchObject({ ok: true, verdict: 'pass' });
    const paths = events.filter((e) => e.type === 'path.changed').map((e) => (e as unknown as { to?: { local: { type: string }; remote: { type: string } } }).to);
    expect(paths.some((p) => p?.local.type === 'relay' || p?.remote.type === 'relay')).toBe(true);
    expect(verdict!.checks.some((c) => /lossPct/.test(c.name))).toBe(true);
  });

  it('a cut host path: the host epoch fails with the outage, the relay epoch after it passes', async () => {
    const { out, verdict } = await labCall('consent-loss', 1);
    expect(out.verdict).toBe('fail');
    const failed = verdict!.checks.filter((c) => !c.ok).map((c) => c.name);
    // Check names are `epoch <n> <path kind> <metric>`; the host path is epoch 1, the relay epoch 2.
    expect(failed.length, JSON.stringify(verdict)).toBeGreaterThan(0);
    expect(failed.every((n) => /^epoch 1 host /.test(n)), JSON.stringify(failed)).toBe(true);
    const relayChecks = verdict!.checks.filter((c) => /^epoch 2 relay /.test(c.name));
    expect(relayChecks.length).toBeGreaterThan(0);
    expect(relayChecks.every((c) => c.ok)).toBe(true);
  });
});
