import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { MediapathError } from '../common/errors';

/** The repository root, seen from this file (main/serve/). */
const ROOT = path.resolve(__dirname, '..', '..');
export const RENDERER_SRC = path.join(ROOT, 'renderer');
/** Where `npm run build:renderer` and `mediapath serve` put the built UI (gitignored). */
export const DEFAULT_RENDERER_OUT = path.join(ROOT, 'out', 'renderer');

/** Newest modification time under `dir` (the renderer sources and the api types they use). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

/**
 * Builds the renderer with Vite in a child process (`vite build`), so the caller's process keeps
 * no bundler service alive afterwards; output to `outDir`, emptied first.
 */
export async function buildRenderer(outDir: string = DEFAULT_RENDERER_OUT): Promise<void> {
  const vitePkg = require.resolve('vite/package.json');
  const viteBin = path.join(path.dirname(vitePkg), 'bin', 'vite.js');
  const args = [viteBin, 'build', '--config', path.join(RENDERER_SRC, 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new MediapathError('SERVE_FAILED', `vite build of the renderer failed (exit ${code}): ${output.join('').slice(-2000)}`, { layer: 'api' });
}

/** Builds unless `outDir` holds a build newer than every renderer source and main/api file. */
export async function ensureRenderer(outDir: string = DEFAULT_RENDERER_OUT, opts: { rebuild?: boolean } = {}): Promise<{ built: boolean }> {
  const index = await stat(path.join(outDir, 'index.html')).catch(() => undefined);
  if (!opts.rebuild && index) {
    const sources = Math.max(await newestMtime(RENDERER_SRC), await newestMtime(path.join(ROOT, 'main', 'api')));
    if (sources <= index.mtimeMs) return { built: false };
  }
  await buildRenderer(outDir);
  return { built: true };
}
