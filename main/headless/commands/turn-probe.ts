import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TransportAddress } from '../../common/address';
import { formatAddress, parseHostPort } from '../../common/address';
import { RealClock } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { NodeNet } from '../../net/node/node-net';
import { runTurnProbe, type TurnProbeResult } from '../../session/turn-probe';
import { longTermCredentials, restCredentials, type TurnCredentials, type TurnServer, type TurnTransportKind } from '../../turn';
import { makeSelfSignedPair } from '../../lab/certs';
import { startCoturn, type CoturnInstance } from '../../lab/coturn';
import type { Output } from '../output';

interface ProbeFlags {
  server?: string;
  transport: string;
  username?: string;
  password?: string;
  secret?: string;
  ca?: string;
  insecure?: boolean;
  servername?: string;
  local?: string;
  peer?: string;
  count: string;
  lifetime?: string;
  timeout: string;
  json?: boolean;
  lab?: boolean;
}

const TRANSPORTS: readonly TurnTransportKind[] = ['udp', 'tcp', 'tls'];

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

function positiveInt(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw usage(`--${name} must be an integer from 1 to ${max}, got "${v}"`);
  return n;
}

/**
 * Retransmission that fits a total bound: over UDP, RFC 8489's schedule (RTO 500 ms, Rc 7, Rm 16)
 * lasts 39.5 s; `--timeout` scales the RTO so the whole schedule ends within it.
 */
function retransmitWithin(timeoutMs: number): { rtoMs: number; rc: number; rm: number; reliableTimeoutMs: number } {
  const rc = 7;
  const rm = 16;
  const units = 2 ** (rc - 1) - 1 + rm; // 63 + 16 = 79 RTOs in all
  return { rtoMs: Math.max(1, Math.min(500, timeoutMs / units)), rc, rm, reliableTimeoutMs: timeoutMs };
}

async function resolveServer(net: NodeNet, text: string, transport: TurnTransportKind, f: ProbeFlags): Promise<TurnServer> {
  const hp = parseHostPort(text);
  if (!hp) throw usage(`--server must be HOST:PORT (or [IPv6]:PORT), got "${text}"`);
  const [ip] = await net.resolve(hp.host);
  if (!ip) throw new MediapathError('NET_RESOLVE_FAILED', `cannot resolve ${hp.host}`, { layer: 'net' });
  const address: TransportAddress = { ip, port: hp.port };
  if (transport !== 'tls') return { address, transport };
  let ca: string | undefined;
  if (f.ca) {
    try {
      ca = readFileSync(f.ca, 'utf8');
    } catch (e) {
      throw usage(`--ca ${f.ca}: ${(e as Error).message}`);
    }
  }
  return {
    address,
    transport,
    tls: {
      ...(ca ? { ca } : {}),
      servername: f.servername ?? hp.host,
      ...(f.insecure ? { allowSelfSigned: true } : {}),
    },
  };
}

function credentialsFrom(f: ProbeFlags): TurnCredentials {
  if (!f.username) throw usage('--username is required');
  if (f.secret !== undefined) {
    // REST API credentials valid for one hour, minted the way an MRAS service or WebRTC backend would.
    return restCredentials(f.secret, f.username, Math.floor(Date.now() / 1000) + 3600);
  }
  if (f.password === undefined) throw usage('--password (long-term) or --secret (REST API shared secret) is required');
  return longTermCredentials(f.username, f.password);
}

export function printProbe(r: TurnProbeResult, o: Output): void {
  const lines: string[] = [];
  lines.push(`TURN probe over ${r.transport.toUpperCase()} → ${formatAddress(r.server)} as ${r.username}${r.realm ? ` (realm ${r.realm})` : ''}`);
  for (const s of r.steps) lines.push(`  ${s.name.padEnd(24)} ${s.ms.toFixed(2).padStart(9)} ms   ${s.outcome}`);
  if (r.relayed) {
    lines.push(`  relayed   ${formatAddress(r.relayed)}`);
    lines.push(`  reflexive ${r.reflexive ? formatAddress(r.reflexive) : '(not given by the server)'}`);
    lines.push(`  lifetime  ${r.lifetime} s`);
  }
  const e = r.echo;
  if (e.peer) {
    const rtt = (x: TurnProbeResult['echo']['indication']): string => (x.rttMs ? `, rtt ${x.rttMs.min}/${x.rttMs.avg}/${x.rttMs.max} ms min/avg/max` : '');
    lines.push(`  echo peer ${formatAddress(e.peer)}`);
    lines.push(`  echo via Send/Data indications: ${e.indication.received}/${e.indication.sent} back${rtt(e.indication)}`);
    lines.push(`  echo via ChannelData${e.channel.number !== null ? ` (0x${e.channel.number.toString(16)})` : ''}: ${e.channel.received}/${e.channel.sent} back${rtt(e.channel)}`);
  }
  lines.push(r.ok ? '  OK' : `  FAILED ${r.error?.code}: ${r.error?.message}`);
  o.out(lines.join('\n') + '\n');
}

async function probeOne(f: ProbeFlags, o: Output): Promise<number> {
  const transport = f.transport as TurnTransportKind;
  if (!TRANSPORTS.includes(transport)) throw usage(`--transport must be udp, tcp or tls, got "${f.transport}"`);
  if (!f.server) throw usage('--server HOST:PORT is required (or --lab to start a coturn on loopback)');
  const count = positiveInt('count', f.count, 1000);
  const timeoutMs = positiveInt('timeout', f.timeout, 600_000);
  const net = new NodeNet();
  const server = await resolveServer(net, f.server, transport, f);
  const peer = f.peer ? parseHostPort(f.peer) : undefined;
  if (f.peer && !peer) throw usage(`--peer must be IP:PORT, got "${f.peer}"`);
  const r = await runTurnProbe({
    net,
    clock: new RealClock(),
    server,
    credentials: credentialsFrom(f),
    count,
    retransmit: retransmitWithin(timeoutMs),
    connectTimeoutMs: timeoutMs,
    echoTimeoutMs: Math.min(timeoutMs, 2000),
    ...(f.lifetime ? { lifetimeSeconds: positiveInt('lifetime', f.lifetime, 86_400) } : {}),
    ...(f.local ? { localIp: f.local } : {}),
    ...(peer ? { echoPeer: { ip: peer.host, port: peer.port } } : {}),
  });
  if (f.json) o.out(JSON.stringify(r, null, 2) + '\n');
  else printProbe(r, o);
  return r.ok ? 0 : 1;
}

/**
 * `--lab`: the main job before a full call exists. Starts a real coturn on loopback (long-term
 * credentials, TLS with a throwaway certificate) and a second one with a REST API secret, probes
 * UDP, TCP and TLS on the first and REST credentials on the second, then stops both.
 */
async function probeLab(f: ProbeFlags, o: Output): Promise<number> {
  const count = positiveInt('count', f.count, 1000);
  const net = new NodeNet();
  const clock = new RealClock();
  const cert = makeSelfSignedPair('turn.lab.test', ['127.0.0.1']);
  const servers: CoturnInstance[] = [];
  const results: TurnProbeResult[] = [];
  try {
    if (!f.json) o.err('starting coturn on loopback (long-term credentials + TLS, and a REST-secret instance)…\n');
    const user = { name: 'alice', password: `pw-${Math.random().toString(36).slice(2, 10)}` };
    const secret = `secret-${Math.random().toString(36).slice(2, 12)}`;
    servers.push(await startCoturn({ ip: '127.0.0.1', auth: { kind: 'long-term', users: [user] }, tls: { certPath: cert.certPath, keyPath: cert.keyPath } }));
    servers.push(await startCoturn({ ip: '127.0.0.1', auth: { kind: 'shared-secret', secret } }));
    const [lt, rest] = servers as [CoturnInstance, CoturnInstance];
    const plans: Array<{ server: TurnServer; credentials: TurnCredentials }> = [
      { server: { address: lt.udp, transport: 'udp' }, credentials: longTermCredentials(user.name, user.password) },
      { server: { address: lt.tcp, transport: 'tcp' }, credentials: longTermCredentials(user.name, user.password) },
      { server: { address: lt.tls!, transport: 'tls', tls: { ca: cert.certPem, servername: 'turn.lab.test' } }, credentials: longTermCredentials(user.name, user.password) },
      { server: { address: rest.udp, transport: 'udp' }, credentials: restCredentials(secret, user.name, Math.floor(Date.now() / 1000) + 8 * 3600) },
    ];
    for (const p of plans) {
      const r = await runTurnProbe({ net, clock, ...p, count, localIp: '127.0.0.1', retransmit: retransmitWithin(5000), connectTimeoutMs: 5000 });
      results.push(r);
      if (!f.json) printProbe(r, o);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    cert.remove();
  }
  const ok = results.length === 4 && results.every((r) => r.ok);
  if (f.json) o.out(JSON.stringify({ ok, lab: true, probes: results }, null, 2) + '\n');
  else o.out(ok ? 'lab TURN probe: all 4 probes OK (udp, tcp, tls with long-term credentials; udp with REST credentials)\n' : 'lab TURN probe: FAILED\n');
  return ok ? 0 : 1;
}

export function registerTurnProbe(program: Command, o: Output, setExit: (code: number) => void): void {
  program
    .command('turn-probe')
    .description('Allocate a TURN relay, show each step and its time, echo datagrams through a permission and a channel, deallocate.')
    .option('--server <host:port>', 'TURN server')
    .option('--transport <udp|tcp|tls>', 'transport to the server', 'udp')
    .option('--username <user>', 'TURN username (with --secret: the user part of expiry:user)')
    .option('--password <password>', 'long-term password')
    .option('--secret <secret>', 'TURN REST API shared secret (mints expiry:user / HMAC-SHA1 credentials)')
    .option('--ca <file>', 'PEM CA to trust for TLS')
    .option('--insecure', 'accept a self-signed TLS certificate')
    .option('--servername <name>', 'TLS server name (SNI and certificate check)')
    .option('--local <ip>', 'local address to bind')
    .option('--peer <ip:port>', 'external UDP echo peer (default: one started on the local address)')
    .option('--count <n>', 'datagrams per echo mode', '5')
    .option('--lifetime <seconds>', 'requested allocation lifetime')
    .option('--timeout <ms>', 'bound on each step (retransmissions scaled to fit)', '10000')
    .option('--json', 'print one JSON object on stdout')
    .option('--lab', 'start coturn on loopback and probe udp, tcp, tls and REST credentials')
    .action(async (f: ProbeFlags) => {
      try {
        setExit(f.lab ? await probeLab(f, o) : await probeOne(f, o));
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ ok: false, error: err.toInfo() }, null, 2) + '\n');
        else o.err(`mediapath turn-probe: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' ? 2 : 1);
      }
    });
}
