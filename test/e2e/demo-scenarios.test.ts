import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CALL_EXPECTATIONS, CALL_SCENARIOS } from '../../main/lab/call-lab';
import type { Report } from '../../main/report';

// Every field scenario end to end through the CLI (`mediapath demo --scenario NAME`): SIP, MRAS,
// TURN and media on the virtual network. The caller's report ends on the path the field expects
// (PROTOCOLS.md §7) with the diagnoses the rules give, and the exit code follows the verdict.

const BIN = path.resolve(__dirname, '../../main/headless/bin.cjs');
const out = mkdtempSync(path.join(os.tmpdir(), 'mediapath-scenarios-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mediapath demo --scenario', () => {
  for (const name of CALL_SCENARIOS) {
    it(name, async () => {
      const r = await run(['demo', '--scenario', name, '--json', '--quiet', '--out', out]);
      const report = JSON.parse(r.stdout) as Report;
      const exp = CALL_EXPECTATIONS[name];
      expect(r.code, r.stderr).toBe(report.exitCode);
      expect(report.run.meta).toMatchObject({ demo: name, network: 'virtual' });
      expect(report.finalPath?.pathKind ?? null).toBe(exp.path);
      if (exp.relayProtocol && report.finalPath?.local === 'relay') expect(report.finalPath.label).toMatch(new RegExp(`^relay/udp\\(${exp.relayProtocol}\\)`));
      if (exp.pathChange) expect(report.pathChanges.map((c) => c.reason)).toContain(exp.pathChange);
      expect(report.diagnoses.map((d) => d.id)).toEqual(exp.diagnoses);
      if (exp.path === null) expect(report.verdict).toBe('error');
      else expect(report.phases.every((p) => p.ok)).toBe(true);
    });
  }

  it('human output says whether the scenario went as the field expects', async () => {
    const r = await run(['demo', '--scenario', 'udp-blocked', '--quiet', '--out', out]);
    expect(r.stdout).toMatch(/^Scenario udp-blocked: as expected: relay \(relay over tcp\), diagnoses \[relay-one-transport\]$/m);
    expect(r.stdout).toMatch(/relay-one-transport/);
  });
});
