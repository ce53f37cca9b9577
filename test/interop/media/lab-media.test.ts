import { describe, expect, it } from 'vitest';
import { main } from '../../../main/headless/cli';
import { runMediaLab, type LabDirection, type MediaLabResult } from '../../../main/lab/media-lab';

// Accuracy through the real impairment forwarder on loopback (real sockets, real clock): the
// sessions' figures against the forwarder's record, both directions, several seeds. Runs are
// short; on a loaded machine the hops outside the impairment (loopback, event loop) cost a few
// tenths of a millisecond each way, which the lab measures from the RTP probes and reports.

function explain(d: LabDirection): string {
  return JSON.stringify({ truth: d.truth, measured: d.measured, errors: d.errors, overheadMs: d.overheadMs });
}

function expectWithin(r: MediaLabResult): void {
  for (const d of [r, r.reverse]) {
    // Loss does not depend on timing: exact, always.
    expect(d.measured.lost, explain(d)).toBe(d.truth.lost);
    expect(d.measured.expected).toBe(d.truth.sent);
    expect(d.measured.rttSamples).toBeGreaterThanOrEqual(3);
    if (!r.disturbed) expect(d.withinTolerance, `${explain(d)} sendJitter ${JSON.stringify(r.sendJitter)}`).toEqual({ loss: true, jitter: true, rtt: true, mos: true });
  }
}

/**
 * Runs the lab until a run is not disturbed by this machine's load (at most `attempts` runs).
 * The process measures its own scheduling: when it was starved (other work on the machine),
 * every real-time figure carries the stall, so accuracy is judged on an undisturbed run; if the
 * machine never allows one, only what does not depend on timing (loss) is asserted, and it says so.
 */
async function undisturbed(opts: Parameters<typeof runMediaLab>[0], attempts = 3): Promise<MediaLabResult> {
  let r = await runMediaLab(opts);
  for (let i = 1; i < attempts && r.disturbed; i++) r = await runMediaLab(opts);
  if (r.disturbed) console.warn(`lab media seed ${opts.seed}: every run disturbed (${r.disturbance}); accuracy not judged, loss checked`);
  return r;
}

describe('mediapath lab media on real sockets', { timeout: 120_000 }, () => {
  it.each([1, 2, 3])('host path, bursty loss, delay and jitter, seed %i: loss exact, every figure within tolerance when undisturbed', async (seed) => {
    const r = await undisturbed({ lossPct: 3, burst: 2, delayMs: 40, jitterMs: 10, seed, durationS: 5, network: 'real' });
    expect(r.network).toBe('real');
    expect(r.truth.lost).toBeGreaterThan(0);
    expectWithin(r);
    // The truth's RTT is what the forwarder held the SRs and reports for: ≥ 2 × 40 ms.
    expect(r.truth.rttMs!).toBeGreaterThanOrEqual(80);
    expect(r.sendJitter.samples).toBeGreaterThan(400);
  });

  it('host path with reordering and duplicates: loss still exact, duplicates seen', async () => {
    const r = await undisturbed({ lossPct: 2, delayMs: 20, jitterMs: 5, reorderPct: 5, duplicatePct: 2, seed: 7, durationS: 5, network: 'real' });
    expectWithin(r);
    expect(r.truth.duplicates).toBeGreaterThan(0);
    expect(r.measured.duplicates).toBe(r.truth.duplicates);
  });

  it('relay path: the caller sends through a real coturn allocation; loss exact, the relay hop shows as overhead', async () => {
    const r = await runMediaLab({ lossPct: 2, delayMs: 30, jitterMs: 5, seed: 4, durationS: 4, network: 'real', path: 'relay' });
    expect(r.relay?.kind).toBe('coturn');
    expect(r.relay?.relayed).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const d of [r, r.reverse]) {
      expect(d.withinTolerance.loss, explain(d)).toBe(true);
      expect(d.overheadMs).toBeGreaterThanOrEqual(0);
      // Through a second process (coturn) the hops outside the impairment vary more: figures are
      // reported, and only held to the tolerances on the virtual network (test/sim/media).
      if (!r.disturbed) expect(Math.abs(d.errors.mos), explain(d)).toBeLessThan(0.1);
    }
  });

  it('the CLI prints the issue’s JSON shape', async () => {
    let out = '';
    const code = await main(['lab', 'media', '--loss', '2', '--delay', '20', '--jitter', '4', '--seed', '5', '--duration', '3', '--json'], { out: (t) => void (out += t), err: () => undefined });
    const j = JSON.parse(out) as Record<string, unknown> & MediaLabResult;
    for (const k of ['truth', 'measured', 'errors'] as const) {
      for (const f of ['lossPct', 'jitterMs', 'rttMs', 'mos']) expect(typeof (j[k] as unknown as Record<string, unknown>)[f], `${k}.${f}`).toBe('number');
    }
    expect(typeof j.sendJitterP99Ms).toBe('number');
    expect(j.config).toMatchObject({ lossPct: 2, delayMs: 20, jitterMs: 4, seed: 5, durationS: 3 });
    expect(code).toBe(j.ok ? 0 : 1);
    expect(typeof j.disturbed).toBe('boolean');
  });

  it('the CLI refuses bad flags with a usage error', async () => {
    let err = '';
    const code = await main(['lab', 'media', '--loss', '120'], { out: () => undefined, err: (t) => void (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/--loss must be 0–100/);
  });
});
