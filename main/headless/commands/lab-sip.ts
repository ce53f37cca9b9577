import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parseHostPort } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { RegistrarEvent, RegistrarKnobs } from '../../lab/registrar';
import { startSipLab, type SipLabSummary, type SipLabTurn } from '../../lab/sip-lab';
import type { TlsIdentity } from '../../lab/tls-listener';
import type { Output } from '../output';

interface LabSipFlags {
  port: string;
  tlsPort?: string;
  host: string;
  advertise?: string;
  domain: string;
  users?: string;
  digest: string;
  turn?: string;
  turnSecret?: string;
  mrasMinutes?: string;
  tls?: boolean;
  cert?: string;
  key?: string;
  json?: boolean;
  // hidden test knobs
  mrasError?: string;
  mrasSilent?: boolean;
}

const MAX_USERS = 100;

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

function intIn(name: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < lo || n > hi) throw usage(`--${name} must be an integer from ${lo} to ${hi}, got "${text}"`);
  return n;
}

/** `alice:pw,bob:pw` → map; the password is everything after the first colon. */
export function parseUsers(text: string): Record<string, string> {
  const users = Object.create(null) as Record<string, string>;
  const items = text.split(',').filter((s) => s.trim() !== '');
  if (items.length === 0) throw usage('--users needs at least one user:password');
  if (items.length > MAX_USERS) throw usage(`--users takes at most ${MAX_USERS} users`);
  for (const item of items) {
    const i = item.indexOf(':');
    const name = (i < 0 ? item : item.slice(0, i)).trim();
    const password = i < 0 ? '' : item.slice(i + 1);
    if (!/^[A-Za-z0-9._~-]{1,64}$/.test(name)) throw usage(`--users: "${name.slice(0, 40)}" is not a SIP user name (letters, digits, . _ ~ -)`);
    if (password === '') throw usage(`--users: ${name} has no password (write ${name}:PASSWORD)`);
    if (name in users) throw usage(`--users: ${name} appears twice`);
    users[name] = password;
  }
  return users;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw usage(`--${flag} ${file}: ${(e as Error).message}`);
  }
}

function turnFrom(f: LabSipFlags): SipLabTurn | undefined {
  if (f.turn === undefined && f.turnSecret === undefined) return undefined;
  if (f.turn === undefined) throw usage('--turn-secret needs --turn HOST:PORT');
  if (f.turnSecret === undefined || f.turnSecret === '') throw usage('--turn needs --turn-secret (the TURN server\'s REST API shared secret)');
  const hp = parseHostPort(f.turn);
  if (!hp) throw usage(`--turn must be HOST:PORT (or [IPv6]:PORT), got "${f.turn}"`);
  return { host: hp.host, udpPort: hp.port, secret: f.turnSecret };
}

function relayText(s: SipLabSummary): string {
  return s.relays.map((r) => `${r.directIPAddress ?? r.hostName} (udp ${r.udpPort}, tcp ${r.tcpPort})`).join(', ');
}

function printSummary(s: SipLabSummary, generated: Readonly<Record<string, string>> | undefined, mrasMinutes: number, o: Output): void {
  const L: string[] = [];
  L.push(`mediapath lab sip: registrar, provisioning and MRAS for domain ${s.domain} (digest ${s.digest})`);
  for (const t of ['udp', 'tcp', 'tls'] as const) if (s.uris[t]) L.push(`  ${t}   ${s.uris[t]}${t === 'tls' && s.caFile ? `   (self-signed; trust it with --ca ${s.caFile})` : ''}`);
  if (s.mrasUri) L.push(`  MRAS  ${s.mrasUri} → relay ${relayText(s)}, REST credentials for ${mrasMinutes} min`);
  else L.push('  MRAS  off: no --turn given, so provisioning carries no mrasUri (a deployment without an Edge: host candidates only)');
  L.push(`  users ${s.users.map((u) => u.aor).join(', ')}`);
  if (generated) L.push(`  passwords (generated, this run only): ${Object.entries(generated).map(([u, p]) => `${u}:${p}`).join(',')}`);
  const first = s.users[0];
  const uri = s.uris.udp ?? s.uris.tcp ?? s.uris.tls;
  if (first && uri) {
    const pw = generated?.[first.name] ?? 'PASSWORD';
    L.push(`  try   mediapath register --registrar '${uri}' --user ${first.aor} --password ${pw}`);
  }
  L.push('Ctrl-C (SIGINT) or SIGTERM stops it.');
  o.out(L.join('\n') + '\n');
}

/** One stderr line per thing a lab user wants to see happen (human mode only). */
function eventLine(e: RegistrarEvent): string | undefined {
  switch (e.type) {
    case 'registration':
      return `registration ${e.aor} ${e.state}${e.expires ? ` for ${e.expires} s` : ''} over ${e.transport} from ${e.peer}`;
    case 'auth.challenge':
      return e.user !== undefined ? `${e.status} to ${e.method} from ${e.user}: ${e.reason}` : undefined;
    case 'provisioning':
      return `provisioning for ${e.aor}: mrasUri ${e.mrasUri ?? '(none)'}`;
    case 'mras.issued':
      return `MRAS credentials for ${e.identity} (${e.location}): ${e.username}, ${e.durationMinutes} min, ${e.relays.length} relay(s)`;
    case 'mras.refused':
      return `MRAS refused: ${e.status}${e.reasonPhrase ? ` ${e.reasonPhrase}` : ''} (${e.reason})`;
    case 'mras.dropped':
      return `MRAS request dropped (${e.reason})`;
    case 'proxy.forwarded':
      return `${e.method} ${e.callId.slice(0, 16)} → ${e.target} over ${e.transport}`;
    case 'proxy.rejected':
      return `${e.method} ${e.callId.slice(0, 16)} refused ${e.status}: ${e.reason}`;
    case 'sip.parse-error':
      return `malformed message from ${e.peer} (${e.reason} at ${e.offset})${e.answered ? ', answered 400' : ''}`;
    case 'registrar.error':
      return `registrar error on a message from ${e.peer}: ${e.reason}`;
    default:
      return undefined;
  }
}

/**
 * Resolves on the first SIGINT/SIGTERM. Taken before the lab starts, so a signal during start-up
 * stops it cleanly too, and kept until the lab has stopped, so a second signal cannot cut the
 * clean-up short (the default action would kill the process mid-way).
 */
function stopSignal(): { readonly signal: Promise<NodeJS.Signals>; dispose(): void } {
  let on: (s: NodeJS.Signals) => void = () => undefined;
  const dispose = (): void => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    on = (s) => resolve(s);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  return { signal, dispose };
}

/** `mediapath lab sip`: the lab registrar + provisioning + MRAS on real sockets until stopped. */
export function registerLabSip(lab: Command, o: Output, setExit: (code: number) => void): void {
  lab
    .command('sip')
    .description('Run the lab registrar/proxy with provisioning and an MRAS service (TURN REST credentials) until stopped')
    .option('--port <n>', 'UDP and TCP port (0 = ephemeral)', '5060')
    .option('--tls-port <n>', 'TLS port (default: --port + 1, or ephemeral with --port 0)')
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('--advertise <host>', 'host written in Via/Record-Route (needed when --host is a wildcard)')
    .option('--domain <name>', 'SIP domain of the users', 'lab.test')
    .option('--users <list>', 'user:password,… (default alice and bob with generated passwords)')
    .option('--digest <md5|sha-256>', 'digest algorithm of the challenges', 'md5')
    .option('--turn <host:port>', 'TURN relay the MRAS service hands out (UDP and TCP on that port)')
    .option('--turn-secret <secret>', "the TURN server's REST API shared secret (coturn --static-auth-secret)")
    .option('--mras-minutes <n>', 'longest MRAS credential lifetime', '480')
    .option('--tls', 'also serve TLS (a self-signed certificate unless --cert/--key)')
    .option('--cert <file>', 'PEM certificate chain for TLS (implies --tls)')
    .option('--key <file>', 'PEM private key for TLS')
    .option('--json', 'print one JSON line with the ports, mrasUri and users, then nothing until stopped')
    .addOption(new Option('--mras-error <reasonPhrase>', 'test knob: MRAS answers every request with this reasonPhrase').hideHelp())
    .addOption(new Option('--mras-silent', 'test knob: MRAS requests get no answer').hideHelp())
    .action(async (f: LabSipFlags) => {
      try {
        const port = intIn('port', f.port, 0, 65535);
        const tlsWanted = f.tls === true || f.cert !== undefined || f.key !== undefined;
        if ((f.cert === undefined) !== (f.key === undefined)) throw usage('--cert and --key go together');
        const tlsPort = f.tlsPort !== undefined ? intIn('tls-port', f.tlsPort, 0, 65535) : port === 0 ? 0 : port + 1;
        if (tlsPort > 65535) throw usage('--port 65535 leaves no room for TLS on --port + 1: give --tls-port');
        const digest = f.digest.toLowerCase() === 'md5' ? 'MD5' : f.digest.toLowerCase() === 'sha-256' ? 'SHA-256' : undefined;
        if (!digest) throw usage(`--digest must be md5 or sha-256, got "${f.digest}"`);
        if (!/^[A-Za-z0-9.-]{1,253}$/.test(f.domain)) throw usage(`--domain must be a host name, got "${f.domain}"`);
        const mrasMinutes = intIn('mras-minutes', f.mrasMinutes ?? '480', 1, 7 * 24 * 60);
        const generated: Record<string, string> | undefined = f.users === undefined ? { alice: randomBytes(6).toString('hex'), bob: randomBytes(6).toString('hex') } : undefined;
        const users = generated ?? parseUsers(f.users!);
        const turn = turnFrom(f);
        const identity: TlsIdentity | undefined = f.cert !== undefined ? { certPem: readPem('cert', f.cert), keyPem: readPem('key', f.key!) } : undefined;
        const knobs: Partial<RegistrarKnobs> = {
          ...(f.mrasError !== undefined ? { mrasError: f.mrasError } : {}),
          ...(f.mrasSilent ? { mrasSilent: true } : {}),
        };
        const stop = stopSignal();
        const lab = await startSipLab({
          host: f.host,
          ...(f.advertise !== undefined ? { advertise: f.advertise } : {}),
          port,
          ...(tlsWanted ? { tls: { port: tlsPort, ...(identity ? { identity } : {}) } } : {}),
          domain: f.domain,
          users,
          digest,
          ...(turn ? { turn } : {}),
          mrasMinutes,
          knobs,
          ...(f.json
            ? {}
            : {
                onEvent: (e: RegistrarEvent) => {
                  const line = eventLine(e);
                  if (line !== undefined) o.err(`${line}\n`);
                },
              }),
        }).catch((e: unknown) => {
          stop.dispose();
          throw e;
        });
        const s = lab.summary;
        if (f.json) {
          const jsonUsers = s.users.map((u) => ({ ...u, ...(generated ? { password: generated[u.name] } : {}) }));
          o.out(JSON.stringify({ ok: true, ...s, users: jsonUsers, mrasMinutes }) + '\n');
        } else {
          printSummary(s, generated, mrasMinutes, o);
        }
        const signal = await stop.signal;
        await lab.stop().finally(() => stop.dispose());
        if (!f.json) o.err(`stopped (${signal})\n`);
        setExit(0);
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ ok: false, error: err.toInfo() }) + '\n');
        else o.err(`mediapath lab sip: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' ? 2 : 1);
      }
    });
}
