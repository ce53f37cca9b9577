import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MediapathError } from '../common/errors';
import { createLogger } from '../common/logger';

/**
 * The lab's real servers (coturn, Kamailio) as child processes: started with their output in a
 * log file inside a temp dir of their own, stopped by PID (SIGTERM, then SIGKILL), the temp dir
 * removed with them — and killed when the test process exits or dies of a signal, so no server
 * of ours outlives the run that started it.
 */

const log = createLogger('lab/server-process');

export interface ServerProcess {
  /** For log lines: `coturn`, `kamailio`. */
  readonly name: string;
  readonly pid: number;
  /** The server's temp dir: removed when it stops. */
  readonly dir: string;
  /** Started in a process group of its own (a server that forks workers): signals go to the group. */
  readonly group: boolean;
  readonly logPath: string;
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

export interface SpawnServerOptions {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly dir: string;
  /** stdout and stderr go here. */
  readonly logPath: string;
  readonly group?: boolean;
}

const live = new Map<number, ServerProcess>();
let hooksInstalled = false;

/** Starts the server; undefined when the binary could not be executed (the caller says why). */
export async function spawnServer(o: SpawnServerOptions): Promise<ServerProcess | undefined> {
  const fd = fs.openSync(o.logPath, 'w');
  let child: ChildProcess;
  try {
    child = spawn(o.binary, [...o.args], { cwd: o.dir, stdio: ['ignore', fd, fd], ...(o.group ? { detached: true } : {}) });
  } finally {
    fs.closeSync(fd);
  }
  return new Promise((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve(undefined);
      else log.warn({ server: o.name, err: e.message }, 'server process error');
    });
    child.once('spawn', () => {
      const pid = child.pid!;
      const done = (): boolean => child.exitCode !== null || child.signalCode !== null;
      const exited = new Promise<void>((r) => {
        if (done()) r();
        else child.once('exit', () => r());
      });
      const p: ServerProcess = { name: o.name, pid, dir: o.dir, group: o.group ?? false, logPath: o.logPath, exited, hasExited: done };
      live.set(pid, p);
      ensureExitHooks();
      resolve(p);
    });
  });
}

/**
 * SIGTERM (SIGKILL at once with `graceMs` 0), SIGKILL after `graceMs` if it is still there, waits
 * until it is reaped — for a group, then also kills what is left of the group (workers that
 * outlived their parent) — reads its log one last time, removes its temp dir. Returns the log.
 */
export async function stopServer(p: ServerProcess, graceMs: number): Promise<string> {
  if (!p.hasExited()) {
    signal(p, graceMs > 0 ? 'SIGTERM' : 'SIGKILL', graceMs === 0 && p.group);
    if (graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      });
      const stuck = await Promise.race([p.exited.then(() => false), expired]);
      clearTimeout(timer);
      if (stuck) {
        log.warn({ server: p.name, pid: p.pid }, 'ignored SIGTERM; killing');
        signal(p, 'SIGKILL', p.group);
      }
    }
    await p.exited;
  }
  if (p.group) signal(p, 'SIGKILL', true);
  const text = readText(p.logPath);
  removeDir(p.dir);
  live.delete(p.pid);
  return text;
}

/** One start of a server: running, or why not and whether it lost its port to another process. */
export type LaunchOutcome<T> = { readonly ok: true; readonly instance: T } | { readonly ok: false; readonly error: MediapathError; readonly bindConflict: boolean };

/**
 * Starts a server up to `attempts` times: only a lost race for an auto-picked port (another
 * process took it between the pick and the bind) is worth another try; anything else is thrown.
 */
export async function launchWithRetries<T>(name: string, attempts: number, launch: () => Promise<LaunchOutcome<T>>, noStart: () => MediapathError): Promise<T> {
  let lastError: MediapathError | undefined;
  for (let i = 0; i < attempts; i++) {
    const outcome = await launch();
    if (outcome.ok) return outcome.instance;
    lastError = outcome.error;
    if (!outcome.bindConflict) break;
    log.debug({ server: name, attempt: i + 1 }, 'could not bind its port; retrying with another');
  }
  throw lastError ?? noStart();
}

/** Resolves a command name on PATH, plus the sbin and bin dirs a PATH may lack. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function readText(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** The last `lines` lines of a log, for an error message. */
export function tailLines(text: string, lines: number): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n') || '(empty log)';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Signals the process, or with `toGroup` its whole process group (its PID is the group's id). */
function signal(p: ServerProcess, sig: NodeJS.Signals, toGroup: boolean): void {
  try {
    process.kill(toGroup ? -p.pid : p.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

// --- never leave a process behind ------------------------------------------------------------

function killAllSync(): void {
  for (const p of live.values()) {
    if (p.group || !p.hasExited()) signal(p, 'SIGKILL', p.group);
    removeDir(p.dir);
  }
  live.clear();
}

function ensureExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  // A fatal signal skips 'exit'. Kill the servers, then, if nobody else handles the signal,
  // re-raise it so the process still dies the way it would have without this hook.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}
