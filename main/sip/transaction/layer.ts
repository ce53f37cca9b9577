import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { SipMessage, SipRequest, SipResponse } from '../message';
import type { TxAction } from './actions';
import { type ClientTransaction, InviteClientTransaction, NonInviteClientTransaction } from './client';
import { clientKey, serverKey } from './keys';
import { InviteServerTransaction, NonInviteServerTransaction, type ServerTransaction } from './server';
import { DEFAULT_SIP_TIMERS, type SipTimerConfig, type SipTimerName } from './timers';

export interface TransactionLayerOptions {
  readonly timers?: SipTimerConfig;
  /** Answer every new INVITE with 100 Trying at once (RFC 3261 §17.2.1 allows it). Default true. */
  readonly sendTrying?: boolean;
}

/**
 * The RFC 3261 §17 transaction layer, sans-IO: messages and timer firings in, `TxAction`s out.
 * It matches messages to transactions (§17.1.3, §17.2.3), absorbs retransmissions, and drops a
 * transaction's state as soon as it terminates (`size` lets tests check nothing leaks).
 */
export class TransactionLayer {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly timers: SipTimerConfig;
  private readonly sendTrying: boolean;

  constructor(opts: TransactionLayerOptions = {}) {
    this.timers = opts.timers ?? DEFAULT_SIP_TIMERS;
    this.sendTrying = opts.sendTrying ?? true;
  }

  get size(): number {
    return this.clients.size + this.servers.size;
  }

  /** Starts a client transaction. The request's top Via must carry a unique magic-cookie branch. */
  sendRequest(request: SipRequest, to: TransportAddress, reliable: boolean, now: number): { txId: string; actions: TxAction[] } {
    if (request.method === 'ACK') {
      throw new MediapathError('INVALID_ARGUMENT', 'an ACK is sent by the TU or by its INVITE transaction, not as a transaction', { layer: 'sip' });
    }
    const txId = clientKey(request);
    if (!txId) throw new MediapathError('INVALID_ARGUMENT', `${request.method} without a Via branch or CSeq`, { layer: 'sip' });
    if (this.clients.has(txId)) throw new MediapathError('INVALID_ARGUMENT', `client transaction ${txId} exists already`, { layer: 'sip' });
    const tx =
      request.method === 'INVITE'
        ? new InviteClientTransaction(txId, request, to, reliable, this.timers)
        : new NonInviteClientTransaction(txId, request, to, reliable, this.timers);
    this.clients.set(txId, tx);
    return { txId, actions: this.sweep(tx.start(now)) };
  }

  /** A parsed message from the transport. */
  onMessage(msg: SipMessage, from: TransportAddress, reliable: boolean, now: number): TxAction[] {
    return msg.kind === 'response' ? this.onResponse(msg, now) : this.onRequest(msg, from, reliable, now);
  }

  /** The TU's answer to a server transaction; a transaction already gone ignores it. */
  respond(txId: string, response: SipResponse, now: number): TxAction[] {
    const tx = this.servers.get(txId);
    return tx ? this.sweep(tx.respond(response, now)) : [];
  }

  onTimer(txId: string, name: SipTimerName, now: number): TxAction[] {
    const tx = this.clients.get(txId) ?? this.servers.get(txId);
    return tx ? this.sweep(tx.onTimer(name, now)) : [];
  }

  /** RFC 3261 §17.1.1.2 / §17.2.1: the transport could not deliver for this transaction. */
  onTransportError(txId: string, error: MediapathError, now: number): TxAction[] {
    const tx = this.clients.get(txId) ?? this.servers.get(txId);
    return tx ? this.sweep(tx.onTransportError(error, now)) : [];
  }

  private onResponse(res: SipResponse, now: number): TxAction[] {
    const key = clientKey(res);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx) return this.sweep(tx.onResponse(res, now));
    // A 2xx to INVITE retransmitted after its transaction ended still needs an ACK from the TU
    // (RFC 3261 §13.2.2.4); anything else without a transaction is dropped (§18.1.2).
    if (res.status >= 200 && res.status < 300 && key?.endsWith('|INVITE')) return [{ kind: 'response', txId: undefined, response: res }];
    return [];
  }

  private onRequest(req: SipRequest, from: TransportAddress, reliable: boolean, now: number): TxAction[] {
    const key = serverKey(req);
    if (key === undefined) return [];
    const existing = this.servers.get(key);
    if (existing) return this.sweep(existing.onRequest(req, from, now));
    if (req.method === 'ACK') return [{ kind: 'request', txId: undefined, request: req, from }];
    const actions: TxAction[] = [];
    let tx: ServerTransaction;
    if (req.method === 'INVITE') {
      const invite = new InviteServerTransaction(key, req, from, reliable, this.timers);
      actions.push(...invite.start(now, this.sendTrying));
      tx = invite;
    } else {
      tx = new NonInviteServerTransaction(key, req, from, reliable, this.timers);
    }
    this.servers.set(key, tx);
    // §9.2: a CANCEL matches the INVITE server transaction with the same branch and sent-by.
    const inviteKey = req.method === 'CANCEL' ? serverKey(req, 'INVITE') : undefined;
    const cancels = inviteKey !== undefined && this.servers.has(inviteKey) ? inviteKey : undefined;
    actions.push({ kind: 'request', txId: key, request: req, from, ...(cancels !== undefined ? { cancels } : {}) });
    return actions;
  }

  /** Drops terminated transactions after their last actions are collected. */
  private sweep(actions: TxAction[]): TxAction[] {
    for (const a of actions) {
      if (a.kind !== 'clear-timers') continue;
      if (this.clients.get(a.txId)?.terminated) this.clients.delete(a.txId);
      if (this.servers.get(a.txId)?.terminated) this.servers.delete(a.txId);
    }
    return actions;
  }
}
