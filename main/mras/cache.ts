import type { MediaRelay } from './types';

/**
 * What the MRAS client keeps from one successful SERVICE exchange. Times on the monotonic clock
 * (`issuedAt`, `renewAt`, `expiresAt`) share the Timeline's time base; `expiresAtWall` is the
 * same instant in epoch milliseconds, for people and for REST-style TURN usernames.
 * The password is here in clear: log and emit it only through common/redact.
 */
export interface MrasCredentialGrant {
  readonly requestId: string;
  readonly username: string;
  readonly password: string;
  readonly realm?: string;
  readonly relays: readonly MediaRelay[];
  readonly durationMinutes: number;
  readonly issuedAt: number;
  readonly renewAt: number;
  readonly expiresAt: number;
  readonly expiresAtWall: number;
}

/**
 * A relay's identity: where a client connects to it. Two relay lists that name the same host
 * and ports are the same relay, whatever their order or location label. Host names compare
 * case-insensitively (RFC 4343).
 */
export function relayKey(relay: MediaRelay): string {
  const host = (relay.hostName ?? relay.directIPAddress ?? '').toLowerCase();
  return `${host}|udp=${relay.udpPort ?? '-'}|tcp=${relay.tcpPort ?? '-'}`;
}

/** Bound on cached relays: an MRAS answer lists at most 32, a client talks to a handful of Edges. */
const MAX_ENTRIES = 256;

/**
 * Credentials by relay identity. Edges mint credentials with their own certificate, so a grant
 * is good only for the relays it came with (PROTOCOLS.md §1, the shared-certificate trap): the
 * cache answers "credentials for this relay", never "any credentials". Expired grants are
 * never returned; `now` is injected so tests drive expiry with a FakeClock.
 */
export class MrasCredentialCache {
  private readonly byRelay = new Map<string, MrasCredentialGrant>();
  private newest: MrasCredentialGrant | undefined;

  constructor(private readonly now: () => number) {}

  /** Number of relays with a grant (expired ones included until evicted). */
  get size(): number {
    return this.byRelay.size;
  }

  /** Stores `grant` under each of its relays; a newer grant replaces an older one per relay. */
  put(grant: MrasCredentialGrant): void {
    for (const r of grant.relays) {
      const k = relayKey(r);
      this.byRelay.delete(k); // re-insert so Map order is oldest-first for eviction
      this.byRelay.set(k, grant);
    }
    if (!this.newest || grant.issuedAt >= this.newest.issuedAt) this.newest = grant;
    while (this.byRelay.size > MAX_ENTRIES) {
      const oldest = this.byRelay.keys().next().value as string;
      this.byRelay.delete(oldest);
    }
  }

  /** The live grant for this relay, if any. */
  forRelay(relay: MediaRelay | string): MrasCredentialGrant | undefined {
    const g = this.byRelay.get(typeof relay === 'string' ? relay : relayKey(relay));
    return g && this.live(g) ? g : undefined;
  }

  /** The most recently issued grant, while it is live. */
  latest(): MrasCredentialGrant | undefined {
    return this.newest && this.live(this.newest) ? this.newest : undefined;
  }

  /** Milliseconds until the newest grant expires; 0 when there is none. */
  timeLeftMs(): number {
    const g = this.latest();
    return g ? Math.max(0, g.expiresAt - this.now()) : 0;
  }

  /** Drops expired grants; returns how many relay entries went. */
  evictExpired(): number {
    let n = 0;
    for (const [k, g] of this.byRelay) {
      if (!this.live(g)) {
        this.byRelay.delete(k);
        n++;
      }
    }
    if (this.newest && !this.live(this.newest)) this.newest = undefined;
    return n;
  }

  /** Forget one relay (TURN refused its credentials) or everything. */
  invalidate(relay?: MediaRelay | string): void {
    if (relay === undefined) {
      this.byRelay.clear();
      this.newest = undefined;
      return;
    }
    const k = typeof relay === 'string' ? relay : relayKey(relay);
    const g = this.byRelay.get(k);
    this.byRelay.delete(k);
    if (g && g === this.newest && ![...this.byRelay.values()].includes(g)) this.newest = undefined;
  }

  private live(g: MrasCredentialGrant): boolean {
    return this.now() < g.expiresAt;
  }
}
