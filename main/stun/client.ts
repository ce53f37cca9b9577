import type { TransportAddress } from '../common/address';
import type { Clock, TimerHandle } from '../common/clock';
import { MediapathError } from '../common/errors';
import { CryptoRandom, type RandomSource } from '../common/random';
import { encodeStun, type AttributeSpec } from './encode';
import { checkFingerprint, checkIntegrity } from './integrity';
import { transactionKey, type StunMessage } from './message';
import { DEFAULT_RETRANSMIT, TransactionTable, type RetransmitConfig, type TransactionAction } from './transaction';

export interface StunClientOptions {
  readonly clock: Clock;
  /** Writes one STUN message toward `to` (a datagram, or a frame on a stream). */
  readonly send: (bytes: Uint8Array, to: TransportAddress) => void;
  /** TCP/TLS: one send and a single timeout; UDP: retransmissions. */
  readonly reliable: boolean;
  readonly retransmit?: Partial<RetransmitConfig>;
  /** Transaction ids must be unguessable (RFC 8489 §6): crypto by default. */
  readonly random?: RandomSource;
  readonly observer?: (e: StunClientEvent) => void;
}

export interface StunRequestOptions {
  /** Sign the request and require responses that carry MESSAGE-INTEGRITY to pass it with this key. */
  readonly integrityKey?: Uint8Array;
  readonly fingerprint?: boolean;
}

export interface StunResponse {
  readonly message: StunMessage;
  readonly from: TransportAddress;
  /** From the first send to the response. */
  readonly elapsedMs: number;
  readonly attempts: number;
}

export type StunDropReason = 'bad-integrity' | 'missing-integrity' | 'bad-fingerprint';

export type StunClientEvent =
  | { readonly type: 'sent'; readonly id: string; readonly to: TransportAddress; readonly attempt: number; readonly method: number }
  | { readonly type: 'response'; readonly id: string; readonly from: TransportAddress; readonly cls: StunMessage['cls']; readonly elapsedMs: number }
  | { readonly type: 'dropped'; readonly id: string; readonly from: TransportAddress; readonly reason: StunDropReason }
  | { readonly type: 'timeout'; readonly id: string; readonly to: TransportAddress };

export interface StunClientStats {
  requests: number;
  sends: number;
  retransmissions: number;
  responses: number;
  timeouts: number;
  droppedBadIntegrity: number;
  droppedMissingIntegrity: number;
  droppedBadFingerprint: number;
}

interface Pending {
  readonly resolve: (r: StunResponse) => void;
  readonly reject: (e: MediapathError) => void;
  readonly opts: StunRequestOptions;
  readonly startedAt: number;
  readonly method: number;
  timer: TimerHandle | undefined;
  attempts: number;
}

/**
 * Drives a TransactionTable on a Clock for one transport. The owner of the socket feeds every
 * decoded STUN message to `handle`; responses that match are checked (integrity, fingerprint)
 * and resolve the request, and a response failing a check is dropped and counted, never believed.
 */
export class StunClient {
  private readonly table: TransactionTable;
  private readonly pending = new Map<string, Pending>();
  private readonly random: RandomSource;
  private closed = false;
  readonly stats: StunClientStats = {
    requests: 0,
    sends: 0,
    retransmissions: 0,
    responses: 0,
    timeouts: 0,
    droppedBadIntegrity: 0,
    droppedMissingIntegrity: 0,
    droppedBadFingerprint: 0,
  };

  constructor(private readonly opts: StunClientOptions) {
    this.table = new TransactionTable({ ...DEFAULT_RETRANSMIT, ...opts.retransmit }, opts.reliable);
    this.random = opts.random ?? new CryptoRandom();
  }

  request(method: number, attributes: readonly AttributeSpec[], to: TransportAddress, opts: StunRequestOptions = {}): Promise<StunResponse> {
    if (this.closed) return Promise.reject(new MediapathError('STUN_TRANSPORT_CLOSED', 'STUN client is closed', { layer: 'stun', peer: to }));
    const transactionId = this.random.bytes(12);
    const id = transactionKey(transactionId);
    const bytes = encodeStun(
      { method, cls: 'request', transactionId, attributes },
      { ...(opts.integrityKey ? { integrityKey: opts.integrityKey } : {}), fingerprint: opts.fingerprint ?? false },
    );
    this.stats.requests++;
    return new Promise<StunResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, opts, startedAt: this.opts.clock.now(), method, timer: undefined, attempts: 0 });
      this.apply(this.table.start(id, bytes, to, this.opts.clock.now()));
    });
  }

  /** Sends an indication (no transaction, no retransmission). */
  indicate(method: number, attributes: readonly AttributeSpec[], to: TransportAddress, opts: { fingerprint?: boolean } = {}): void {
    if (this.closed) return;
    const bytes = encodeStun({ method, cls: 'indication', transactionId: this.random.bytes(12), attributes }, { fingerprint: opts.fingerprint ?? false });
    this.opts.send(bytes, to);
  }

  private apply(actions: TransactionAction[]): void {
    for (const a of actions) {
      const p = this.pending.get(a.id);
      switch (a.kind) {
        case 'send':
          this.stats.sends++;
          if (a.attempt > 1) this.stats.retransmissions++;
          if (p) p.attempts = a.attempt;
          this.opts.observer?.({ type: 'sent', id: a.id, to: a.to, attempt: a.attempt, method: p?.method ?? 0 });
          this.opts.send(a.bytes, a.to);
          break;
        case 'timer':
          if (p) {
            this.opts.clock.clearTimeout(p.timer);
            p.timer = this.opts.clock.setTimeout(() => this.apply(this.table.onTimer(a.id, this.opts.clock.now())), a.at - this.opts.clock.now());
          }
          break;
        case 'timeout':
          this.stats.timeouts++;
          if (p) {
            this.pending.delete(a.id);
            this.opts.observer?.({ type: 'timeout', id: a.id, to: a.error.detail?.peer ?? { ip: '', port: 0 } });
            p.reject(a.error);
          }
          break;
      }
    }
  }

  /**
   * Offers a decoded message. Returns true when it was a response to one of our requests (whether
   * believed or dropped), false when the caller should handle it (requests, indications, strays).
   */
  handle(msg: StunMessage, from: TransportAddress): boolean {
    if (msg.cls !== 'success' && msg.cls !== 'error') return false;
    const id = transactionKey(msg.transactionId);
    const p = this.pending.get(id);
    if (!p || !this.table.match(id, from)) return false;

    const drop = (reason: StunDropReason): true => {
      if (reason === 'bad-integrity') this.stats.droppedBadIntegrity++;
      else if (reason === 'missing-integrity') this.stats.droppedMissingIntegrity++;
      else this.stats.droppedBadFingerprint++;
      this.opts.observer?.({ type: 'dropped', id, from, reason });
      return true; // ours, but not believed: the transaction keeps waiting for a good one
    };
    if (checkFingerprint(msg) === 'invalid') return drop('bad-fingerprint');
    if (p.opts.integrityKey) {
      const mi = checkIntegrity(msg, p.opts.integrityKey);
      if (mi === 'invalid') return drop('bad-integrity');
      // RFC 8489 §9.2.5: a success to a signed request must be signed; error responses such as
      // 401/438 legitimately come without it.
      if (mi === 'absent' && msg.cls === 'success') return drop('missing-integrity');
    }

    this.table.resolve(id);
    this.pending.delete(id);
    this.opts.clock.clearTimeout(p.timer);
    this.stats.responses++;
    const elapsedMs = this.opts.clock.now() - p.startedAt;
    this.opts.observer?.({ type: 'response', id, from, cls: msg.cls, elapsedMs });
    p.resolve({ message: msg, from, elapsedMs, attempts: p.attempts });
    return true;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Fails every pending request with STUN_TRANSPORT_CLOSED and releases all timers. */
  close(reason = 'transport closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.opts.clock.clearTimeout(p.timer);
      this.table.cancel(id);
      p.reject(new MediapathError('STUN_TRANSPORT_CLOSED', `STUN request abandoned: ${reason}`, { layer: 'stun' }));
    }
    this.pending.clear();
  }
}
