import { err, ok, type Result } from '../common/result';
import { type SipParseError, sipParseError } from './message';
import { clip, emptyParams, formatParams, type Params, parseParams } from './params';

/**
 * SIP and SIPS URIs (RFC 3261 §19.1): `sip:user:password@host:port;params?headers`.
 * An IPv6 host is stored without its brackets and written with them.
 */
export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
  readonly headers: Readonly<Record<string, string>>;
}

const MAX_URI = 2048;
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;

export function parseSipUri(text: string, base = 0): Result<SipUri, SipParseError> {
  if (text.length > MAX_URI) return err(sipParseError(base, `URI longer than ${MAX_URI} characters`));
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') {
    return err(sipParseError(base, `not a sip: or sips: URI: "${clip(text)}"`));
  }
  let rest = text.slice(colon + 1);
  let at = base + colon + 1;
  // The user part may contain ';' and '?' (RFC 3261 §25.1 user-unreserved) but never a raw '@',
  // and neither may params or headers: the last '@' ends the userinfo.
  let user: string | undefined;
  let password: string | undefined;
  const amp = rest.lastIndexOf('@');
  if (amp >= 0) {
    const userinfo = rest.slice(0, amp);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user === '') return err(sipParseError(at, 'empty user part before "@"'));
    if (/[\s<>"]/.test(userinfo)) return err(sipParseError(at, 'illegal character in user part'));
    rest = rest.slice(amp + 1);
    at += amp + 1;
  }
  const hostEnd = firstOf(rest, ';?');
  const hostport = rest.slice(0, hostEnd);
  const hp = parseHostPortPart(hostport, at);
  if (!hp.ok) return hp;
  let params: Params = emptyParams();
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let tail = rest.slice(hostEnd);
  let tailAt = at + hostEnd;
  if (tail.startsWith(';')) {
    const q = tail.indexOf('?');
    const paramText = q < 0 ? tail.slice(1) : tail.slice(1, q);
    const parsed = parseParams(paramText, tailAt + 1);
    if (!parsed.ok) return parsed;
    params = parsed.value;
    tailAt += q < 0 ? tail.length : q;
    tail = q < 0 ? '' : tail.slice(q);
  }
  if (tail.startsWith('?')) {
    for (const pair of tail.slice(1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const k = eq < 0 ? pair : pair.slice(0, eq);
      if (!(k in headers)) headers[k] = eq < 0 ? '' : pair.slice(eq + 1);
    }
  } else if (tail !== '') {
    return err(sipParseError(tailAt, 'unexpected text after host'));
  }
  return ok({
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host: hp.value.host,
    ...(hp.value.port !== undefined ? { port: hp.value.port } : {}),
    params,
    headers,
  });
}

function firstOf(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return s.length;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` as in a URI or a Via sent-by. */
export function parseHostPortPart(
  text: string,
  base: number,
): Result<{ host: string; port?: number }, SipParseError> {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return err(sipParseError(base, 'unterminated IPv6 reference'));
    host = text.slice(1, close);
    if (!IPV6_RE.test(host) || !host.includes(':')) return err(sipParseError(base + 1, `bad IPv6 address "${clip(host)}"`));
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return err(sipParseError(base + close + 1, 'unexpected text after IPv6 reference'));
    if (after !== '') portText = after.slice(1);
  } else {
    const c = text.indexOf(':');
    host = c < 0 ? text : text.slice(0, c);
    if (c >= 0) portText = text.slice(c + 1);
    if (!HOSTNAME_RE.test(host)) return err(sipParseError(base, `bad host "${clip(host)}"`));
  }
  if (portText === undefined) return ok({ host });
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    return err(sipParseError(base + text.length - portText.length, `bad port "${clip(portText)}"`));
  }
  return ok({ host, port });
}

export function formatHostPort(host: string, port?: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

export function formatSipUri(u: SipUri): string {
  const userinfo = u.user === undefined ? '' : `${u.user}${u.password !== undefined ? `:${u.password}` : ''}@`;
  const hdrs = Object.entries(u.headers);
  const q = hdrs.length === 0 ? '' : `?${hdrs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  return `${u.scheme}:${userinfo}${formatHostPort(u.host, u.port)}${formatParams(u.params)}${q}`;
}
