import type { RandomSource } from '../../common/random';
import { formatDigestChallenge, parseDigestAuthorization, verifyDigestAuthorization, type DigestAuthorization } from '../../sip/digest';
import { getHeaders, type SipRequest } from '../../sip/message';

export type DigestCheck =
  | { readonly kind: 'ok'; readonly user: string }
  /** Answer 401/407 with a fresh challenge; `stale` when the proof was right but the nonce is not usable. */
  | { readonly kind: 'challenge'; readonly stale: boolean; readonly reason: string; readonly user?: string };

interface NonceState {
  readonly issuedAt: number;
  /** Highest nc seen with qop (RFC 7616 §3.4: a repeated or lower nc is a replay). */
  lastNc: number;
}

export interface DigestGuardOptions {
  readonly realm: string;
  readonly algorithm: 'MD5' | 'SHA-256';
  readonly users: Readonly<Record<string, string>>;
  readonly random: RandomSource;
  /** How long a nonce is accepted. Default 300 s. */
  readonly nonceLifetimeMs?: number;
  /** Bound on remembered nonces (oldest forgotten first). Default 4096. */
  readonly maxNonces?: number;
}

/**
 * The server half of SIP digest (RFC 3261 §22, RFC 7616, RFC 8760) for the lab registrar and
 * proxy: issues nonces, checks credentials against the user list, tells a wrong password (new
 * challenge) from an old or replayed nonce with a right password (challenge with
 * `stale=TRUE`, RFC 7616 §3.3, so the client retries without asking its user). Sans-IO:
 * time comes in as `now`.
 */
export class DigestGuard {
  private readonly nonces = new Map<string, NonceState>();
  private readonly lifetime: number;
  private readonly max: number;

  constructor(private readonly opts: DigestGuardOptions) {
    this.lifetime = opts.nonceLifetimeMs ?? 300_000;
    this.max = opts.maxNonces ?? 4096;
  }

  get realm(): string {
    return this.opts.realm;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.nonces.size;
  }

  /** A WWW-Authenticate / Proxy-Authenticate value with a fresh nonce. */
  challenge(now: number, stale = false): string {
    const nonce = Array.from(this.opts.random.bytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
    this.nonces.set(nonce, { issuedAt: now, lastNc: 0 });
    while (this.nonces.size > this.max) this.nonces.delete(this.nonces.keys().next().value as string);
    return formatDigestChallenge({ realm: this.opts.realm, nonce, algorithm: this.opts.algorithm, qop: ['auth'], stale });
  }

  /** Checks the `header` credentials of `req` for our realm. */
  check(req: SipRequest, header: 'Authorization' | 'Proxy-Authorization', now: number): DigestCheck {
    let auth: DigestAuthorization | undefined;
    let parseProblem: string | undefined;
    for (const v of getHeaders(req, header)) {
      const p = parseDigestAuthorization(v);
      if (!p.ok) {
        parseProblem ??= p.error.reason;
        continue;
      }
      if (p.value.realm === this.opts.realm) {
        auth = p.value;
        break;
      }
    }
    if (!auth) return { kind: 'challenge', stale: false, reason: parseProblem ?? `no ${header} for realm ${this.opts.realm}` };
    const user = auth.username;
    const password = Object.prototype.hasOwnProperty.call(this.opts.users, user) ? this.opts.users[user] : undefined;
    if (password === undefined) return { kind: 'challenge', stale: false, reason: 'unknown user', user };
    if (auth.algorithm !== this.opts.algorithm) {
      return { kind: 'challenge', stale: false, reason: `algorithm ${auth.algorithm} is not the offered ${this.opts.algorithm}`, user };
    }
    const proof = verifyDigestAuthorization(auth, { method: req.method, realm: this.opts.realm, password, username: user, requestUri: req.uri });
    if (!proof.ok) return { kind: 'challenge', stale: false, reason: proof.error.reason, user };
    // The proof is right; only the nonce can still be wrong, and then the client need not ask its user.
    const state = this.nonces.get(auth.nonce);
    if (!state || now - state.issuedAt >= this.lifetime) {
      this.nonces.delete(auth.nonce);
      return { kind: 'challenge', stale: true, reason: state ? 'nonce expired' : 'nonce not issued here', user };
    }
    if (auth.qop !== undefined) {
      const nc = auth.nc ?? 0;
      if (nc <= state.lastNc) return { kind: 'challenge', stale: true, reason: `nonce count ${nc} replayed (last ${state.lastNc})`, user };
      state.lastNc = nc;
    }
    return { kind: 'ok', user };
  }

  /** Forgets nonces past their lifetime. */
  sweep(now: number): void {
    for (const [n, s] of this.nonces) if (now - s.issuedAt >= this.lifetime) this.nonces.delete(n);
  }
}
