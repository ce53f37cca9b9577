import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../common/result';
import { quote } from './headers';
import { type SipParseError, sipParseError } from './message';
import { clip } from './params';

/**
 * HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760): challenge parsing,
 * the response computation for MD5 and SHA-256 (and SHA-512-256, plus the -sess variants),
 * the Authorization header, and the server-side check the lab registrar uses.
 */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
export type DigestQop = 'auth' | 'auth-int';

const HASH: Readonly<Record<string, string>> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** A failure that is not a syntax error: the scheme is not Digest, or the server refused us. */
export interface AuthError {
  readonly code: 'SIP_AUTH_UNSUPPORTED' | 'SIP_AUTH_FAILED';
  readonly reason: string;
  readonly realm?: string;
}

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: DigestAlgorithm;
  /** Offered qop values; empty for an RFC 2069 challenge without qop. */
  readonly qop: readonly DigestQop[];
  readonly stale: boolean;
  /** RFC 7616 §3.4.4: send H(username:realm) instead of the username. */
  readonly userhash: boolean;
}

export interface AuthParams {
  /** The scheme as written (`Digest`, `NTLM`, `Kerberos`, `TLS-DSK`…). */
  readonly scheme: string;
  /** Lower-cased names, unquoted values. */
  readonly params: Readonly<Record<string, string>>;
}

const MAX_AUTH_PARAMS = 32;

/** `scheme name=value, name="quoted", …` (RFC 7235 §2.1 challenge / credentials). */
export function parseAuthParams(value: string): Result<AuthParams, SipParseError> {
  const m = /^\s*([A-Za-z0-9\-.!%*_+`'~]+)/.exec(value);
  if (!m) return err(sipParseError(0, 'missing authentication scheme'));
  const params = Object.create(null) as Record<string, string>;
  let i = m[0].length;
  let count = 0;
  while (i < value.length) {
    while (i < value.length && /[\s,]/.test(value[i]!)) i++;
    if (i >= value.length) break;
    const nameStart = i;
    while (i < value.length && /[A-Za-z0-9\-.!%*_+`'~]/.test(value[i]!)) i++;
    const name = value.slice(nameStart, i).toLowerCase();
    while (value[i] === ' ' || value[i] === '\t') i++;
    if (name === '' || value[i] !== '=') return err(sipParseError(nameStart, `bad auth-param at "${clip(value.slice(nameStart))}"`));
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
    let v = '';
    if (value[i] === '"') {
      const open = i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\') i++;
        v += value[i] ?? '';
        i++;
      }
      if (i >= value.length) return err(sipParseError(open, `unterminated quoted value of ${name}`));
      i++;
    } else {
      const vs = i;
      // Lenient: some servers leave URIs and other non-token values unquoted.
      while (i < value.length && !/[\s,]/.test(value[i]!)) i++;
      v = value.slice(vs, i);
    }
    if (++count > MAX_AUTH_PARAMS) return err(sipParseError(nameStart, `more than ${MAX_AUTH_PARAMS} auth-params`));
    if (!(name in params)) params[name] = v;
  }
  return ok({ scheme: m[1]!, params });
}

function parseAlgorithm(raw: string | undefined): DigestAlgorithm | undefined {
  if (raw === undefined) return 'MD5'; // RFC 7616 §3.3: absent means MD5
  const want = raw.toUpperCase();
  return (['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256', 'SHA-512-256-sess'] as const).find(
    (a) => a.toUpperCase() === want,
  );
}

/** One WWW-Authenticate / Proxy-Authenticate value. A non-Digest scheme is `SIP_AUTH_UNSUPPORTED`. */
export function parseDigestChallenge(value: string): Result<DigestChallenge, SipParseError | AuthError> {
  const p = parseAuthParams(value);
  if (!p.ok) return p;
  const { scheme, params } = p.value;
  if (scheme.toLowerCase() !== 'digest') {
    return err({ code: 'SIP_AUTH_UNSUPPORTED', reason: `authentication scheme ${clip(scheme)} is not supported (only Digest)` });
  }
  const realm = params['realm'];
  const nonce = params['nonce'];
  if (realm === undefined || nonce === undefined) return err(sipParseError(0, 'Digest challenge without realm or nonce'));
  const algorithm = parseAlgorithm(params['algorithm']);
  if (!algorithm) {
    return err({ code: 'SIP_AUTH_UNSUPPORTED', reason: `digest algorithm ${clip(params['algorithm'] ?? '')} is not supported`, realm });
  }
  const qop = (params['qop'] ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q): q is DigestQop => q === 'auth' || q === 'auth-int');
  if (params['qop'] !== undefined && qop.length === 0) {
    return err({ code: 'SIP_AUTH_UNSUPPORTED', reason: `qop "${clip(params['qop'])}" is not supported`, realm });
  }
  return ok({
    realm,
    nonce,
    ...(params['opaque'] !== undefined ? { opaque: params['opaque'] } : {}),
    algorithm,
    qop,
    stale: (params['stale'] ?? '').toLowerCase() === 'true',
    userhash: (params['userhash'] ?? '').toLowerCase() === 'true',
  });
}

export function formatDigestChallenge(c: {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm?: DigestAlgorithm;
  readonly qop?: readonly DigestQop[];
  readonly stale?: boolean;
}): string {
  const parts = [`realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`];
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  parts.push(`algorithm=${c.algorithm ?? 'MD5'}`);
  const qop = c.qop ?? ['auth'];
  if (qop.length > 0) parts.push(`qop=${quote(qop.join(','))}`);
  if (c.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

function hasher(algorithm: DigestAlgorithm): (s: string) => string {
  const name = HASH[algorithm.replace(/-sess$/, '')]!;
  return (s) => createHash(name).update(s, 'utf8').digest('hex');
}

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** Absent: the RFC 2069 form without cnonce/nc. */
  readonly qop?: DigestQop;
  readonly cnonce?: string;
  readonly nc?: number;
  /** Message body, for qop=auth-int. */
  readonly body?: string;
}

/** RFC 7616 §3.4.1: response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)). */
export function digestResponse(i: DigestResponseInput): string {
  const H = hasher(i.algorithm);
  let ha1 = H(`${i.username}:${i.realm}:${i.password}`);
  if (i.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${i.nonce}:${i.cnonce ?? ''}`);
  const a2 = i.qop === 'auth-int' ? `${i.method}:${i.uri}:${H(i.body ?? '')}` : `${i.method}:${i.uri}`;
  const ha2 = H(a2);
  if (i.qop === undefined) return H(`${ha1}:${i.nonce}:${ha2}`);
  return H(`${ha1}:${i.nonce}:${formatNc(i.nc ?? 1)}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
}

/** RFC 7616 §3.4.4 userhash: H(username:realm). */
export function userhash(algorithm: DigestAlgorithm, username: string, realm: string): string {
  return hasher(algorithm)(`${username}:${realm}`);
}

export function formatNc(nc: number): string {
  return (nc >>> 0).toString(16).padStart(8, '0');
}

export interface DigestAuthorization {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop?: DigestQop;
  readonly cnonce?: string;
  readonly nc?: number;
  readonly opaque?: string;
  readonly userhash?: boolean;
}

/** The Authorization / Proxy-Authorization value (RFC 3261 §25.1 `credentials`). */
export function formatDigestAuthorization(a: DigestAuthorization): string {
  const parts = [
    `username=${quote(a.username)}`,
    `realm=${quote(a.realm)}`,
    `nonce=${quote(a.nonce)}`,
    `uri=${quote(a.uri)}`,
    `response=${quote(a.response)}`,
    `algorithm=${a.algorithm}`,
  ];
  if (a.opaque !== undefined) parts.push(`opaque=${quote(a.opaque)}`);
  if (a.qop !== undefined) parts.push(`qop=${a.qop}`, `cnonce=${quote(a.cnonce ?? '')}`, `nc=${formatNc(a.nc ?? 1)}`);
  if (a.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

export function parseDigestAuthorization(value: string): Result<DigestAuthorization, SipParseError | AuthError> {
  const p = parseAuthParams(value);
  if (!p.ok) return p;
  const { scheme, params } = p.value;
  if (scheme.toLowerCase() !== 'digest') return err({ code: 'SIP_AUTH_UNSUPPORTED', reason: `scheme ${clip(scheme)} is not Digest` });
  for (const k of ['username', 'realm', 'nonce', 'uri', 'response']) {
    if (params[k] === undefined) return err(sipParseError(0, `Digest credentials without ${k}`));
  }
  const algorithm = parseAlgorithm(params['algorithm']);
  if (!algorithm) return err({ code: 'SIP_AUTH_UNSUPPORTED', reason: `digest algorithm ${clip(params['algorithm'] ?? '')} is not supported` });
  const qopRaw = params['qop']?.toLowerCase();
  if (qopRaw !== undefined && qopRaw !== 'auth' && qopRaw !== 'auth-int') return err(sipParseError(0, `bad qop "${clip(qopRaw)}"`));
  const ncRaw = params['nc'];
  if (ncRaw !== undefined && !/^[0-9a-fA-F]{8}$/.test(ncRaw)) return err(sipParseError(0, `bad nc "${clip(ncRaw)}"`));
  if (qopRaw !== undefined && (ncRaw === undefined || params['cnonce'] === undefined)) {
    return err(sipParseError(0, 'qop without nc and cnonce'));
  }
  return ok({
    username: params['username']!,
    realm: params['realm']!,
    nonce: params['nonce']!,
    uri: params['uri']!,
    response: params['response']!,
    algorithm,
    ...(qopRaw !== undefined ? { qop: qopRaw } : {}),
    ...(params['cnonce'] !== undefined ? { cnonce: params['cnonce'] } : {}),
    ...(ncRaw !== undefined ? { nc: parseInt(ncRaw, 16) } : {}),
    ...(params['opaque'] !== undefined ? { opaque: params['opaque'] } : {}),
    ...((params['userhash'] ?? '').toLowerCase() === 'true' ? { userhash: true } : {}),
  });
}

/**
 * Server side: is `auth` a correct answer for this request? The caller looks the user up by
 * `auth.username` (or by userhash), checks the nonce is one it issued and nc is fresh, and
 * passes the password here. Compares in constant time.
 */
export function verifyDigestAuthorization(
  auth: DigestAuthorization,
  expect: { readonly method: string; readonly realm: string; readonly password: string; readonly username: string; readonly requestUri?: string; readonly body?: string },
): Result<true, AuthError> {
  const fail = (reason: string): Result<true, AuthError> => err({ code: 'SIP_AUTH_FAILED', reason, realm: expect.realm });
  if (auth.realm !== expect.realm) return fail(`realm "${clip(auth.realm)}" is not ours`);
  // RFC 3261 §22.4: the digest-uri must name the Request-URI it protects.
  if (expect.requestUri !== undefined && auth.uri !== expect.requestUri) return fail('digest uri differs from the Request-URI');
  const want = digestResponse({
    algorithm: auth.algorithm,
    username: expect.username,
    password: expect.password,
    realm: expect.realm,
    nonce: auth.nonce,
    method: expect.method,
    uri: auth.uri,
    ...(auth.qop !== undefined ? { qop: auth.qop } : {}),
    ...(auth.cnonce !== undefined ? { cnonce: auth.cnonce } : {}),
    ...(auth.nc !== undefined ? { nc: auth.nc } : {}),
    ...(expect.body !== undefined ? { body: expect.body } : {}),
  });
  const got = Buffer.from(auth.response.toLowerCase(), 'utf8');
  const exp = Buffer.from(want, 'utf8');
  if (got.length !== exp.length || !timingSafeEqual(got, exp)) return fail('wrong digest response');
  return ok(true);
}
