import { err, ok, type Result } from '../common/result';
import type {
  CandidateTransport,
  CandidateType,
  Draft6Candidate,
  RemoteCandidate,
  RfcCandidate,
  SdpCandidate,
  TcpType,
} from './types';

/**
 * Candidate lines in both ICE dialects (PROTOCOLS.md §2). Which one a line is: the 7th token is
 * `typ` in RFC 5245/8445 ("v19") lines and never in draft-6 lines (pidgin-sipe decides the same
 * way). Values here are the text after `a=candidate:` / `a=x-candidate-ipv6:`; failures are a
 * reason string the SDP parser pins to a line number.
 */

/** How TCP candidates are spelt on output: RFC 6544 `TCP … tcptype active`, or Lync `TCP-ACT`. */
export type TcpSyntax = 'rfc6544' | 'lync';

const FOUNDATION_RE = /^[A-Za-z0-9+/]{1,32}$/;
const B64_RE = /^[A-Za-z0-9+/]{1,256}={0,2}$/;
const HOST_RE = /^[0-9A-Za-z.:%_-]{1,253}$/;
const MAX_EXTENSIONS = 16;
const TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly TcpType[] = ['active', 'passive', 'so'];

export function parseCandidateValue(value: string): Result<SdpCandidate, string> {
  const t = value.trim().split(/\s+/);
  if (t[6]?.toLowerCase() === 'typ') return parseRfc(t);
  if (t.length === 7) return parseDraft6(t);
  return err('neither an RFC 5245 candidate (7th token "typ") nor a draft-6 candidate (7 tokens)');
}

function parseComponent(s: string | undefined): number | undefined {
  const n = /^\d{1,3}$/.test(s ?? '') ? Number(s) : NaN;
  return n >= 1 && n <= 256 ? n : undefined;
}

function parsePort(s: string | undefined): number | undefined {
  const n = /^\d{1,5}$/.test(s ?? '') ? Number(s) : NaN;
  return n >= 0 && n <= 65535 ? n : undefined;
}

function parseRfc(t: string[]): Result<RfcCandidate, string> {
  const [foundation, comp, transportRaw, prio, ip, portRaw, , typeRaw, ...rest] = t;
  if (!FOUNDATION_RE.test(foundation ?? '')) return err(`bad foundation "${foundation}"`);
  const component = parseComponent(comp);
  if (component === undefined) return err(`bad component "${comp}"`);
  let transport: CandidateTransport;
  let tcpType: TcpType | undefined;
  switch (transportRaw?.toUpperCase()) {
    case 'UDP':
      transport = 'udp';
      break;
    case 'TCP':
      transport = 'tcp';
      break;
    case 'TCP-ACT': // Lync: RFC 6544 active
      transport = 'tcp';
      tcpType = 'active';
      break;
    case 'TCP-PASS': // Lync: RFC 6544 passive
      transport = 'tcp';
      tcpType = 'passive';
      break;
    default:
      return err(`unsupported transport "${transportRaw}"`);
  }
  const priority = /^\d{1,10}$/.test(prio ?? '') ? Number(prio) : NaN;
  if (!(priority >= 0 && priority <= 0xffffffff)) return err(`bad priority "${prio}"`);
  if (!HOST_RE.test(ip ?? '')) return err(`bad connection address "${ip}"`);
  const port = parsePort(portRaw);
  if (port === undefined) return err(`bad port "${portRaw}"`);
  const type = TYPES.find((x) => x === typeRaw?.toLowerCase());
  if (!type) return err(`unknown candidate type "${typeRaw}"`);
  if (rest.length % 2 !== 0) return err(`extension "${rest[rest.length - 1]}" has no value`);
  let relAddr: string | undefined;
  let relPort: number | undefined;
  const extensions: [string, string][] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    const v = rest[i + 1]!;
    if (name === 'raddr') {
      if (!HOST_RE.test(v)) return err(`bad raddr "${v}"`);
      relAddr = v;
    } else if (name === 'rport') {
      relPort = parsePort(v);
      if (relPort === undefined) return err(`bad rport "${v}"`);
    } else if (name === 'tcptype') {
      const tt = TCP_TYPES.find((x) => x === v.toLowerCase());
      if (!tt) return err(`bad tcptype "${v}"`);
      if (transport !== 'tcp') return err('tcptype on a UDP candidate');
      tcpType ??= tt; // TCP-ACT/TCP-PASS already said it
    } else {
      if (extensions.length >= MAX_EXTENSIONS) return err(`more than ${MAX_EXTENSIONS} extensions`);
      extensions.push([name, v]);
    }
  }
  if ((relAddr === undefined) !== (relPort === undefined)) return err('raddr and rport must come together');
  return ok({
    dialect: 'rfc5245',
    foundation: foundation!,
    component,
    transport,
    ...(tcpType !== undefined ? { tcpType } : {}),
    priority,
    ip: ip!,
    port,
    type,
    ...(relAddr !== undefined ? { relAddr, relPort: relPort! } : {}),
    extensions,
  });
}

function parseDraft6(t: string[]): Result<Draft6Candidate, string> {
  const [username, comp, password, transportRaw, prio, ip, portRaw] = t;
  if (!B64_RE.test(username ?? '')) return err(`bad draft-6 username "${username}"`);
  const component = parseComponent(comp);
  if (component === undefined) return err(`bad component "${comp}"`);
  if (!B64_RE.test(password ?? '')) return err('bad draft-6 password');
  const tr = transportRaw?.toUpperCase();
  if (tr !== 'UDP' && tr !== 'TCP') return err(`unsupported transport "${transportRaw}"`);
  if (!/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(prio ?? '')) return err(`bad draft-6 priority "${prio}" (want 0.xxx)`);
  if (!HOST_RE.test(ip ?? '')) return err(`bad connection address "${ip}"`);
  const port = parsePort(portRaw);
  if (port === undefined) return err(`bad port "${portRaw}"`);
  return ok({
    dialect: 'draft6',
    username: username!,
    component,
    password: password!,
    transport: tr === 'UDP' ? 'udp' : 'tcp',
    priority: Number(prio),
    ip: ip!,
    port,
  });
}

export function formatCandidateValue(c: SdpCandidate, tcpSyntax: TcpSyntax = 'rfc6544'): string {
  if (c.dialect === 'draft6') {
    return `${c.username} ${c.component} ${c.password} ${c.transport.toUpperCase()} ${formatDraft6Priority(c.priority)} ${c.ip} ${c.port}`;
  }
  const lyncTcp = c.transport === 'tcp' && tcpSyntax === 'lync' && (c.tcpType === 'active' || c.tcpType === 'passive');
  const transport = c.transport === 'udp' ? 'UDP' : lyncTcp ? (c.tcpType === 'active' ? 'TCP-ACT' : 'TCP-PASS') : 'TCP';
  let s = `${c.foundation} ${c.component} ${transport} ${c.priority} ${c.ip} ${c.port} typ ${c.type}`;
  if (c.relAddr !== undefined) s += ` raddr ${c.relAddr} rport ${c.relPort ?? 0}`;
  if (c.transport === 'tcp' && c.tcpType !== undefined && !lyncTcp) s += ` tcptype ${c.tcpType}`;
  for (const [k, v] of c.extensions) s += ` ${k} ${v}`;
  return s;
}

/** `0.830` style: three decimals like Lync unless the value needs more. */
export function formatDraft6Priority(p: number): string {
  const three = p.toFixed(3);
  return Number(three) === p ? three : String(p);
}

export function parseRemoteCandidates(value: string): Result<RemoteCandidate[], string> {
  const t = value.trim().split(/\s+/).filter((x) => x !== '');
  if (t.length === 0 || t.length % 3 !== 0) return err('want triples of "<component> <ip> <port>"');
  const out: RemoteCandidate[] = [];
  for (let i = 0; i < t.length; i += 3) {
    const component = parseComponent(t[i]);
    if (component === undefined) return err(`bad component "${t[i]}"`);
    if (!HOST_RE.test(t[i + 1]!)) return err(`bad address "${t[i + 1]}"`);
    const port = parsePort(t[i + 2]);
    if (port === undefined) return err(`bad port "${t[i + 2]}"`);
    out.push({ component, ip: t[i + 1]!, port });
  }
  return ok(out);
}

export function formatRemoteCandidates(cs: readonly RemoteCandidate[]): string {
  return cs.map((c) => `${c.component} ${c.ip} ${c.port}`).join(' ');
}
