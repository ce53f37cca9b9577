import { MediapathError } from '../../common/errors';
import { err, ok, type Result } from '../../common/result';
import { Dialog } from '../dialog';
import { parseCSeq, parseNameAddr } from '../header-values';
import { getHeader, type SipRequest, type SipResponse } from '../message';
import { Call } from './call';
import { SERVER_CALL_TABLE } from './call-states';
import { ALLOW, type ServerInviteUser, type UaCore } from './core';
import { bodyOf, responseTo, type SipBody } from './responses';
import type { ServerCallState } from './types';

/**
 * The callee's side of a call (RFC 3261 §13.3): provisional responses (an early dialog with our
 * tag), the 2xx retransmitted until its ACK, rejection, CANCEL answered 487 (§9.2), and then the
 * shared dialog behaviour (re-INVITE, BYE).
 */
export class ServerCall extends Call<ServerCallState> implements ServerInviteUser {
  readonly localTag: string;
  /** The offer in the INVITE, if it had a body. */
  readonly offer: SipBody | undefined;
  /** The caller's From and the To it dialled (URIs). */
  readonly from: string;
  readonly to: string;
  private readonly inviteSeq: number;

  private constructor(
    core: UaCore,
    private readonly txId: string,
    readonly request: SipRequest,
    dialog: Dialog,
  ) {
    super(core, dialog.id.callId, 'incoming', 'incoming', SERVER_CALL_TABLE);
    this.localTag = dialog.id.localTag;
    this.offer = bodyOf(request);
    this.remoteBody = this.offer;
    const from = parseNameAddr(getHeader(request, 'From') ?? '');
    const to = parseNameAddr(getHeader(request, 'To') ?? '');
    this.from = from.ok ? from.value.uri : '';
    this.to = to.ok ? to.value.uri : '';
    const cseq = parseCSeq(getHeader(request, 'CSeq') ?? '');
    this.inviteSeq = cseq.ok ? cseq.value.seq : 0;
    this.setDialog(dialog);
    core.addServerInvite(txId, this);
  }

  /** A call for a new INVITE, or the status to refuse it with (no Contact: 400, §8.1.1.8). */
  static create(core: UaCore, txId: string, request: SipRequest): Result<ServerCall, { status: number; reason: string }> {
    const d = Dialog.forUas(request, core.newTag(), 'early', () => core.clock.now());
    if (!d.ok) return err({ status: 400, reason: `Bad Request (${d.error.reason})` });
    return ok(new ServerCall(core, txId, request, d.value));
  }

  /** A provisional response, 180 or 183 with an early offer/answer body (RFC 3261 §13.3.1.1). */
  progress(status = 183, body?: SipBody): void {
    if (status <= 100 || status >= 200) throw new MediapathError('INVALID_ARGUMENT', `progress() takes 101-199, not ${status}`, { layer: 'sip' });
    if (!this.fsm.is('incoming', 'early')) return;
    this.core.respond(this.txId, this.response(status, body));
    if (body) this.localBody = body;
    if (this.fsm.is('incoming')) this.fsm.transition('early', `${status} sent`);
  }

  /**
   * Answers 200 and waits for the ACK, sending the 200 again until it comes (RFC 3261
   * §13.3.1.4). No ACK within 64·T1: BYE, and the promise rejects with SIP_TIMEOUT.
   */
  async accept(body?: SipBody): Promise<void> {
    if (!this.fsm.is('incoming', 'early')) {
      throw new MediapathError('INVALID_ARGUMENT', `cannot accept a call in state ${this.state}`, { layer: 'sip' });
    }
    const res = this.response(200, body, [['Allow', ALLOW]]);
    this.dialog?.confirm('200 sent');
    this.core.respond(this.txId, res);
    if (body) this.localBody = body;
    this.fsm.transition('accepted', '200 sent');
    try {
      await this.awaitAck(this.txId, res, this.inviteSeq);
    } catch (e) {
      if (!this.fsm.is('terminated', 'terminating')) void this.hangup('failed', e instanceof MediapathError ? e : undefined);
      throw e;
    }
  }

  /** A final refusal (486 Busy Here by default; 415 with `Accept` to refuse a multipart offer). */
  reject(status = 486, opts: { readonly reason?: string; readonly headers?: ReadonlyArray<readonly [string, string]> } = {}): void {
    if (status < 300 || status > 699) throw new MediapathError('INVALID_ARGUMENT', `reject() takes 300-699, not ${status}`, { layer: 'sip' });
    if (!this.fsm.is('incoming', 'early')) return;
    this.core.respond(this.txId, responseTo(this.request, status, { toTag: this.localTag, ...(opts.reason ? { reason: opts.reason } : {}), headers: [...(opts.headers ?? []), ...this.core.commonHeaders()] }));
    this.end({ reason: 'rejected', status }, `${status} sent`);
  }

  bye(): Promise<SipResponse | undefined> {
    if (this.fsm.is('incoming', 'early')) {
      // Before answering, hanging up means refusing (§15: the callee may not BYE an early dialog).
      this.reject(480);
      return Promise.resolve(undefined);
    }
    return this.hangup('local-bye');
  }

  onCancel(): void {
    if (!this.fsm.is('incoming', 'early')) return;
    this.core.respond(this.txId, responseTo(this.request, 487, { toTag: this.localTag }));
    this.events.emit('cancelled', {});
    this.end({ reason: 'cancelled', status: 487 }, 'CANCEL received');
  }

  onTxFailed(error: MediapathError): void {
    if (this.fsm.is('terminated')) return;
    this.end({ reason: 'failed', error }, error.message);
  }

  protected override onAckReceived(req: SipRequest): void {
    if (this.fsm.is('accepted')) {
      this.fsm.transition('confirmed', 'ACK received');
      this.events.emit('confirmed', { ack: req });
    }
  }

  protected override onBye(txId: string, req: SipRequest): void {
    // A BYE on the early dialog (§15.1.2): the INVITE gets its 487 too.
    if (this.fsm.is('incoming', 'early')) this.core.respond(this.txId, responseTo(this.request, 487, { toTag: this.localTag }));
    super.onBye(txId, req);
  }

  private response(status: number, body: SipBody | undefined, extra: ReadonlyArray<readonly [string, string]> = []): SipResponse {
    return responseTo(this.request, status, {
      toTag: this.localTag,
      contact: this.core.contact(),
      recordRoute: true,
      headers: [...extra, ...this.core.commonHeaders()],
      ...(body ? { body } : {}),
    });
  }

  /** @internal the UA closes calls it still has. */
  closeNow(): Promise<void> {
    if (this.fsm.is('terminated')) return Promise.resolve();
    if (this.fsm.is('incoming', 'early')) {
      this.reject(480);
      return Promise.resolve();
    }
    return this.hangup('closed').then(() => undefined);
  }
}
