import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MediapathError } from '../../common/errors';
import { ApiServer, DEFAULT_RENDERER_OUT, defaultConfigDir, ensureRenderer, FileSettingsStore, isLoopback, MemorySecretStore, startEmbeddedLab, startServe, type EmbeddedLab, type ServeHandle } from '../../serve';
import type { Output } from '../output';

interface ServeFlags {
  port: string;
  host: string;
  rebuild?: boolean;
  configDir?: string;
  lab: boolean;
  labTurn?: boolean;
}

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Resolves on the first SIGINT or SIGTERM, then stops listening for them. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerServe(program: Command, o: Output, setExit: (code: number) => void, opts: { until?: () => Promise<unknown> } = {}): void {
  program
    .command('serve')
    .description('Serve the UI to a browser (HTTP + WebSocket, token in the URL); loopback only unless --host says otherwise')
    .option('--port <n>', 'TCP port (0: any free port)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--rebuild', 'rebuild the renderer even if a build is present')
    .option('--config-dir <dir>', 'settings folder (default $XDG_CONFIG_HOME/mediapath)')
    .option('--lab', 'run the embedded lab: registrar, MRAS, TURN, bob answering, the account alice@lab.test ready (the default)', true)
    .option('--no-lab', 'no embedded lab: only accounts of your own')
    .option('--lab-turn', "the lab's own TURN server even when coturn is installed")
    .action(async (f: ServeFlags) => {
      let handle: ServeHandle | undefined;
      let lab: EmbeddedLab | undefined;
      let api: ApiServer | undefined;
      try {
        const port = Number(f.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--port must be 0–65535, got "${f.port}"`);
        if (!/^[A-Za-z0-9.:-]{1,64}$/.test(f.host)) throw usage(`--host must be an address, got "${f.host}"`);
        const { built } = await ensureRenderer(DEFAULT_RENDERER_OUT, { ...(f.rebuild ? { rebuild: true } : {}) });
        if (built) o.err(`mediapath serve: built the UI into ${path.relative(process.cwd(), DEFAULT_RENDERER_OUT) || DEFAULT_RENDERER_OUT}\n`);
        if (f.lab) {
          lab = await startEmbeddedLab({ ...(f.labTurn ? { labTurn: true } : {}) });
          o.err(`mediapath serve: embedded lab up — account ${lab.account.aor} (registrar ${lab.account.registrar}), call ${lab.calleeAor}\n${lab.description.map((d) => `  ${d}\n`).join('')}`);
        }
        // No keychain outside the desktop app: a remembered password lives as long as this process.
        api = new ApiServer({ version: packageVersion(), host: 'serve', settings: new FileSettingsStore(f.configDir ?? defaultConfigDir()), secrets: new MemorySecretStore(), ...(lab ? { lab } : {}) });
        handle = await startServe({ api, rendererDir: DEFAULT_RENDERER_OUT, host: f.host, port });
        if (!isLoopback(f.host)) o.err(`mediapath serve: listening on ${f.host}, reachable from other machines; the token in the URL is the only guard\n`);
        o.out(`mediapath serve: open ${handle.url}\n(Ctrl-C to stop)\n`);
        await (opts.until ?? untilSignal)();
        o.err('mediapath serve: stopping\n');
        setExit(0);
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        o.err(`mediapath serve: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' ? 2 : 1);
      } finally {
        await handle?.close();
        await api?.close();
        await lab?.close();
      }
    });
}
