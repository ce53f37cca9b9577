import { describe, expect, it } from 'vitest';
import { main } from '../../../main/headless/cli';
import { runMediaLab } from '../../../main/lab/media-lab';

// `mediapath lab media --network virtual`: the same run as on real sockets (forwarder, sessions,
// truth), in fake time, where nothing but the measurement can differ from the truth.

describe('lab media on the virtual network', () => {
  it.each([1, 2, 3, 4])('host path, seed %i: all four figures within tolerance both ways', async (seed) => {
    const r = await runMediaLab({ lossPct: 4, burst: 3, delayMs: 35, jitterMs: 15, reorderPct: 3, duplicatePct: 1, seed, durationS: 20, network: 'virtual' });
    for (const d of [r, r.reverse]) {
      expect(d.withinTolerance).toEqual({ loss: true, jitter: true, rtt: true, mos: true });
      expect(d.measured.lost).toBe(d.truth.lost);
      expect(Math.abs(d.errors.rttMaxAbsMs!)).toBeLessThan(0.05);
      expect(Math.abs(d.overheadMs)).toBeLessThan(0.01);
    }
    expect(r.disturbed).toBe(false);
    expect(r.sendJitterP99Ms).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('relay path through the lab TURN server: same accuracy, the relay address reported', async () => {
    const r = await runMediaLab({ lossPct: 2, delayMs: 25, jitterMs: 8, seed: 6, durationS: 15, network: 'virtual', path: 'relay' });
    expect(r.relay).toMatchObject({ kind: 'lab', relayed: expect.stringMatching(/^203\.0\.113\.10:\d+$/) });
    expect(r.ok).toBe(true);
  });

  it('a clean path measures a round trip of twice the injected delay, within 1 ms', async () => {
    const r = await runMediaLab({ lossPct: 0, delayMs: 45, jitterMs: 0, seed: 1, durationS: 10, network: 'virtual' });
    expect(Math.abs(r.measured.rttMs! - 90)).toBeLessThan(1);
    expect(r.measured.lossPct).toBe(0);
    expect(r.measured.mos).toBeCloseTo(r.truth.mos, 6);
  });

  it('refuses impossible settings with a coded error', async () => {
    await expect(runMediaLab({ lossPct: 150, delayMs: 0, jitterMs: 0, seed: 1, durationS: 1, network: 'virtual' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(runMediaLab({ lossPct: 1, delayMs: 0, jitterMs: 0, seed: -1, durationS: 1, network: 'virtual' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the CLI runs media over an ICE scenario and prints one row per path epoch', async () => {
    let out = '';
    const code = await main(['lab', 'media', '--ice', 'promotion', '--seed', '3', '--json'], { out: (t) => void (out += t), err: () => undefined });
    expect(code).toBe(0);
    const j = JSON.parse(out) as { ok: boolean; callerToCallee: Array<{ path: { kind: string } | null; sent: number; lost: number }> };
    const used = j.callerToCallee.filter((e) => e.sent > 0);
    expect(used[0]!.path!.kind).toBe('relay');
    expect(used[used.length - 1]!.path!.kind).toBe('host');
    expect(used.every((e) => e.lost === 0)).toBe(true);
    let text = '';
    await main(['lab', 'media', '--ice', 'promotion', '--seed', '3'], { out: (t) => void (text += t), err: () => undefined });
    expect(text).toMatch(/caller → callee\n\s+epoch path/);
    expect(text).toMatch(/higher-priority-succeeded: host\/udp/);
  });
});
