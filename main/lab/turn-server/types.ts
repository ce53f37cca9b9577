import type { TransportAddress } from '../../common/address';

/**
 * The lab TURN server's vocabulary: what goes into the sans-IO core, what comes out, and what it
 * reports. The core never touches a socket or a timer; the driver (server.ts) turns these actions
 * into I/O on any `Net` and calls back with the results.
 */

export type ClientTransport = 'udp' | 'tcp';

/**
 * Where a client message came from. `conn` names the 5-tuple (RFC 8656 §3.2): for UDP the
 * client's address on the one listening socket, for TCP the accepted connection. Allocations are
 * keyed by it.
 */
export interface ClientEndpoint {
  readonly transport: ClientTransport;
  readonly conn: string;
  readonly address: TransportAddress;
}

export type TurnServerAuth =
  /** Long-term credentials (RFC 8489 §9.2): a fixed user → password table. */
  | { readonly kind: 'long-term'; readonly users: Readonly<Record<string, string>> }
  /**
   * TURN REST API credentials (coturn's `static-auth-secret`): username `expiry:user`, password
   * base64(HMAC-SHA1(secret, username)); a username whose expiry (Unix seconds) has passed on the
   * injected wall clock is refused.
   */
  | { readonly kind: 'shared-secret'; readonly secret: string };

/**
 * Failure knobs for tests and scenarios (aioice's test server has one too). They change at run
 * time through `setKnobs`, so a scenario can break a working server mid-call.
 */
export interface TurnServerKnobs {
  /** Silently drop everything: client messages and peer datagrams. The server looks dead. */
  readonly dropAll: boolean;
  /**
   * Answer every request that needs authentication with 401 and a fresh nonce, whatever the
   * credentials: what a client sees when an Edge rejects MRAS credentials minted for another one.
   */
  readonly respond401Always: boolean;
  /** Hold every STUN response this long before sending it (data is not delayed). */
  readonly delayMs: number;
  /** Behave as if this transport were firewalled: UDP is dropped, TCP connections are closed. */
  readonly refuseTransport: ClientTransport | undefined;
}

export const DEFAULT_KNOBS: TurnServerKnobs = { dropAll: false, respond401Always: false, delayMs: 0, refuseTransport: undefined };

/** Lifetimes in seconds. Defaults are the RFC 8656 values. */
export interface TurnServerLifetimes {
  /** Default allocation lifetime (RFC 8656 §6: 600 s); also the floor of a requested one. */
  readonly defaultAllocation: number;
  /** Maximum allocation lifetime (RFC 8656 §7.2 recommends no more than 3600 s). */
  readonly maxAllocation: number;
  /** Permission lifetime (RFC 8656 §9: 300 s). */
  readonly permission: number;
  /** Channel binding lifetime (RFC 8656 §12: 10 minutes). */
  readonly channel: number;
  /** How long a nonce stays valid before requests get 438 Stale Nonce (RFC 8656 §5: at most an hour). */
  readonly nonce: number;
}

export const DEFAULT_LIFETIMES: TurnServerLifetimes = { defaultAllocation: 600, maxAllocation: 3600, permission: 300, channel: 600, nonce: 3600 };

export type AllocationState = 'opening' | 'active' | 'deleted';

export type AllocationDeleteReason = 'refresh-zero' | 'expired' | 'connection-closed' | 'relay-failed' | 'server-stopped';

export interface AllocationCounters {
  /** Datagrams the relay sent to peers (from Send indications and ChannelData). */
  packetsToPeers: number;
  bytesToPeers: number;
  /** Peer datagrams relayed to the client (as Data indications or ChannelData). */
  packetsToClient: number;
  bytesToClient: number;
  /** Peer datagrams dropped for want of a permission. */
  droppedFromPeers: number;
  /** Client data dropped (no permission, unknown channel). */
  droppedToPeers: number;
}

/** A read-only snapshot of one allocation, for tests, the UI and reports. */
export interface AllocationView {
  readonly id: string;
  readonly state: AllocationState;
  readonly conn: string;
  readonly transport: ClientTransport;
  readonly client: TransportAddress;
  readonly username: string;
  readonly relayed: TransportAddress | undefined;
  /** Monotonic ms at which it expires (the core's `now` base). */
  readonly expiresAt: number;
  readonly permissions: ReadonlyArray<{ readonly ip: string; readonly expiresAt: number }>;
  readonly channels: ReadonlyArray<{ readonly number: number; readonly peer: TransportAddress; readonly expiresAt: number }>;
  readonly counters: Readonly<AllocationCounters>;
}

export type DropReason =
  | 'knob-drop-all'
  | 'refused-transport'
  | 'not-stun'
  | 'malformed'
  | 'bad-fingerprint'
  | 'not-a-request'
  | 'unsupported-indication'
  | 'allocate-in-progress'
  | 'no-allocation'
  | 'no-permission'
  | 'unknown-channel'
  | 'bad-send-indication'
  | 'too-large'
  | 'relay-not-open';

export type TurnServerEvent =
  | { readonly type: 'connection'; readonly conn: string; readonly client: TransportAddress; readonly state: 'opened' | 'refused' | 'closed'; readonly at: number }
  | {
      readonly type: 'allocation-created';
      readonly allocationId: string;
      readonly conn: string;
      readonly transport: ClientTransport;
      readonly client: TransportAddress;
      readonly username: string;
      readonly relayed: TransportAddress;
      readonly lifetime: number;
      readonly at: number;
    }
  | { readonly type: 'allocation-refreshed'; readonly allocationId: string; readonly lifetime: number; readonly at: number }
  | {
      readonly type: 'allocation-deleted';
      readonly allocationId: string;
      readonly reason: AllocationDeleteReason;
      readonly counters: Readonly<AllocationCounters>;
      readonly at: number;
    }
  | { readonly type: 'permission'; readonly allocationId: string; readonly peerIp: string; readonly state: 'installed' | 'refreshed' | 'expired'; readonly at: number }
  | {
      readonly type: 'channel';
      readonly allocationId: string;
      readonly channel: number;
      readonly peer: TransportAddress;
      readonly state: 'bound' | 'refreshed' | 'expired';
      readonly at: number;
    }
  /** One per request answered: the method's name and the status (200 for success). */
  | { readonly type: 'response'; readonly conn: string; readonly method: string; readonly code: number; readonly reason: string; readonly at: number }
  | { readonly type: 'dropped'; readonly reason: DropReason; readonly conn?: string; readonly allocationId?: string; readonly at: number };

/**
 * What the core asks its driver to do. Actions come out in the order they must happen.
 * `delayMs` on a client send is the `delayMs` knob: the driver holds the message that long.
 */
export type TurnServerAction =
  | { readonly kind: 'send-to-client'; readonly conn: string; readonly transport: ClientTransport; readonly to: TransportAddress; readonly bytes: Uint8Array; readonly delayMs: number }
  | { readonly kind: 'send-to-peer'; readonly allocationId: string; readonly to: TransportAddress; readonly bytes: Uint8Array }
  /** Bind a UDP relay socket for this allocation, then call `onRelayOpened` or `onRelayFailed`. */
  | { readonly kind: 'open-relay'; readonly allocationId: string; readonly family: 4 | 6 }
  | { readonly kind: 'close-relay'; readonly allocationId: string }
  /** Close a stream client's connection (refused transport). */
  | { readonly kind: 'close-client'; readonly conn: string }
  | { readonly kind: 'event'; readonly event: TurnServerEvent };

export interface TurnServerStats {
  /** Requests by method name (`Allocate`, `Refresh`…), authenticated or not. */
  readonly requests: Record<string, number>;
  /** Responses by status code (`200`, `401`, `438`…). */
  readonly responses: Record<string, number>;
  readonly dropped: Partial<Record<DropReason, number>>;
  allocationsCreated: number;
  allocationsDeleted: number;
  /** Peer datagrams relayed to clients and client data relayed to peers, over all allocations. */
  packetsToPeers: number;
  bytesToPeers: number;
  packetsToClients: number;
  bytesToClients: number;
  /** UDP requests answered again from the response cache (retransmissions). */
  retransmitsAnswered: number;
}
