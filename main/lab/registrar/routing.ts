import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeIp, type TransportAddress } from '../../common/address';
import { err, ok, type Result } from '../../common/result';
import { BRANCH_MAGIC_COOKIE, formatVia, parseNameAddr, parseVia, type Via } from '../../sip/header-values';
import { getHeader, type SipMessage, type SipRequest, withHeader } from '../../sip/message';
import { formatParams } from '../../sip/params';
import { formatHostPort, parseSipUri, type SipUri } from '../../sip/uri';
import type { SipTransportKind } from './types';

/**
 * The proxy's header work, sans-IO (RFC 3261 §16): recognising our own URIs, Route and
 * Record-Route (loose routing only: every URI we put in Record-Route carries `lr`), Via with
 * received/rport (§18.2.1, RFC 3581 §4), Max-Forwards (§16.3 step 3), where a URI or a Via
 * sends us.
 */
export interface SelfIdentity {
  /** The host we write in Via and Record-Route. */
  readonly host: string;
  readonly domain: string;
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly tlsPort?: number;
}

export const DEFAULT_SIP_PORT = 5060;
/** RFC 3261 §19.1.2: the default port of sips: and of transport=tls. */
export const DEFAULT_SIPS_PORT = 5061;
const DEFAULT_MAX_FORWARDS = 70;

export function portFor(self: SelfIdentity, t: SipTransportKind): number | undefined {
  return t === 'udp' ? self.udpPort : t === 'tcp' ? self.tcpPort : self.tlsPort;
}

function isOwnPort(self: SelfIdentity, port: number): boolean {
  return port === self.udpPort || port === self.tcpPort || port === self.tlsPort;
}

/** A URI naming this server: our domain, or our host on one of our ports. */
export function isSelfUri(uri: SipUri, self: SelfIdentity): boolean {
  if (uri.host.toLowerCase() === self.domain.toLowerCase()) return true;
  if (normalizeIp(uri.host) !== normalizeIp(self.host)) return false;
  return isOwnPort(self, uri.port ?? (uri.scheme === 'sips' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT));
}

/** Our Record-Route URI for one transport side. */
export function selfRouteUri(self: SelfIdentity, t: SipTransportKind): string {
  return `sip:${formatHostPort(self.host, portFor(self, t))};transport=${t};lr`;
}

/**
 * Record-Route entries for a request coming in on `inbound` and going out on `outbound`. When
 * the transports differ we record twice (RFC 5658 §3.2), so each side reaches us on its own
 * transport: the entry facing the callee on top (it reads the set top-down), the one facing
 * the caller below (the caller reads it reversed).
 */
export function recordRouteEntries(self: SelfIdentity, inbound: SipTransportKind, outbound: SipTransportKind): string[] {
  const top = `<${selfRouteUri(self, outbound)}>`;
  return inbound === outbound ? [top] : [top, `<${selfRouteUri(self, inbound)}>`];
}

/** Removes the Route entries at the top that name us (§16.4); two when we double-recorded. */
export function popSelfRoutes(req: SipRequest, self: SelfIdentity): SipRequest {
  let headers = [...req.headers];
  for (;;) {
    const i = headers.findIndex((h) => h.name === 'Route');
    if (i < 0) break;
    const na = parseNameAddr(headers[i]!.value);
    const uri = na.ok ? parseSipUri(na.value.uri) : undefined;
    if (!uri?.ok || !isSelfUri(uri.value, self)) break;
    headers = [...headers.slice(0, i), ...headers.slice(i + 1)];
  }
  return headers.length === req.headers.length ? req : { ...req, headers };
}

/** The URI the request goes to next: the first Route if any (loose routing), else the Request-URI. */
export function nextHopUri(req: SipRequest): Result<SipUri, string> {
  const route = getHeader(req, 'Route');
  const text = route === undefined ? req.uri : (() => {
    const na = parseNameAddr(route);
    return na.ok ? na.value.uri : '';
  })();
  const u = parseSipUri(text);
  return u.ok ? ok(u.value) : err(`cannot route to "${text.slice(0, 60)}": ${u.error.reason}`);
}

/**
 * Where a URI sends us: IP literals only (the lab resolves no names), UDP unless it says TCP or
 * TLS; a sips: URI means TLS (RFC 3261 §26.2.2).
 */
export function uriTarget(uri: SipUri): Result<{ transport: SipTransportKind; address: TransportAddress }, string> {
  const t = (uri.params['transport'] ?? (uri.scheme === 'sips' ? 'tls' : 'udp')).toLowerCase();
  if (t !== 'udp' && t !== 'tcp' && t !== 'tls') return err(`transport=${t} is not served by the lab`);
  if (uri.scheme === 'sips' && t !== 'tls') return err(`a sips: URI cannot use transport=${t}`);
  if (isIP(uri.host) === 0) return err(`host ${uri.host} is not an IP address`);
  return ok({ transport: t, address: { ip: uri.host, port: uri.port ?? (t === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT) } });
}

/**
 * §18.2.1 and RFC 3581 §4: note where the request really came from in its top Via, so the
 * answers (ours and forwarded ones) go back there through any NAT.
 */
export function withReceived(req: SipRequest, from: TransportAddress): SipRequest {
  const top = getHeader(req, 'Via');
  if (top === undefined) return req;
  const via = parseVia(top);
  if (!via.ok) return req;
  const v = via.value;
  const wantsRport = v.rport !== undefined;
  if (!wantsRport && normalizeIp(v.host) === normalizeIp(from.ip)) return req;
  const params: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  for (const [k, val] of Object.entries(v.params)) if (k !== 'received' && k !== 'rport') params[k] = val;
  params['received'] = from.ip;
  if (wantsRport) params['rport'] = String(from.port);
  const text = `SIP/2.0/${v.transport} ${formatHostPort(v.host, v.port)}${formatParams(params)}`;
  const rest = req.headers.filter((h) => h.name === 'Via').slice(1).map((h) => h.value);
  return withHeader(req, 'Via', text, ...rest);
}

/** Max-Forwards decremented (§16.6 step 3); 483 when it reached zero (§16.3 step 3). */
export function decrementMaxForwards(req: SipRequest): Result<SipRequest, 483> {
  const raw = getHeader(req, 'Max-Forwards');
  const n = raw !== undefined && /^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : DEFAULT_MAX_FORWARDS;
  if (n <= 0) return err(483);
  return ok(withHeader(req, 'Max-Forwards', String(Math.min(n, 255) - 1)));
}

export function ourVia(self: SelfIdentity, t: SipTransportKind, branch: string): string {
  return formatVia({ transport: t.toUpperCase(), host: self.host, port: portFor(self, t), branch });
}

/** Whether this Via is one we wrote (host and one of our ports). */
export function isOwnVia(via: Via, self: SelfIdentity): boolean {
  if (normalizeIp(via.host) !== normalizeIp(self.host)) return false;
  return isOwnPort(self, via.port ?? (via.transport.toUpperCase() === 'TLS' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT));
}

/** A copy without the top Via entry, or undefined when that was the only one. */
export function withoutTopVia<M extends SipMessage>(msg: M): M | undefined {
  const i = msg.headers.findIndex((h) => h.name === 'Via');
  if (i < 0) return undefined;
  const headers = [...msg.headers.slice(0, i), ...msg.headers.slice(i + 1)];
  return headers.some((h) => h.name === 'Via') ? { ...msg, headers } : undefined;
}

/** Where a response goes back to by its (new) top Via: received/rport when present (§18.2.2, RFC 3581). */
export function viaReturnTarget(via: Via): { transport: SipTransportKind; address: TransportAddress } | undefined {
  const t = via.transport.toLowerCase();
  if (t !== 'udp' && t !== 'tcp' && t !== 'tls') return undefined;
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? (t === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT));
  return { transport: t, address: { ip: via.received ?? via.host, port } };
}

/**
 * The branch of a request we forward without a transaction (an ACK for a 2xx): derived from
 * the incoming branch, so a retransmitted ACK is forwarded with the same one (§16.11).
 */
export function statelessBranch(req: SipRequest): string {
  const h = createHash('sha256').update(`${getHeader(req, 'Via') ?? ''}|${getHeader(req, 'Call-ID') ?? ''}|${getHeader(req, 'CSeq') ?? ''}`).digest('hex');
  return `${BRANCH_MAGIC_COOKIE}sl${h.slice(0, 20)}`;
}
