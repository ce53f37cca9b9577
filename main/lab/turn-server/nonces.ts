import type { TransportAddress } from '../../common/address';
import type { RandomSource } from '../../common/random';
import { hmacSha1 } from '../../stun';
import { canonicalIp } from './addresses';

export type NonceCheck = 'valid' | 'stale';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Stateless nonces: issue time, a random salt and a MAC over both and the client's address,
 * under a key only this server knows. Nothing is stored per nonce, so a flood of unauthenticated
 * requests costs no memory, and no timer is needed to forget them.
 *
 * RFC 8489 §9.2.4 forbids handing the same NONCE to two different source addresses; binding the
 * MAC to the address means a nonce is also worthless from anywhere else. A nonce that is too old,
 * forged, or minted before `revokeAll` is "no longer valid" and earns a 438 Stale Nonce.
 */
export class NonceMint {
  private key: Uint8Array;

  constructor(
    private readonly random: RandomSource,
    private readonly lifetimeMs: number,
  ) {
    this.key = random.bytes(20);
  }

  issue(client: TransportAddress, now: number): string {
    const issued = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0');
    const salt = hex(this.random.bytes(4));
    return `${issued}${salt}${this.mac(issued, salt, client)}`;
  }

  check(nonce: string, client: TransportAddress, now: number): NonceCheck {
    if (!/^[0-9a-f]{36}$/.test(nonce)) return 'stale';
    const issued = nonce.slice(0, 12);
    const salt = nonce.slice(12, 20);
    if (this.mac(issued, salt, client) !== nonce.slice(20)) return 'stale';
    const age = now - parseInt(issued, 16);
    return age >= 0 && age < this.lifetimeMs ? 'valid' : 'stale';
  }

  /** Every nonce issued so far becomes stale (servers may revoke nonces, RFC 8489 §9.2.4). */
  revokeAll(): void {
    this.key = this.random.bytes(20);
  }

  private mac(issued: string, salt: string, client: TransportAddress): string {
    const data = new TextEncoder().encode(`${issued}${salt}|${canonicalIp(client.ip)}|${client.port}`);
    return hex(hmacSha1(this.key, data).subarray(0, 8));
  }
}
