import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { createLogger } from '../common/logger';
import { pickFreePort } from './free-port';
import { findExecutable, launchWithRetries, readText, sleep, spawnServer, stopServer, tailLines, type LaunchOutcome, type ServerProcess } from './server-process';
import { tcpConnectPing, udpBindingPing } from './stun-ping';

/**
 * The coturn runner: a real Debian `turnserver` on loopback, with a generated command line and
 * every file it writes (log, pidfile, user db) in a fresh temp dir. The lab and the interop
 * tests use it; nothing in the engine imports it.
 *
 * Traps handled here (see LAB.md): `-n` so /etc/turnserver.conf is never read; loopback peers
 * are refused with 403 unless `--allow-loopback-peers`; a second turnserver on the same ip:port
 * starts silently and shares traffic (SO_REUSEPORT), so ports are picked free and every process
 * is killed by its own PID; coturn retries a busy listener forever instead of exiting, so the
 * log is watched for bind failures; long-term users and a shared secret cannot be mixed in one
 * instance (the secret wins), so `auth` is one or the other.
 */

export interface CoturnUser {
  readonly name: string;
  readonly password: string;
}

export type CoturnAuth =
  | { readonly kind: 'long-term'; readonly users: readonly CoturnUser[] }
  /** TURN REST API credentials (username `expiry:user`, password base64 HMAC-SHA1 of the secret). */
  | { readonly kind: 'shared-secret'; readonly secret: string };

export interface CoturnTlsOptions {
  /** TLS listening port; 0 or omitted picks a free one. */
  readonly port?: number;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface CoturnLifetimes {
  /** `--max-allocate-lifetime`: caps the LIFETIME a client may ask for (coturn default 3600 s). */
  readonly maxAllocateSec?: number;
  /** `--channel-lifetime` (coturn default 600 s). */
  readonly channelSec?: number;
  /** `--permission-lifetime` (coturn default 300 s). */
  readonly permissionSec?: number;
  /** `--stale-nonce=N`: nonces expire after N s, so clients see 438 (RFC 8656 §7.2). */
  readonly staleNonceSec?: number;
}

export interface CoturnOptions {
  /** Listening (and by default relay) address; any 127.x works on Linux. Default 127.0.0.1. */
  readonly ip?: string;
  /** UDP and TCP listening port (the same number for both); 0 or omitted picks a free one. */
  readonly port?: number;
  readonly tls?: CoturnTlsOptions;
  /** Relay address; defaults to `ip`. */
  readonly relayIp?: string;
  /** Relay port range; default: a random 200-port block in 20000–29999 (below Linux's ephemeral range). */
  readonly relayPorts?: { readonly min: number; readonly max: number };
  /** Default `lab.test`. */
  readonly realm?: string;
  readonly auth: CoturnAuth;
  readonly lifetimes?: CoturnLifetimes;
  /** `-v`: coturn logs every allocation, refresh, permission and channel. */
  readonly verbose?: boolean;
  /** Appended after the generated arguments. */
  readonly extraArgs?: readonly string[];
  /** Give up waiting for readiness after this long. Default 10 s. */
  readonly startTimeoutMs?: number;
  /** Path or command name of the server binary. Default `turnserver` on PATH. */
  readonly binary?: string;
}

export interface CoturnInstance {
  readonly udp: TransportAddress;
  readonly tcp: TransportAddress;
  readonly tls?: TransportAddress;
  readonly relayIp: string;
  readonly relayPorts: { readonly min: number; readonly max: number };
  readonly realm: string;
  readonly auth: CoturnAuth;
  readonly pid: number;
  /** The temp dir holding log, pidfile and user db; removed by stop(). */
  readonly dir: string;
  readonly logPath: string;
  /** The command line with passwords and secrets masked. */
  readonly args: readonly string[];
  /** coturn's log so far (kept in memory after stop(), when the file is gone). */
  log(): string;
  readonly running: boolean;
  /** SIGTERM by PID, SIGKILL after ~3 s, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Everything the command line depends on, with ports already chosen. */
export interface CoturnCommand {
  readonly ip: string;
  readonly port: number;
  readonly tls?: { readonly port: number; readonly certPath: string; readonly keyPath: string };
  readonly relayIp: string;
  readonly relayPorts: { readonly min: number; readonly max: number };
  readonly realm: string;
  readonly auth: CoturnAuth;
  readonly lifetimes?: CoturnLifetimes;
  readonly verbose?: boolean;
  readonly extraArgs?: readonly string[];
  readonly dir: string;
}

export const COTURN_INSTALL_HINT = 'install it with: apt-get install -y --no-install-recommends coturn';
const DEFAULT_REALM = 'lab.test';
const DEFAULT_START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const PROBE_TIMEOUT_MS = 200;
const PROBE_INTERVAL_MS = 50;
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 25;

const log = createLogger('lab/coturn');

/** The turnserver argument vector for `cmd` (pure, so it can be checked without a process). */
export function coturnArgs(cmd: CoturnCommand): string[] {
  const a: string[] = [
    '-n',
    `--listening-ip=${cmd.ip}`,
    `--relay-ip=${cmd.relayIp}`,
    `--listening-port=${cmd.port}`,
    `--min-port=${cmd.relayPorts.min}`,
    `--max-port=${cmd.relayPorts.max}`,
    `--realm=${cmd.realm}`,
  ];
  switch (cmd.auth.kind) {
    case 'long-term':
      a.push('--lt-cred-mech', ...cmd.auth.users.map((u) => `--user=${u.name}:${u.password}`));
      break;
    case 'shared-secret':
      a.push('--use-auth-secret', `--static-auth-secret=${cmd.auth.secret}`);
      break;
  }
  a.push('--fingerprint', '--allow-loopback-peers', '--no-multicast-peers', '--no-dtls', '--no-cli');
  if (cmd.tls) {
    a.push(`--tls-listening-port=${cmd.tls.port}`, `--cert=${cmd.tls.certPath}`, `--pkey=${cmd.tls.keyPath}`);
  } else {
    a.push('--no-tls');
  }
  const lt = cmd.lifetimes;
  if (lt?.maxAllocateSec !== undefined) a.push(`--max-allocate-lifetime=${lt.maxAllocateSec}`);
  if (lt?.channelSec !== undefined) a.push(`--channel-lifetime=${lt.channelSec}`);
  if (lt?.permissionSec !== undefined) a.push(`--permission-lifetime=${lt.permissionSec}`);
  // coturn's optional-argument form: only `--stale-nonce=N` sets the value.
  if (lt?.staleNonceSec !== undefined) a.push(`--stale-nonce=${lt.staleNonceSec}`);
  if (cmd.verbose) a.push('-v');
  a.push(
    `--userdb=${path.join(cmd.dir, 'turndb.sqlite')}`,
    `--pidfile=${path.join(cmd.dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
  );
  if (cmd.extraArgs) a.push(...cmd.extraArgs);
  return a;
}

/** The same vector with user passwords and the shared secret masked, for logs and reports. */
export function redactCoturnArgs(args: readonly string[]): string[] {
  return args.map((x) => {
    const user = /^--user=([^:]*):/.exec(x);
    if (user) return `--user=${user[1]}:***`;
    if (x.startsWith('--static-auth-secret=')) return '--static-auth-secret=***';
    return x;
  });
}

/**
 * Starts coturn and resolves once it answers a STUN Binding over UDP and accepts TCP (and TLS)
 * connections. Throws LAB_COTURN_MISSING when turnserver is not installed and
 * LAB_COTURN_START_FAILED (with the tail of coturn's log) when it does not come up.
 */
export async function startCoturn(opts: CoturnOptions): Promise<CoturnInstance> {
  validate(opts);
  const binary = findBinary(opts.binary ?? 'turnserver');
  const ip = opts.ip ?? '127.0.0.1';
  const autoPorts = !opts.port || (opts.tls !== undefined && !opts.tls.port);
  const attempts = autoPorts ? START_ATTEMPTS : 1;
  return launchWithRetries(
    'coturn',
    attempts,
    async () => {
      const port = opts.port || (await pickFreePort(ip, { udp: true, tcp: true }));
      const tls = opts.tls ? { ...opts.tls, port: opts.tls.port || (await pickFreePort(ip, { udp: false, tcp: true })) } : undefined;
      const relayPorts = opts.relayPorts ?? randomRelayBlock();
      return launch(binary, {
        ip,
        port,
        ...(tls ? { tls } : {}),
        relayIp: opts.relayIp ?? ip,
        relayPorts,
        realm: opts.realm ?? DEFAULT_REALM,
        auth: opts.auth,
        ...(opts.lifetimes ? { lifetimes: opts.lifetimes } : {}),
        ...(opts.verbose ? { verbose: true } : {}),
        ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
        dir: fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-coturn-')),
      }, opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    },
    () => new MediapathError('LAB_COTURN_START_FAILED', 'coturn did not start', { layer: 'lab' }),
  );
}

// ---------------------------------------------------------------------------------------------

async function launch(binary: string, cmd: CoturnCommand, startTimeoutMs: number): Promise<LaunchOutcome<CoturnInstance>> {
  const args = coturnArgs(cmd);
  const logPath = path.join(cmd.dir, 'turnserver.log');
  const sup = await spawnServer({ name: 'coturn', binary, args, dir: cmd.dir, logPath });
  if (!sup) {
    fs.rmSync(cmd.dir, { recursive: true, force: true });
    return { ok: false, bindConflict: false, error: missingError(binary) };
  }
  const readLog = (): string => readText(logPath);
  const udp = { ip: cmd.ip, port: cmd.port };
  const tls = cmd.tls ? { ip: cmd.ip, port: cmd.tls.port } : undefined;

  const failure = await waitReady(sup, udp, tls, readLog, startTimeoutMs);
  if (failure) {
    const text = await stopServer(sup, 0);
    const where = `${cmd.ip}:${cmd.port}${tls ? ` (tls ${tls.port})` : ''}`;
    return {
      ok: false,
      bindConflict: failure === 'bind-conflict',
      error: new MediapathError(
        'LAB_COTURN_START_FAILED',
        `coturn on ${where} ${failureText[failure]}; last lines of its log:\n${tailLines(text, LOG_TAIL_LINES)}`,
        { layer: 'lab', peer: udp },
      ),
    };
  }

  const redacted = redactCoturnArgs(args);
  log.info({ pid: sup.pid, udp, tls, args: redacted }, 'coturn ready');
  let finalLog: string | undefined;
  let stopping: Promise<void> | undefined;
  const instance: CoturnInstance = {
    udp,
    tcp: { ...udp },
    ...(tls ? { tls } : {}),
    relayIp: cmd.relayIp,
    relayPorts: cmd.relayPorts,
    realm: cmd.realm,
    auth: cmd.auth,
    pid: sup.pid,
    dir: cmd.dir,
    logPath,
    args: redacted,
    log: () => finalLog ?? readLog(),
    get running() {
      return !sup.hasExited();
    },
    stop: () => {
      stopping ??= (async () => {
        finalLog = await stopServer(sup, STOP_GRACE_MS);
        log.info({ pid: sup.pid }, 'coturn stopped');
      })();
      return stopping;
    },
  };
  return { ok: true, instance };
}

type StartFailure = 'exited' | 'bind-conflict' | 'timeout';
const failureText: Record<StartFailure, string> = {
  exited: 'exited during start',
  'bind-conflict': 'could not bind its listening port',
  timeout: 'did not answer STUN over UDP and TCP connects in time',
};

// coturn logs "Cannot bind ... listener socket to addr" and then retries forever.
const BIND_FAILURE = /Cannot bind .*listener socket/;

/** Polls until the server answers; undefined when ready, else why it is not. */
async function waitReady(
  sup: ServerProcess,
  udp: TransportAddress,
  tls: TransportAddress | undefined,
  readLog: () => string,
  timeoutMs: number,
): Promise<StartFailure | undefined> {
  // A real process lives in real time: these waits cannot run on an injected clock.
  const deadline = Date.now() + timeoutMs;
  let udpOk = false;
  let tcpOk = false;
  let tlsOk = tls === undefined;
  while (Date.now() < deadline) {
    if (sup.hasExited()) return 'exited';
    if (BIND_FAILURE.test(readLog())) return 'bind-conflict';
    udpOk ||= (await udpBindingPing(udp, PROBE_TIMEOUT_MS)) !== undefined;
    if (udpOk) tcpOk ||= await tcpConnectPing(udp, PROBE_TIMEOUT_MS);
    if (tcpOk && tls) tlsOk ||= await tcpConnectPing(tls, PROBE_TIMEOUT_MS);
    if (udpOk && tcpOk && tlsOk) {
      // Another socket may have answered for a listener coturn failed to bind.
      if (BIND_FAILURE.test(readLog())) return 'bind-conflict';
      return sup.hasExited() ? 'exited' : undefined;
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  return 'timeout';
}

// --- small helpers -------------------------------------------------------------------------

function validate(opts: CoturnOptions): void {
  const bad = (why: string): never => {
    throw new MediapathError('INVALID_ARGUMENT', `coturn: ${why}`, { layer: 'lab' });
  };
  if (opts.auth.kind === 'long-term') {
    if (opts.auth.users.length === 0) bad('long-term auth needs at least one user');
    for (const u of opts.auth.users) {
      // coturn splits --user=name:password at the first colon.
      if (!/^[^:\s]+$/.test(u.name)) bad(`user name ${JSON.stringify(u.name)} must be non-empty, without ':' or spaces`);
      if (u.password.length === 0 || /\s/.test(u.password)) bad(`password of ${u.name} must be non-empty, without spaces`);
    }
  } else if (opts.auth.secret.length === 0 || /\s/.test(opts.auth.secret)) {
    bad('shared secret must be non-empty, without spaces');
  }
  if (opts.relayPorts && !(opts.relayPorts.min >= 1024 && opts.relayPorts.min < opts.relayPorts.max && opts.relayPorts.max <= 65535)) {
    bad(`relay port range ${opts.relayPorts.min}-${opts.relayPorts.max} is invalid`);
  }
}

function findBinary(name: string): string {
  const found = findExecutable(name);
  if (!found) throw missingError(name);
  return found;
}

function missingError(binary: string): MediapathError {
  return new MediapathError('LAB_COTURN_MISSING', `coturn's ${binary} is not installed or not executable; ${COTURN_INSTALL_HINT}`, { layer: 'lab' });
}

function randomRelayBlock(): { min: number; max: number } {
  const min = 20000 + 200 * randomInt(50);
  return { min, max: min + 199 };
}
