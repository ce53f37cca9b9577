import { longTermKey } from '../../stun';
import { restCredentials } from '../../turn';
import type { TurnServerAuth } from './types';

export type KeyLookup =
  | { readonly ok: true; readonly key: Uint8Array }
  | { readonly ok: false; readonly reason: 'unknown-user' | 'bad-rest-username' | 'rest-expired' };

/** Longest username we look at (RFC 8489 §14.3 caps USERNAME at 509 bytes). */
const MAX_USERNAME = 509;

/**
 * The server side of long-term credentials: username → the MD5 key of RFC 8489 §9.2.2. For the
 * REST kind the password is derived from the shared secret exactly as the engine's client (and
 * the lab's MRAS service) derive it, so what MRAS hands out is what this server accepts.
 */
export class CredentialStore {
  constructor(
    private readonly auth: TurnServerAuth,
    private readonly realm: string,
    /** Wall-clock ms since the epoch: REST usernames carry an absolute expiry. */
    private readonly wallNow: () => number,
  ) {}

  keyFor(username: string): KeyLookup {
    if (username.length === 0 || username.length > MAX_USERNAME) return { ok: false, reason: 'unknown-user' };
    if (this.auth.kind === 'long-term') {
      const password = Object.prototype.hasOwnProperty.call(this.auth.users, username) ? this.auth.users[username] : undefined;
      if (password === undefined) return { ok: false, reason: 'unknown-user' };
      return { ok: true, key: longTermKey(username, this.realm, password) };
    }
    const m = /^(\d{1,12}):(.+)$/s.exec(username);
    if (!m) return { ok: false, reason: 'bad-rest-username' };
    const expiry = Number(m[1]);
    // Minted by the same function the client side uses; a non-canonical spelling of the expiry
    // (leading zeros) would sign differently, so it is refused rather than guessed at.
    const minted = restCredentials(this.auth.secret, m[2]!, expiry);
    if (minted.username !== username) return { ok: false, reason: 'bad-rest-username' };
    if (expiry * 1000 < this.wallNow()) return { ok: false, reason: 'rest-expired' };
    return { ok: true, key: longTermKey(username, this.realm, minted.password) };
  }
}
