import { err, ok, type Result } from '../common/result';
import type { RandomSource } from '../common/random';
import {
  type AuthError,
  type DigestChallenge,
  digestResponse,
  formatDigestAuthorization,
  parseDigestChallenge,
  userhash,
} from './digest';
import type { SipParseError } from './message';

export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
}

export type AuthHeaderName = 'Authorization' | 'Proxy-Authorization';

interface RealmState {
  readonly header: AuthHeaderName;
  readonly challenge: DigestChallenge;
  /** Requests sent with this nonce so far; the next one carries nc = uses + 1. */
  uses: number;
}

/**
 * The client half of digest for one account: remembers the last challenge per realm so later
 * requests (REGISTER refreshes, SUBSCRIBE, SERVICE, INVITE) carry credentials up front with the
 * nonce count incremented (RFC 7616 §3.4: nc counts requests sent with one nonce), and tells a
 * wrong password from an expired nonce.
 *
 * Wrong password: the server re-challenges after we answered a fresh nonce (first use), without
 * `stale=true` → `SIP_AUTH_FAILED`. A rejected *reused* nonce gets one retry with the new one.
 */
export class DigestSession {
  private readonly realms = new Map<string, RealmState>();

  constructor(
    private readonly credentials: DigestCredentials,
    private readonly random: RandomSource,
  ) {}

  /**
   * Takes the WWW-Authenticate (401) or Proxy-Authenticate (407) values of a response. Per
   * realm the topmost challenge we support wins (RFC 8760 §2.4: servers list SHA-256 first).
   */
  onChallenge(status: 401 | 407, values: readonly string[]): Result<'retry', AuthError | SipParseError> {
    const header: AuthHeaderName = status === 407 ? 'Proxy-Authorization' : 'Authorization';
    const chosen = new Map<string, DigestChallenge>();
    let firstError: AuthError | SipParseError | undefined;
    for (const v of values) {
      const c = parseDigestChallenge(v);
      if (!c.ok) {
        firstError ??= c.error;
        continue;
      }
      if (!chosen.has(c.value.realm)) chosen.set(c.value.realm, c.value);
    }
    if (chosen.size === 0) {
      return err(firstError ?? { code: 'SIP_AUTH_UNSUPPORTED', reason: `${status} without a challenge` });
    }
    for (const [realm, challenge] of chosen) {
      const prev = this.realms.get(realm);
      if (prev && prev.uses === 1 && !challenge.stale) {
        this.realms.delete(realm);
        return err({ code: 'SIP_AUTH_FAILED', reason: `credentials for realm "${realm}" were refused`, realm });
      }
    }
    for (const [realm, challenge] of chosen) this.realms.set(realm, { header, challenge, uses: 0 });
    return ok('retry');
  }

  /** Credentials for every realm we know, to add to the next request. */
  authorize(method: string, uri: string, body = ''): { name: AuthHeaderName; value: string }[] {
    const out: { name: AuthHeaderName; value: string }[] = [];
    for (const state of this.realms.values()) {
      const c = state.challenge;
      state.uses++;
      const qop = c.qop.includes('auth') ? 'auth' : c.qop.includes('auth-int') ? 'auth-int' : undefined;
      const cnonce = qop ? this.cnonce() : undefined;
      const response = digestResponse({
        algorithm: c.algorithm,
        username: this.credentials.username,
        password: this.credentials.password,
        realm: c.realm,
        nonce: c.nonce,
        method,
        uri,
        ...(qop ? { qop, cnonce: cnonce!, nc: state.uses } : {}),
        body,
      });
      out.push({
        name: state.header,
        value: formatDigestAuthorization({
          username: c.userhash ? userhash(c.algorithm, this.credentials.username, c.realm) : this.credentials.username,
          realm: c.realm,
          nonce: c.nonce,
          uri,
          response,
          algorithm: c.algorithm,
          ...(c.opaque !== undefined ? { opaque: c.opaque } : {}),
          ...(qop ? { qop, cnonce: cnonce!, nc: state.uses } : {}),
          ...(c.userhash ? { userhash: true } : {}),
        }),
      });
    }
    return out;
  }

  /** Forget all challenges (account change, un-REGISTER). */
  clear(): void {
    this.realms.clear();
  }

  private cnonce(): string {
    return Array.from(this.random.bytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
  }
}
