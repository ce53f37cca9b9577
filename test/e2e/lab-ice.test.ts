import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

// `mediapath lab ice` as a user runs it: the JSON names the selected pair and the path timeline.
const BIN = path.resolve(__dirname, '../../main/headless/bin.cjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mediapath lab ice', () => {
  it('promotion (lync): relay first, then the host pair, as JSON', async () => {
    const r = await run(['lab', 'ice', '--scenario', 'promotion', '--strategy', 'lync', '--seed', '3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      scenario: string;
      ok: boolean;
      selected: { local: { type: string; transport: string; address: string; port: number }; remote: { type: string; transport: string } };
      pathChanges: Array<{ at: number; from: string | null; to: string; reason: string }>;
      checks: Record<string, number>;
      candidates: { local: unknown[]; remote: unknown[] };
    };
    expect(j.ok).toBe(true);
    expect(j.selected.local).toMatchObject({ type: 'host', transport: 'udp' });
    expect(j.selected.remote).toMatchObject({ type: 'host', transport: 'udp' });
    expect(j.pathChanges.map((p) => p.reason)).toContain('higher-priority-succeeded');
    expect(j.checks['succeeded']).toBeGreaterThan(0);
    expect(j.candidates.local.length).toBeGreaterThan(2);
  });

  it('udp-blocked (rfc8445) ends on a relay reached over TCP, human output', async () => {
    const r = await run(['lab', 'ice', '--scenario', 'udp-blocked', '--strategy', 'rfc8445']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/selected: relay path: relay +udp via tcp/);
    expect(r.stdout).toMatch(/relay +turn 203\.0\.113\.10:3478 +udp +failed/);
  });

  it('an unknown scenario is a usage error naming the known ones', async () => {
    const r = await run(['lab', 'ice', '--scenario', 'moon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inside-inside/);
  });
});
