import { type TransportAddress, normalizeIp } from '../../common/address';
import type { RandomSource } from '../../common/random';
import { getHeader, type SipMessage, type SipRequest, type SipResponse, withHeader, getHeaders } from '../message';
import { BRANCH_MAGIC_COOKIE, parseVia, type Via } from '../header-values';
import { emptyParams, formatParams, type Params } from '../params';
import { formatHostPort } from '../uri';
import { defaultSipPort, type SipTransportKind, viaToken } from './types';

/** A branch unique in space and time (RFC 3261 §8.1.1.7): the magic cookie and 80 random bits. */
export function newBranch(random: RandomSource): string {
  return `${BRANCH_MAGIC_COOKIE}${hex(random.bytes(10))}`;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function writeVia(token: string, host: string, port: number | undefined, params: Params): string {
  return `SIP/2.0/${token} ${formatHostPort(host, port)}${formatParams(params)}`;
}

function copyParams(p: Params): Record<string, string | null> {
  return Object.assign(emptyParams(), p);
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/**
 * The top Via with our protocol token and sent-by (RFC 3261 §18.1.1), other parameters (branch,
 * rport…) kept in place. A message whose top Via does not parse is returned as is: the
 * transaction layer refuses such requests before they get here.
 */
export function stampTopVia<M extends SipMessage>(msg: M, kind: SipTransportKind, sentBy: TransportAddress): M {
  const vias = getHeaders(msg, 'Via');
  const top = vias[0] === undefined ? undefined : parseVia(vias[0]);
  if (!top?.ok) return msg;
  const stamped = writeVia(viaToken(kind), sentBy.ip, sentBy.port, top.value.params);
  return withHeader(msg, 'Via', stamped, ...vias.slice(1));
}

/**
 * Server side of RFC 3261 §18.2.1 and RFC 3581 §4: a request whose sent-by host is not the
 * address it came from gets `received`; a request asking with a bare `rport` gets the source port
 * and, in that case always, `received`. Responses then find their way back through the NAT.
 */
export function markReceived(req: SipRequest, source: TransportAddress): SipRequest {
  const vias = getHeaders(req, 'Via');
  const top = vias[0] === undefined ? undefined : parseVia(vias[0]);
  if (!top?.ok) return req;
  const v = top.value;
  const ip = normalizeIp(source.ip);
  const wantsRport = v.rport === true;
  const differs = !isIpLiteral(v.host) || normalizeIp(v.host) !== ip;
  if (!wantsRport && !differs) return req;
  const params = copyParams(v.params);
  params['received'] = ip;
  if (wantsRport) params['rport'] = String(source.port);
  return withHeader(req, 'Via', writeVia(v.transport, v.host, v.port, params), ...vias.slice(1));
}

/** Our address as the next hop saw it, from the top Via of a response to us (RFC 3581 §9). */
export function learnedAddress(res: SipResponse): TransportAddress | undefined {
  const top = parseVia(getHeader(res, 'Via') ?? '');
  if (!top.ok) return undefined;
  const v: Via = top.value;
  if (v.received === undefined && typeof v.rport !== 'number') return undefined;
  const ip = v.received ?? v.host;
  if (!isIpLiteral(ip)) return undefined;
  const port = typeof v.rport === 'number' ? v.rport : (v.port ?? undefined);
  if (port === undefined) return undefined;
  return { ip: normalizeIp(ip), port };
}

/**
 * Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4): over a stream, back on the connection it
 * came from; over UDP, to the source address and the `rport` when the client asked for it, else
 * to the source address and the sent-by port.
 */
export function responseDestination(res: SipResponse, source: TransportAddress, kind: SipTransportKind): TransportAddress {
  if (kind !== 'udp') return source;
  const top = parseVia(getHeader(res, 'Via') ?? '');
  if (!top.ok) return source;
  const v = top.value;
  if (typeof v.rport === 'number') return { ip: v.received ?? source.ip, port: v.rport };
  return { ip: source.ip, port: v.port ?? defaultSipPort(kind) };
}
