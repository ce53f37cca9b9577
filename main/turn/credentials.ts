import { createHmac } from 'node:crypto';

/**
 * TURN credentials. Long-term ones are a fixed user/password (RFC 8489 §9.2); REST-API ones
 * (draft-uberti-behave-turn-rest, coturn's `static-auth-secret`) are minted from a secret shared
 * with the server: username `expiry:user`, password base64(HMAC-SHA1(secret, username)). The lab's
 * MRAS service mints the second kind, so a real coturn accepts what MRAS hands out.
 */
export type TurnCredentials =
  | { readonly kind: 'long-term'; readonly username: string; readonly password: string }
  | { readonly kind: 'rest'; readonly username: string; readonly password: string; readonly expiresAt: number };

/** `expiresAtUnix` is seconds since the epoch. */
export function restCredentials(secret: string, user: string, expiresAtUnix: number): TurnCredentials & { kind: 'rest' } {
  const username = `${Math.floor(expiresAtUnix)}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { kind: 'rest', username, password, expiresAt: Math.floor(expiresAtUnix) };
}

export function longTermCredentials(username: string, password: string): TurnCredentials {
  return { kind: 'long-term', username, password };
}
