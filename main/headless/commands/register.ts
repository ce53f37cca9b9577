import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { RealClock } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { CryptoRandom } from '../../common/random';
import type { MrasLocation } from '../../mras/types';
import { NodeNet } from '../../net/node/node-net';
import type { TlsOptions } from '../../net/types';
import { runRegistrationCheck, type RegistrationCheckResult } from '../../session/registration-check';
import type { SipTransportKind } from '../../sip/transport/types';
import { parseSipUri } from '../../sip/uri';
import type { Output } from '../output';

interface RegisterFlags {
  registrar?: string;
  user?: string;
  username?: string;
  password?: string;
  location: string;
  ca?: string;
  insecure?: boolean;
  timeout: string;
  json?: boolean;
}

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

export interface RegistrarTarget {
  readonly transport: SipTransportKind;
  readonly registrar: { readonly address?: string; readonly host?: string; readonly port?: number };
}

/** `sip:HOST[:PORT][;transport=udp|tcp|tls]` (or `sips:` for TLS) → where and how to register. */
export function parseRegistrarUri(text: string): RegistrarTarget {
  const u = parseSipUri(text.trim());
  if (!u.ok) throw usage(`--registrar must be sip:HOST:PORT;transport=udp|tcp|tls, got "${text}": ${u.error.reason}`);
  const t = (u.value.params['transport'] ?? (u.value.scheme === 'sips' ? 'tls' : 'udp')).toLowerCase();
  if (t !== 'udp' && t !== 'tcp' && t !== 'tls') throw usage(`--registrar: transport=${t} is not udp, tcp or tls`);
  if (u.value.scheme === 'sips' && t !== 'tls') throw usage('--registrar: a sips: URI needs transport=tls');
  const host = u.value.host.replace(/^\[|\]$/g, '');
  const where = isIP(host) !== 0 ? { address: host } : { host };
  return { transport: t, registrar: { ...where, ...(u.value.port !== undefined ? { port: u.value.port } : {}) } };
}

/** Never the password: a fixed mask, and a short fingerprint so two runs (or a server log) can be compared. */
export function maskPassword(password: string): { passwordMasked: string; passwordFingerprint: string } {
  return { passwordMasked: '********', passwordFingerprint: `sha256:${createHash('sha256').update(password).digest('hex').slice(0, 16)}` };
}

/** The `--json` document of `mediapath register`. */
export function registerJson(r: RegistrationCheckResult, registrar: string, user: string, transport: SipTransportKind): Record<string, unknown> {
  return {
    ok: r.ok,
    registrar,
    user,
    transport,
    registered: r.registered,
    provisioning: r.provisioning,
    mras: r.mras
      ? {
          username: r.mras.username,
          ...maskPassword(r.mras.password),
          realm: r.mras.realm,
          durationMinutes: r.mras.durationMinutes,
          expiresAt: new Date(r.mras.expiresAtWall).toISOString(),
          relays: r.mras.relays,
        }
      : null,
    steps: r.steps,
    diagnosis: r.diagnosis,
    ...(r.error ? { error: r.error } : {}),
  };
}

function printHuman(r: RegistrationCheckResult, registrar: string, user: string, o: Output): void {
  const L: string[] = [];
  L.push(`mediapath register ${user} at ${registrar}`);
  for (const s of r.steps) L.push(`  ${s.name.padEnd(13)} ${s.ms.toFixed(1).padStart(9)} ms   ${s.ok ? '' : 'FAILED '}${s.outcome}`);
  L.push(`  registered    ${r.registered.ok ? `yes, for ${r.registered.expires} s as ${r.registered.contact}` : 'no'}`);
  if (r.provisioning) L.push(`  provisioning  mrasUri ${r.provisioning.mrasUri ?? '(none)'}, qosUri ${r.provisioning.qosUri ?? '(none)'}`);
  if (r.mras) {
    const m = maskPassword(r.mras.password);
    L.push(`  MRAS          username ${r.mras.username}, password ${m.passwordMasked} (${m.passwordFingerprint}), ${r.mras.durationMinutes} min, until ${new Date(r.mras.expiresAtWall).toISOString()}`);
    for (const x of r.mras.relays) L.push(`                relay ${x.host}  udp ${x.udpPort ?? '-'}  tcp ${x.tcpPort ?? '-'}  (${x.location ?? 'any location'})`);
  }
  for (const d of r.diagnosis) L.push(`  diagnosis     ${d}`);
  L.push(r.ok ? 'OK' : `FAILED${r.error ? ` ${r.error.code}: ${r.error.message}` : ''}`);
  o.out(L.join('\n') + '\n');
}

/** `mediapath register`: register, provisioning, MRAS credentials, un-register; each step timed. */
export function registerRegister(program: Command, o: Output, setExit: (code: number) => void): void {
  program
    .command('register')
    .description('Register, fetch provisioning and MRAS relay credentials (password masked), un-register; each step timed')
    .option('--registrar <uri>', "registrar, e.g. 'sip:127.0.0.1:5060;transport=udp' (udp, tcp or tls)")
    .option('--user <aor>', 'address of record, e.g. sip:alice@lab.test')
    .option('--username <name>', 'digest user name (default: the user part of --user)')
    .option('--password <password>', 'digest password')
    .option('--location <internet|intranet>', 'where MRAS should think we are', 'internet')
    .option('--ca <file>', 'PEM CA to trust for a TLS registrar')
    .option('--insecure', 'accept a TLS certificate that does not chain to a trusted CA')
    .option('--timeout <ms>', 'bound on each step (SIP timers scaled so an unanswered request gives up within it)', '10000')
    .option('--json', 'print one JSON object on stdout')
    .action(async (f: RegisterFlags) => {
      try {
        if (!f.registrar) throw usage("--registrar is required, e.g. --registrar 'sip:127.0.0.1:5060;transport=udp'");
        if (!f.user) throw usage('--user is required, e.g. --user sip:alice@lab.test');
        if (f.password === undefined) throw usage('--password is required');
        const target = parseRegistrarUri(f.registrar);
        const aor = parseSipUri(f.user);
        if (!aor.ok || aor.value.user === undefined) throw usage(`--user must be a SIP address of record like sip:alice@lab.test, got "${f.user}"`);
        if (f.location !== 'internet' && f.location !== 'intranet') throw usage(`--location must be internet or intranet, got "${f.location}"`);
        const timeoutMs = Number(f.timeout);
        if (!/^\d+$/.test(f.timeout) || timeoutMs < 100 || timeoutMs > 600_000) throw usage(`--timeout must be 100–600000 ms, got "${f.timeout}"`);
        if (f.ca && f.insecure) throw usage('--ca and --insecure exclude each other');
        if ((f.ca || f.insecure) && target.transport !== 'tls') throw usage('--ca/--insecure apply to a TLS registrar (transport=tls)');
        let tls: TlsOptions | undefined;
        if (target.transport === 'tls') {
          let ca: string | undefined;
          if (f.ca) {
            try {
              ca = readFileSync(f.ca, 'utf8');
            } catch (e) {
              throw usage(`--ca ${f.ca}: ${(e as Error).message}`);
            }
          }
          tls = { ...(ca ? { ca } : {}), ...(f.insecure ? { allowSelfSigned: true } : {}) };
        }
        const r = await runRegistrationCheck({
          net: new NodeNet(),
          clock: new RealClock(),
          random: new CryptoRandom(),
          ...target,
          aor: f.user,
          ...(f.username !== undefined ? { username: f.username } : {}),
          password: f.password,
          ...(tls ? { tls } : {}),
          location: f.location as MrasLocation,
          timeoutMs,
        });
        if (f.json) o.out(JSON.stringify(registerJson(r, f.registrar, f.user, target.transport), null, 2) + '\n');
        else printHuman(r, f.registrar, f.user, o);
        setExit(r.ok ? 0 : 1);
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ ok: false, error: err.toInfo() }, null, 2) + '\n');
        else o.err(`mediapath register: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' ? 2 : 1);
      }
    });
}
