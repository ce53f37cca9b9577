import type { RandomSource } from '../common/random';

/** RFC 8445 §15.1 ice-char: ALPHA / DIGIT / "+" / "/". 64 symbols: one per 6 random bits. */
export const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export interface IceCredentials {
  readonly ufrag: string;
  readonly pwd: string;
}

export interface CredentialOptions {
  /** At least 4 (RFC 8445 §5.3: 24 bits of randomness). */
  readonly ufragLength?: number;
  /** At least 22 (RFC 8445 §5.3: 128 bits of randomness). */
  readonly pwdLength?: number;
}

const ICE_CHAR_RE = /^[A-Za-z0-9+/]+$/;

/** RFC 8445 §15.4: ice-ufrag is 4–256 ice-chars. */
export function isValidUfrag(s: string): boolean {
  return s.length >= 4 && s.length <= 256 && ICE_CHAR_RE.test(s);
}

/** RFC 8445 §15.4: ice-pwd is 22–256 ice-chars. */
export function isValidPwd(s: string): boolean {
  return s.length >= 22 && s.length <= 256 && ICE_CHAR_RE.test(s);
}

function iceString(random: RandomSource, length: number): string {
  // 256 is a multiple of 64, so the low 6 bits of a uniform byte are uniform.
  return Array.from(random.bytes(length), (b) => ICE_CHARS[b & 63]).join('');
}

/** Fresh ufrag/pwd for a session (or an ICE restart) from an injected random source. */
export function generateCredentials(random: RandomSource, opts: CredentialOptions = {}): IceCredentials {
  const ufragLength = Math.max(4, Math.min(256, opts.ufragLength ?? 8));
  const pwdLength = Math.max(22, Math.min(256, opts.pwdLength ?? 24));
  return { ufrag: iceString(random, ufragLength), pwd: iceString(random, pwdLength) };
}
