import type { TransportAddress } from '../../common/address';
import type { MediapathError } from '../../common/errors';
import type { SipRequest, SipResponse } from '../message';
import type { SipTimerName } from './timers';

/**
 * What the transaction layer asks of its driver and tells its transaction user (TU). Sans-IO:
 * the layer never touches a socket or a clock (DESIGN.md convention 1).
 */
export type TxAction =
  /** Put this message on the wire to `to` (for a server transaction: where the request came from). */
  | { readonly kind: 'send'; readonly txId: string; readonly message: SipRequest | SipResponse; readonly to: TransportAddress }
  /** Arm timer `name` of `txId` to fire at `at`; it replaces an earlier arming of the same timer. */
  | { readonly kind: 'timer'; readonly txId: string; readonly name: SipTimerName; readonly at: number }
  /** The transaction ended: disarm all its timers. */
  | { readonly kind: 'clear-timers'; readonly txId: string }
  /** To the TU: a response for a client transaction (txId undefined: a stray 2xx retransmission). */
  | { readonly kind: 'response'; readonly txId: string | undefined; readonly response: SipResponse }
  /**
   * To the TU: a new request (a server transaction now exists), or an ACK for a 2xx (no
   * transaction, txId undefined, or the INVITE's in the RFC 6026 Accepted state). For a CANCEL,
   * `cancels` names the INVITE server transaction it matches, if any.
   */
  | { readonly kind: 'request'; readonly txId: string | undefined; readonly request: SipRequest; readonly from: TransportAddress; readonly cancels?: string }
  /** To the TU: the transaction failed (Timer B/F/H: `SIP_TIMEOUT`; transport errors). */
  | { readonly kind: 'failed'; readonly txId: string; readonly error: MediapathError }
  /** Every state change, for logs and the SIP ladder. */
  | { readonly kind: 'state'; readonly txId: string; readonly from: string; readonly to: string; readonly reason: string };
