import { describe, expect, it } from 'vitest';
import { main } from '../../../main/headless/cli';
import { runIceMatrix, type IceMatrixResult } from '../../../main/lab/media-matrix';

// The path matrix on the virtual network: probe streams over every valid ICE pair of a field
// scenario, at once or in turn, each path with its own figures both ways.

function expectClean(r: IceMatrixResult): void {
  expect(r.scenario.leftovers).toEqual({ timers: 0, openResources: 0 });
  expect(r.unattributed).toEqual({ caller: 0, callee: 0 });
  for (const row of r.rows) expect(row.offPath).toEqual({ caller: 0, callee: 0 });
}

describe('path matrix', () => {
  it('promotion, all at once: the host path and every relay path get figures both ways', async () => {
    const r = await runIceMatrix('promotion', { seed: 2 });
    expectClean(r);
    expect(r.mode).toBe('parallel');
    const kinds = new Set(r.rows.map((x) => x.path.kind));
    expect(kinds).toEqual(new Set(['host', 'relay']));
    expect(r.rows.length).toBeGreaterThanOrEqual(3);
    // Distinct paths: no two rows send from the same place to the same address.
    expect(new Set(r.rows.map((x) => x.path.label)).size).toBe(r.rows.length);
    for (const row of r.rows) {
      const there = row.callerToCallee;
      const back = row.calleeToCaller!;
      // Every probe ran the whole slot at once, and nothing on these paths loses a packet.
      expect(row.startMs).toBe(r.rows[0]!.startMs);
      expect(there.sent).toBeGreaterThanOrEqual(190);
      expect(there.received).toBe(there.sent);
      expect(back.sent).toBeGreaterThan(150);
      expect(back.received).toBe(back.sent);
      expect(there.lost + back.lost).toBe(0);
      expect(there.rttMs).toBeDefined();
      expect(there.mos!).toBeGreaterThan(4.3);
      expect(row.calleePair).not.toBeNull();
    }
    const host = r.rows.find((x) => x.path.kind === 'host')!;
    expect(host.selected).toBe(true);
    // Through the relay is farther than across the LAN.
    for (const row of r.rows.filter((x) => x.path.kind === 'relay')) expect(row.callerToCallee.rttMs!).toBeGreaterThan(host.callerToCallee.rttMs! + 20);
  });

  it('inside-outside: the reflexive path is a row of its own beside the relay paths', async () => {
    const r = await runIceMatrix('inside-outside', { seed: 1, perPathMs: 2000 });
    expectClean(r);
    const srflx = r.rows.filter((x) => x.path.kind === 'srflx');
    expect(srflx.length).toBeGreaterThanOrEqual(1);
    expect(srflx.some((x) => x.selected)).toBe(true);
    expect(r.rows.some((x) => x.path.kind === 'relay')).toBe(true);
    for (const row of r.rows) expect(row.callerToCallee.received).toBe(row.callerToCallee.sent);
  });

  it.each([1, 2])('loss on the direct path degrades only that row (seed %i)', async (seed) => {
    const r = await runIceMatrix('inside-inside', { seed, perPathMs: 3000, impair: { callee: [{ match: { peer: '10.1.0.11' }, loss: 0.2 }] } });
    expectClean(r);
    const host = r.rows.find((x) => x.path.kind === 'host')!;
    expect(host.callerToCallee.lossPct).toBeGreaterThan(8);
    expect(host.calleeToCaller!.lossPct).toBeGreaterThan(8);
    expect(host.callerToCallee.mos!).toBeLessThan(3.5);
    const others = r.rows.filter((x) => x !== host);
    expect(others.length).toBeGreaterThanOrEqual(2);
    for (const row of others) {
      expect(row.callerToCallee.lost).toBe(0);
      expect(row.calleeToCaller!.lost).toBe(0);
      expect(row.callerToCallee.mos!).toBeGreaterThan(4.3);
    }
  });

  it('in turn: one path after the other, each measured in its own slot', async () => {
    const r = await runIceMatrix('promotion', { seed: 1, mode: 'sequential', perPathMs: 1500, maxPaths: 4 });
    expectClean(r);
    expect(r.mode).toBe('sequential');
    expect(r.rows).toHaveLength(4);
    expect(r.skippedPaths).toBeGreaterThan(0);
    for (let i = 1; i < r.rows.length; i++) expect(r.rows[i]!.startMs).toBeGreaterThanOrEqual(r.rows[i - 1]!.endMs);
    for (const row of r.rows) {
      expect(row.endMs - row.startMs).toBe(1500);
      expect(row.callerToCallee.sent).toBeGreaterThanOrEqual(70);
      expect(row.callerToCallee.lost).toBe(0);
      expect(row.calleeToCaller!.lost).toBe(0);
      // The epoch spans the slot, not the run.
      expect(row.callerToCallee.durationMs).toBeLessThanOrEqual(1500);
    }
  });

  it('refuses nonsense settings', async () => {
    await expect(runIceMatrix('promotion', { perPathMs: 10 })).rejects.toThrow(/per path/);
    await expect(runIceMatrix('promotion', { mode: 'sideways' as 'parallel' })).rejects.toThrow(/mode/);
  });
});

describe('mediapath lab media --ice … --matrix', () => {
  it('prints the matrix as JSON with a row per path', async () => {
    let out = '';
    const code = await main(['lab', 'media', '--ice', 'promotion', '--matrix', '--per-path', '1', '--json'], { out: (t) => void (out += t), err: () => undefined });
    expect(code).toBe(0);
    const j = JSON.parse(out) as { ok: boolean; mode: string; rows: Array<{ path: { kind: string }; callerToCallee: { lossPct: number; mos?: number } }> };
    expect(j.ok).toBe(true);
    expect(j.mode).toBe('parallel');
    expect(j.rows.length).toBeGreaterThanOrEqual(3);
    for (const row of j.rows) expect(row.callerToCallee.lossPct).toBe(0);
  });

  it('prints a table with --degrade hitting one row, and refuses bad flags with exit 2', async () => {
    let text = '';
    const code = await main(['lab', 'media', '--ice', 'inside-inside', '--matrix', 'sequential', '--per-path', '2', '--degrade', '10.1.0.11:30'], { out: (t) => void (text += t), err: () => undefined });
    expect(code).toBe(0);
    expect(text).toMatch(/path matrix, \d+ valid paths probed one after the other/);
    expect(text).toMatch(/^\s+0 host\s+yes\s+100\s+[1-9]\d*\s/m);
    const bad = async (args: string[]): Promise<number> => main(['lab', 'media', ...args], { out: () => undefined, err: () => undefined });
    expect(await bad(['--ice', 'promotion', '--matrix', 'sideways'])).toBe(2);
    expect(await bad(['--matrix'])).toBe(2);
    expect(await bad(['--ice', 'promotion', '--degrade', '10.1.0.11:5'])).toBe(2);
    expect(await bad(['--ice', 'promotion', '--matrix', '--degrade', 'nonsense'])).toBe(2);
  });
});
