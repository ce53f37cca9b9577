import type { TransportAddress } from '../common/address';
import { sameAddress } from '../common/address';
import { MediapathError } from '../common/errors';

/**
 * Retransmission policy (RFC 8489 §6.2.1): over UDP the request is sent at 0, RTO, 3·RTO, 7·RTO…
 * (the interval doubling each time) up to Rc sends, then the client waits Rm·RTO after the last
 * one. Over TCP/TLS the request is sent once and the transaction times out after Ti (§6.2.2).
 */
export interface RetransmitConfig {
  readonly rtoMs: number;
  readonly rc: number;
  readonly rm: number;
  /** Upper bound on one interval; RFC 8489 sets none (Infinity), some stacks cap it. */
  readonly maxRtoMs: number;
  /** Ti for reliable transports. */
  readonly reliableTimeoutMs: number;
}

export const DEFAULT_RETRANSMIT: RetransmitConfig = {
  rtoMs: 500,
  rc: 7,
  rm: 16,
  maxRtoMs: Number.POSITIVE_INFINITY,
  reliableTimeoutMs: 39_500,
};

/** Sends at these offsets from the start, then gives up at `timeoutAt`. */
export function retransmitSchedule(cfg: RetransmitConfig, reliable: boolean): { sends: number[]; timeoutAt: number } {
  if (reliable) return { sends: [0], timeoutAt: cfg.reliableTimeoutMs };
  const sends: number[] = [];
  let t = 0;
  let rto = cfg.rtoMs;
  for (let i = 0; i < Math.max(1, cfg.rc); i++) {
    sends.push(t);
    if (i < cfg.rc - 1) {
      t += rto;
      rto = Math.min(rto * 2, cfg.maxRtoMs);
    }
  }
  return { sends, timeoutAt: t + cfg.rm * cfg.rtoMs };
}

export type TransactionState = 'in-flight' | 'resolved' | 'timed-out' | 'cancelled';

/** What the table asks its driver to do. */
export type TransactionAction =
  | { readonly kind: 'send'; readonly id: string; readonly to: TransportAddress; readonly bytes: Uint8Array; readonly attempt: number }
  | { readonly kind: 'timer'; readonly id: string; readonly at: number }
  | { readonly kind: 'timeout'; readonly id: string; readonly error: MediapathError };

interface Entry {
  readonly id: string;
  readonly to: TransportAddress;
  readonly bytes: Uint8Array;
  readonly startedAt: number;
  readonly sends: readonly number[];
  readonly timeoutAt: number;
  attempt: number;
  state: TransactionState;
}

/**
 * Sans-IO client transaction table: requests in, send/timer/timeout actions out. Knows nothing
 * of sockets or clocks; the driver (client.ts) feeds it the time.
 */
export class TransactionTable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly cfg: RetransmitConfig,
    private readonly reliable: boolean,
  ) {}

  start(id: string, bytes: Uint8Array, to: TransportAddress, now: number): TransactionAction[] {
    if (this.entries.has(id)) throw new MediapathError('INTERNAL', `duplicate STUN transaction ${id}`, { layer: 'stun' });
    const { sends, timeoutAt } = retransmitSchedule(this.cfg, this.reliable);
    const e: Entry = { id, to, bytes, startedAt: now, sends, timeoutAt, attempt: 1, state: 'in-flight' };
    this.entries.set(id, e);
    return [{ kind: 'send', id, to, bytes, attempt: 1 }, { kind: 'timer', id, at: now + this.nextDeadline(e) }];
  }

  private nextDeadline(e: Entry): number {
    return e.attempt < e.sends.length ? e.sends[e.attempt]! : e.timeoutAt;
  }

  onTimer(id: string, now: number): TransactionAction[] {
    const e = this.entries.get(id);
    if (!e || e.state !== 'in-flight') return [];
    if (e.attempt < e.sends.length) {
      e.attempt++;
      return [
        { kind: 'send', id, to: e.to, bytes: e.bytes, attempt: e.attempt },
        { kind: 'timer', id, at: e.startedAt + this.nextDeadline(e) },
      ];
    }
    e.state = 'timed-out';
    this.entries.delete(id);
    const elapsed = Math.round(now - e.startedAt);
    return [
      {
        kind: 'timeout',
        id,
        error: new MediapathError('STUN_TIMEOUT', `no STUN response from ${e.to.ip}:${e.to.port} after ${e.attempt} request(s) and ${elapsed} ms`, { layer: 'stun', peer: e.to }),
      },
    ];
  }

  /**
   * Matches a response by transaction id and, on unreliable transports, by source address
   * (RFC 8489 §6.3.1 — a response from elsewhere is not ours). Returns true when it matched.
   */
  match(id: string, from: TransportAddress): boolean {
    const e = this.entries.get(id);
    if (!e || e.state !== 'in-flight') return false;
    return this.reliable || sameAddress(e.to, from);
  }

  resolve(id: string): void {
    const e = this.entries.get(id);
    if (e) {
      e.state = 'resolved';
      this.entries.delete(id);
    }
  }

  cancel(id: string): void {
    const e = this.entries.get(id);
    if (e) {
      e.state = 'cancelled';
      this.entries.delete(id);
    }
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }
}
