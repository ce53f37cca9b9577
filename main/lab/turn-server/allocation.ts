import type { TransportAddress } from '../../common/address';
import { StateMachine } from '../../common/fsm';
import { addressKey } from './addresses';
import type { AllocationCounters, AllocationState, AllocationView, ClientEndpoint } from './types';

const allocationTransitions: Record<AllocationState, readonly AllocationState[]> = {
  // The relay socket is being bound; the Allocate success goes out when it is.
  opening: ['active', 'deleted'],
  active: ['deleted'],
  deleted: [],
};

export interface ServerChannel {
  readonly number: number;
  /** Canonical peer address (see addresses.ts). */
  readonly peer: TransportAddress;
  expiresAt: number;
}

/**
 * One allocation as the server keeps it (RFC 8656 §6): the 5-tuple, who made it, the relayed
 * address, time-to-expiry, permissions (by peer IP, RFC 8656 §9) and channel bindings (unique
 * by number and by peer transport address, RFC 8656 §12). Times are the core's monotonic ms.
 */
export class ServerAllocation {
  readonly fsm: StateMachine<AllocationState>;
  relayed: TransportAddress | undefined;
  /** Infinity while opening: the lifetime starts when the success response goes out. */
  expiresAt = Number.POSITIVE_INFINITY;
  readonly permissions = new Map<string, number>();
  readonly channelsByNumber = new Map<number, ServerChannel>();
  readonly channelsByPeer = new Map<string, ServerChannel>();
  readonly counters: AllocationCounters = { packetsToPeers: 0, bytesToPeers: 0, packetsToClient: 0, bytesToClient: 0, droppedFromPeers: 0, droppedToPeers: 0 };
  /** The Allocate success, kept so a retransmitted Allocate (same transaction) gets it again. */
  successResponse: Uint8Array | undefined;

  constructor(
    readonly id: string,
    readonly client: ClientEndpoint,
    readonly username: string,
    readonly family: 4 | 6,
    /** Transaction id (hex) of the Allocate that created it. */
    readonly allocateTransaction: string,
    /** Granted lifetime in seconds, applied when the relay opens. */
    public lifetime: number,
    now: () => number,
  ) {
    this.fsm = new StateMachine<AllocationState>(`turn-server allocation ${id}`, 'opening', allocationTransitions, now, undefined, 'lab');
  }

  get active(): boolean {
    return this.fsm.is('active');
  }

  /** Installs or refreshes the permission for `ip` (canonical). */
  permit(ip: string, until: number): 'installed' | 'refreshed' {
    const had = this.permissions.has(ip);
    this.permissions.set(ip, until);
    return had ? 'refreshed' : 'installed';
  }

  hasPermission(ip: string, now: number): boolean {
    const until = this.permissions.get(ip);
    return until !== undefined && until > now;
  }

  channelFor(peer: TransportAddress, now: number): ServerChannel | undefined {
    const ch = this.channelsByPeer.get(addressKey(peer));
    return ch && ch.expiresAt > now ? ch : undefined;
  }

  channelByNumber(n: number, now: number): ServerChannel | undefined {
    const ch = this.channelsByNumber.get(n);
    return ch && ch.expiresAt > now ? ch : undefined;
  }

  /**
   * Binds or refreshes. The caller has already refused live conflicts (RFC 8656 §12.2); what
   * is left in the way here is an expired binding the timer has not swept yet, which goes.
   */
  bind(number: number, peer: TransportAddress, until: number): 'bound' | 'refreshed' {
    const key = addressKey(peer);
    const byNumber = this.channelsByNumber.get(number);
    const byPeer = this.channelsByPeer.get(key);
    if (byNumber && byNumber === byPeer) {
      byNumber.expiresAt = until;
      return 'refreshed';
    }
    for (const stale of [byNumber, byPeer]) {
      if (!stale) continue;
      this.channelsByNumber.delete(stale.number);
      this.channelsByPeer.delete(addressKey(stale.peer));
    }
    const ch: ServerChannel = { number, peer, expiresAt: until };
    this.channelsByNumber.set(number, ch);
    this.channelsByPeer.set(key, ch);
    return 'bound';
  }

  /** Removes permissions and channels that are due; returns what went. */
  expireEntries(now: number): { permissions: string[]; channels: ServerChannel[] } {
    const permissions: string[] = [];
    for (const [ip, until] of this.permissions) {
      if (until <= now) {
        this.permissions.delete(ip);
        permissions.push(ip);
      }
    }
    const channels: ServerChannel[] = [];
    for (const ch of this.channelsByNumber.values()) {
      if (ch.expiresAt <= now) {
        this.channelsByNumber.delete(ch.number);
        this.channelsByPeer.delete(addressKey(ch.peer));
        channels.push(ch);
      }
    }
    return { permissions, channels };
  }

  /** The earliest time something of this allocation expires. */
  nextDeadline(): number {
    let t = this.expiresAt;
    for (const until of this.permissions.values()) t = Math.min(t, until);
    for (const ch of this.channelsByNumber.values()) t = Math.min(t, ch.expiresAt);
    return t;
  }

  view(): AllocationView {
    return {
      id: this.id,
      state: this.fsm.state,
      conn: this.client.conn,
      transport: this.client.transport,
      client: this.client.address,
      username: this.username,
      relayed: this.relayed,
      expiresAt: this.expiresAt,
      permissions: [...this.permissions].map(([ip, expiresAt]) => ({ ip, expiresAt })),
      channels: [...this.channelsByNumber.values()].map((c) => ({ number: c.number, peer: c.peer, expiresAt: c.expiresAt })),
      counters: { ...this.counters },
    };
  }
}
