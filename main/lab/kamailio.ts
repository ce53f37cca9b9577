import { execFile } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { createLogger } from '../common/logger';
import { pickFreePort } from './free-port';
import { findExecutable, launchWithRetries, readText, sleep, spawnServer, stopServer, tailLines, type LaunchOutcome, type ServerProcess } from './server-process';
import {
  DEBIAN_KAMAILIO_MODULES,
  KAMAILIO_CTL_SOCKET,
  KAMAILIO_PASSWORD,
  KAMAILIO_USER_NAME,
  kamailioConfig,
  redactKamailioConfig,
  type KamailioConfigInput,
  type KamailioUser,
} from './kamailio-config';
import { tcpConnectPing } from './stun-ping';

export type { KamailioUser } from './kamailio-config';

/**
 * The Kamailio runner: Debian's `kamailio` as a registrar/proxy on loopback, for interop tests of
 * our SIP user agent against a SIP server we did not write. The config (main/lab/kamailio-config.ts)
 * and every file the server writes (log, pidfile, control socket) live in a fresh temp dir; the
 * lab and the tests use it, nothing in the engine imports it.
 *
 * Traps handled here (LAB.md): apt starts no service, so the test starts its own; `-DD -E` keeps
 * the main process in the foreground with its log on stderr while it forks its workers, so the
 * server runs in a process group of its own and a forced stop kills the whole group; a busy port
 * makes Kamailio exit during start ("Address already in use"), so an auto-picked port is retried
 * once or twice; readiness is an OPTIONS answered over UDP and a TCP connect accepted.
 */

export interface KamailioOptions {
  /** Listening address; any 127.x works on Linux. Default 127.0.0.1. */
  readonly ip?: string;
  /** UDP and TCP port (the same number for both); 0 or omitted picks a free one. */
  readonly port?: number;
  /** The SIP domain (and digest realm). Default `lab.test`. */
  readonly domain?: string;
  readonly users: readonly KamailioUser[];
  readonly digest?: 'MD5' | 'SHA-256';
  /** 407 on INVITEs outside a dialog (default true). */
  readonly authenticateInvite?: boolean;
  /** Nonce lifetime in seconds (Kamailio's default 300); a short one makes clients meet stale nonces (401 stale=true). */
  readonly nonceExpireSec?: number;
  /** Registrar limits in seconds (default 1 and 3600, so a test may ask for a short binding). */
  readonly minExpires?: number;
  readonly maxExpires?: number;
  /** Users to whom an INVITE with multipart/alternative is refused 415 (Accept: application/sdp). */
  readonly refuseMultipartTo?: readonly string[];
  /** One log line per request routed (xlog). */
  readonly verbose?: boolean;
  /** Give up waiting for readiness after this long. Default 10 s. */
  readonly startTimeoutMs?: number;
  /** Path or command name of the server. Default `kamailio` on PATH (or /usr/sbin). */
  readonly binary?: string;
  /** Module directory. Default Debian's. */
  readonly modulesDir?: string;
}

/** One contact bound in Kamailio's location table, as `ul.dump` shows it. */
export interface KamailioBinding {
  readonly aor: string;
  readonly contact: string;
  /** Seconds left. */
  readonly expires: number;
  /** Where the REGISTER came from (`sip:ip:port;transport=…`), when Kamailio stored it. */
  readonly received?: string;
}

export interface KamailioInstance {
  readonly udp: TransportAddress;
  readonly tcp: TransportAddress;
  readonly domain: string;
  readonly pid: number;
  /** The temp dir holding config, log, pidfile and control socket; removed by stop(). */
  readonly dir: string;
  readonly configPath: string;
  /** The generated config with passwords masked. */
  readonly config: string;
  /** Kamailio's log so far (kept in memory after stop(), when the file is gone). */
  log(): string;
  readonly running: boolean;
  /**
   * The location table now, read with `kamcmd ul.dump` over the control socket; `aor` filters
   * by user (`alice`) or address of record (`sip:alice@lab.test`).
   */
  bindings(aor?: string): Promise<KamailioBinding[]>;
  /** SIGTERM by PID, SIGKILL to the process group after ~3 s, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export const KAMAILIO_INSTALL_HINT = 'install it with: apt-get install -y --no-install-recommends kamailio';
const DEFAULT_DOMAIN = 'lab.test';
const DEFAULT_START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const PROBE_TIMEOUT_MS = 200;
const PROBE_INTERVAL_MS = 50;
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 25;
const KAMCMD_TIMEOUT_MS = 5_000;

const log = createLogger('lab/kamailio');

/** The kamailio argument vector: foreground, log to stderr, files in `dir`, small memory pools. */
export function kamailioArgs(dir: string, configPath: string): string[] {
  return ['-DD', '-E', '-f', configPath, '-P', path.join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir, '-m', '32', '-M', '8'];
}

/**
 * Starts Kamailio and resolves once it answers an OPTIONS over UDP and accepts a TCP connection.
 * Throws LAB_KAMAILIO_MISSING when kamailio is not installed and LAB_KAMAILIO_START_FAILED (with
 * the tail of its log) when it does not come up.
 */
export async function startKamailio(opts: KamailioOptions): Promise<KamailioInstance> {
  validate(opts);
  const binary = findBinary(opts.binary ?? 'kamailio');
  const ip = opts.ip ?? '127.0.0.1';
  const attempts = opts.port ? 1 : START_ATTEMPTS;
  return launchWithRetries(
    'kamailio',
    attempts,
    async () => {
      const port = opts.port || (await pickFreePort(ip, { udp: true, tcp: true }));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-kamailio-'));
      const input: KamailioConfigInput = {
        ip,
        port,
        domain: opts.domain ?? DEFAULT_DOMAIN,
        users: opts.users,
        ...(opts.digest ? { digest: opts.digest } : {}),
        authenticateInvite: opts.authenticateInvite ?? true,
        ...(opts.nonceExpireSec !== undefined ? { nonceExpireSec: opts.nonceExpireSec } : {}),
        minExpires: opts.minExpires ?? 1,
        maxExpires: opts.maxExpires ?? 3600,
        refuseMultipartTo: opts.refuseMultipartTo ?? [],
        verbose: opts.verbose ?? false,
        dir,
        modulesDir: opts.modulesDir ?? DEBIAN_KAMAILIO_MODULES,
      };
      return launch(binary, input, opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    },
    () => new MediapathError('LAB_KAMAILIO_START_FAILED', 'kamailio did not start', { layer: 'lab' }),
  );
}

// ---------------------------------------------------------------------------------------------

async function launch(binary: string, input: KamailioConfigInput, startTimeoutMs: number): Promise<LaunchOutcome<KamailioInstance>> {
  const { dir } = input;
  const configPath = path.join(dir, 'kamailio.cfg');
  const text = kamailioConfig(input);
  fs.writeFileSync(configPath, text, { mode: 0o600 });
  const logPath = path.join(dir, 'kamailio.log');
  // A process group of its own: the workers Kamailio forks go with it on a forced stop.
  const sup = await spawnServer({ name: 'kamailio', binary, args: kamailioArgs(dir, configPath), dir, logPath, group: true });
  if (!sup) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { ok: false, bindConflict: false, error: missingError(binary) };
  }
  const readLog = (): string => readText(logPath);
  const udp = { ip: input.ip, port: input.port };

  const failure = await waitReady(sup, udp, readLog, startTimeoutMs);
  if (failure) {
    const logText = await stopServer(sup, 0);
    return {
      ok: false,
      bindConflict: failure === 'exited' && BIND_FAILURE.test(logText),
      error: new MediapathError(
        'LAB_KAMAILIO_START_FAILED',
        `kamailio on ${input.ip}:${input.port} ${failureText[failure]}; last lines of its log:\n${tailLines(logText, LOG_TAIL_LINES)}`,
        { layer: 'lab', peer: udp },
      ),
    };
  }

  log.info({ pid: sup.pid, udp, domain: input.domain, users: input.users.map((u) => u.name) }, 'kamailio ready');
  let finalLog: string | undefined;
  let stopping: Promise<void> | undefined;
  const ctl = `unix:${path.join(dir, KAMAILIO_CTL_SOCKET)}`;
  const instance: KamailioInstance = {
    udp,
    tcp: { ...udp },
    domain: input.domain,
    pid: sup.pid,
    dir,
    configPath,
    config: redactKamailioConfig(text),
    log: () => finalLog ?? readLog(),
    get running() {
      return !sup.hasExited();
    },
    bindings: async (aor) => {
      if (sup.hasExited()) throw new MediapathError('CLOSED', 'kamailio is not running', { layer: 'lab' });
      const all = parseUlDump(await kamcmd(ctl, ['ul.dump']));
      if (aor === undefined) return all;
      const user = /^sips?:([^@]+)@/.exec(aor)?.[1] ?? aor;
      return all.filter((b) => b.aor === user || b.aor === aor);
    },
    stop: () => {
      stopping ??= (async () => {
        finalLog = await stopServer(sup, STOP_GRACE_MS);
        log.info({ pid: sup.pid }, 'kamailio stopped');
      })();
      return stopping;
    },
  };
  return { ok: true, instance };
}

type StartFailure = 'exited' | 'timeout';
const failureText: Record<StartFailure, string> = {
  exited: 'exited during start',
  timeout: 'did not answer OPTIONS over UDP and TCP connects in time',
};

// Kamailio logs "bind(...) on 127.0.0.1: Address already in use" and exits.
const BIND_FAILURE = /Address already in use/;

async function waitReady(sup: ServerProcess, udp: TransportAddress, readLog: () => string, timeoutMs: number): Promise<StartFailure | undefined> {
  // A real process lives in real time: these waits cannot run on an injected clock.
  const deadline = Date.now() + timeoutMs;
  let udpOk = false;
  let tcpOk = false;
  while (Date.now() < deadline) {
    if (sup.hasExited()) return 'exited';
    udpOk ||= await sipOptionsPing(udp, PROBE_TIMEOUT_MS);
    if (udpOk) tcpOk ||= await tcpConnectPing(udp, PROBE_TIMEOUT_MS);
    if (udpOk && tcpOk) {
      // Another process may have answered on a port Kamailio failed to bind.
      if (BIND_FAILURE.test(readLog())) return 'exited';
      return sup.hasExited() ? 'exited' : undefined;
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  return 'timeout';
}

/**
 * One OPTIONS datagram to the server itself (RFC 3261 §11), true when a 200 to it comes back.
 * Written by hand: "is the process answering yet" must not depend on the engine under test.
 */
export function sipOptionsPing(to: TransportAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const branch = `z9hG4bK-ping-${randomBytes(6).toString('hex')}`;
    const sock = dgram.createSocket('udp4');
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close(() => resolve(ok));
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('error', () => finish(false));
    sock.on('message', (msg) => {
      const text = msg.toString('latin1');
      if (/^SIP\/2\.0 200 /.test(text) && text.includes(branch)) finish(true);
    });
    sock.bind(0, to.ip, () => {
      const me = sock.address();
      const uri = `sip:${to.ip}:${to.port}`;
      const req = [
        `OPTIONS ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${me.address}:${me.port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:ping@${me.address}>;tag=${branch.slice(-8)}`,
        `To: <${uri}>`,
        `Call-ID: ${branch}@${me.address}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      sock.send(req, to.port, to.ip);
    });
  });
}

/** Runs kamcmd against the control socket and returns its stdout. */
function kamcmd(ctl: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let cmd: string;
    try {
      cmd = findBinary('kamcmd');
    } catch (e) {
      reject(e);
      return;
    }
    execFile(cmd, ['-s', ctl, ...args], { timeout: KAMCMD_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new MediapathError('LAB_KAMAILIO_START_FAILED', `kamcmd ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { layer: 'lab' }));
      else resolve(stdout);
    });
  });
}

/**
 * Reads `kamcmd ul.dump` text: per AoR an `AoR: alice` line, then per contact `Address: sip:…`,
 * `Expires: N` and `Received: sip:…`. Unknown lines are skipped; nothing here throws.
 */
export function parseUlDump(text: string): KamailioBinding[] {
  const out: KamailioBinding[] = [];
  let aor: string | undefined;
  let cur: { contact: string; expires: number; received?: string } | undefined;
  const flush = (): void => {
    if (aor !== undefined && cur) out.push({ aor, ...cur });
    cur = undefined;
  };
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z-]+):\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    switch (key) {
      case 'AoR':
        flush();
        aor = value;
        break;
      case 'Address':
        flush();
        cur = { contact: value, expires: 0 };
        break;
      case 'Expires':
        if (cur) cur.expires = /^\d+$/.test(value) ? Number(value) : 0;
        break;
      case 'Received':
        if (cur && value && value !== '[not set]') cur.received = value;
        break;
    }
  }
  flush();
  return out;
}

// --- small helpers -------------------------------------------------------------------------

function validate(opts: KamailioOptions): void {
  const bad = (why: string): never => {
    throw new MediapathError('INVALID_ARGUMENT', `kamailio: ${why}`, { layer: 'lab' });
  };
  if (opts.users.length === 0) bad('at least one user is needed');
  const names = new Set<string>();
  for (const u of opts.users) {
    if (!KAMAILIO_USER_NAME.test(u.name)) bad(`user name ${JSON.stringify(u.name)} must be 1–64 of A-Z a-z 0-9 . _ ~ + -`);
    if (!KAMAILIO_PASSWORD.test(u.password)) bad(`password of ${u.name} must be 1–128 printable characters without spaces, '"', '\\' or '$'`);
    if (names.has(u.name)) bad(`user ${u.name} is listed twice`);
    names.add(u.name);
  }
  for (const u of opts.refuseMultipartTo ?? []) if (!KAMAILIO_USER_NAME.test(u)) bad(`refuseMultipartTo user ${JSON.stringify(u)} is not a plain user name`);
  const domain = opts.domain ?? DEFAULT_DOMAIN;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(domain)) bad(`domain ${JSON.stringify(domain)} is not a host name`);
  if (opts.nonceExpireSec !== undefined && !(Number.isInteger(opts.nonceExpireSec) && opts.nonceExpireSec >= 1)) bad(`nonce lifetime ${opts.nonceExpireSec} s is invalid`);
  const min = opts.minExpires ?? 1;
  const max = opts.maxExpires ?? 3600;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && min <= max)) bad(`expires limits ${min}..${max} are invalid`);
}

function findBinary(name: string): string {
  const found = findExecutable(name);
  if (!found) throw missingError(name);
  return found;
}

function missingError(binary: string): MediapathError {
  return new MediapathError('LAB_KAMAILIO_MISSING', `kamailio's ${binary} is not installed or not executable; ${KAMAILIO_INSTALL_HINT}`, { layer: 'lab' });
}
