import type { TransportAddress } from '../../common/address';
import type { TimerHandle } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { type Disposable, TypedEmitter } from '../../common/events';
import { StateMachine, type Transition } from '../../common/fsm';
import type { Dialog } from '../dialog';
import { parseCSeq } from '../header-values';
import { addHeader, getHeader, type SipRequest, type SipResponse } from '../message';
import { type ClientTxHandler, type DialogUser, type UaCore } from './core';
import { type OfferState, OFFER_TABLE } from './call-states';
import { bodyOf, responseTo, type SipBody } from './responses';
import type { CallEnd } from './types';

export interface CallEvents<S extends string> {
  state: Transition<S>;
  /** Caller: a 1xx (180/183, with its body when it has one). */
  progress: { readonly status: number; readonly reason: string; readonly body?: SipBody; readonly response: SipResponse };
  /** Caller: the 2xx (the ACK is already on its way). */
  answered: { readonly body?: SipBody; readonly response: SipResponse };
  /** Callee: the ACK for our 2xx arrived. */
  confirmed: { readonly ack: SipRequest };
  /** Callee: the caller cancelled before we answered (487 sent). */
  cancelled: Record<string, never>;
  /** A re-INVITE from the peer was answered. */
  reinvite: { readonly offer?: SipBody; readonly answer?: SipBody; readonly status: number; readonly request: SipRequest };
  ended: CallEnd;
}

/** Produces the answer to a peer's re-INVITE, or refuses it with a status. */
export type ReinviteHandler = (
  offer: SipBody | undefined,
  request: SipRequest,
) => SipBody | { readonly status: number; readonly reason?: string } | Promise<SipBody | { readonly status: number; readonly reason?: string }>;

interface AwaitingAck {
  readonly seq: number;
  retransmit: TimerHandle | undefined;
  giveUp: TimerHandle | undefined;
  readonly resolve: () => void;
  readonly reject: (e: MediapathError) => void;
}

const NON_DIALOG_BYE_STATES = new Set(['terminated', 'terminating']);

/**
 * What both ends of a call share once a dialog exists (RFC 3261 §12–§15): the dialog and its
 * state machine, re-INVITE either way with glare handling (§14), the 2xx retransmitted until
 * its ACK (§13.3.1.4), ACKs for 2xx and their repeats (§13.2.2.4), BYE either way (§15).
 */
export abstract class Call<S extends string> implements DialogUser {
  readonly callId: string;
  protected readonly fsm: StateMachine<S>;
  protected readonly events: TypedEmitter<CallEvents<S>>;
  protected dialog: Dialog | undefined;
  /** The session description we sent last, and the one we received last. */
  localBody: SipBody | undefined;
  remoteBody: SipBody | undefined;
  /** Resolves once, when the call reaches `terminated`. */
  readonly ended: Promise<CallEnd>;
  private resolveEnded!: (e: CallEnd) => void;
  private endInfo: CallEnd | undefined;
  private readonly offerFsm: StateMachine<OfferState>;
  private reinviteHandler: ReinviteHandler | undefined;
  private awaiting: AwaitingAck | undefined;
  /** ACKs we sent, by INVITE CSeq, to repeat when the 2xx is repeated. */
  private readonly acks = new Map<number, Promise<{ ack: SipRequest; dest: TransportAddress } | undefined>>();
  /** Settles when every ACK so far is on the wire. */
  protected ackSent: Promise<void> = Promise.resolve();
  private byeInFlight: Promise<SipResponse | undefined> | undefined;
  /** Our re-INVITEs waiting for the exchange in progress to finish. */
  private offerWaiters: (() => void)[] = [];
  /** The peer's re-INVITE we are still answering (a BYE meanwhile answers it 487, §15.1.2). */
  private pendingReinvite: { txId: string; request: SipRequest } | undefined;

  constructor(
    protected readonly core: UaCore,
    callId: string,
    readonly direction: 'outgoing' | 'incoming',
    initial: S,
    table: Readonly<Record<S, readonly S[]>>,
  ) {
    this.callId = callId;
    this.events = new TypedEmitter<CallEvents<S>>((e) => core.log.warn({ err: e, callId }, 'call listener threw'));
    this.fsm = new StateMachine<S>(`call ${callId}`, initial, table, () => core.clock.now(), (t) => {
      core.emit({ type: 'call.state', at: t.at, callId, direction, from: t.from as never, to: t.to as never, reason: t.reason });
      this.events.emit('state', t);
    }, 'sip');
    this.offerFsm = new StateMachine<OfferState>(`offer ${callId}`, 'idle', OFFER_TABLE, () => core.clock.now(), (t) => {
      if (t.to === 'idle') this.wakeOfferWaiters();
    }, 'sip');
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get state(): S {
    return this.fsm.state;
  }

  /** The dialog id parts and route, once there is a dialog. */
  get dialogInfo(): Dialog | undefined {
    return this.dialog;
  }

  get endedWith(): CallEnd | undefined {
    return this.endInfo;
  }

  on<K extends keyof CallEvents<S>>(name: K, cb: (payload: CallEvents<S>[K]) => void): Disposable {
    return this.events.on(name, cb);
  }

  /** How to answer the peer's re-INVITEs; by default the last description we sent, unchanged. */
  onReinvite(handler: ReinviteHandler): void {
    this.reinviteHandler = handler;
  }

  /** The UA is closing and could not end the call in time: end it here, without more signalling. */
  abandon(): void {
    this.end({ reason: 'closed' }, 'user agent closed');
  }

  /** Sends a BYE (RFC 3261 §15) and ends the call; resolves with the BYE's final response, if any. */
  abstract bye(): Promise<SipResponse | undefined>;

  /**
   * A re-INVITE with a new offer (RFC 3261 §14.1); resolves with the 2xx once the ACK is sent.
   * While another offer/answer of this call is in progress it waits for it. Glare (491) is retried after the §14.1 delay, twice at most. Another non-2xx leaves the
   * session as it was (`SIP_REJECTED`); 408, 481 or no answer end the dialog (§12.2.1.2).
   */
  async reinvite(body: SipBody, headers: ReadonlyArray<readonly [string, string]> = []): Promise<SipResponse> {
    for (let glare = 0; ; glare++) {
      try {
        return await this.reinviteOnce(body, headers);
      } catch (e) {
        const is491 = e instanceof MediapathError && e.code === 'SIP_REJECTED' && e.detail?.response?.code === 491 && e.message.startsWith('re-INVITE refused');
        if (!is491 || glare >= 2) throw e;
        // RFC 3261 §14.1: after 491 wait 2.1–4 s if we own the Call-ID (we sent the INVITE), else 0–2 s, in 10 ms steps.
        const owner = this.direction === 'outgoing';
        const wait = owner ? 2100 + 10 * this.core.random.int(191) : 10 * this.core.random.int(201);
        await this.sleep(wait);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const h = this.core.clock.setTimeout(() => {
        done.dispose();
        if (this.fsm.is('confirmed' as S)) resolve();
        else reject(new MediapathError('CLOSED', `call ${this.state} while waiting to retry the re-INVITE`, { layer: 'sip' }));
      }, ms);
      const done = this.events.once('ended', () => {
        this.core.clock.clearTimeout(h);
        reject(new MediapathError('CLOSED', 'call ended while waiting to retry the re-INVITE', { layer: 'sip' }));
      });
    });
  }

  private async reinviteOnce(body: SipBody, headers: ReadonlyArray<readonly [string, string]>): Promise<SipResponse> {
    const dialog = this.dialog;
    if (!dialog || !this.fsm.is('confirmed' as S)) {
      throw new MediapathError('INVALID_ARGUMENT', `re-INVITE needs a confirmed call (state ${this.state})`, { layer: 'sip' });
    }
    // RFC 3261 §14.1: no re-INVITE while another INVITE transaction of the dialog is in
    // progress; ours waits for it (its ACK included) instead of failing.
    while (!this.offerFsm.is('idle')) {
      await new Promise<void>((resolve) => this.offerWaiters.push(resolve));
      if (!this.fsm.is('confirmed' as S)) {
        throw new MediapathError('CLOSED', `call ${this.state} while the re-INVITE waited`, { layer: 'sip' });
      }
    }
    this.offerFsm.transition('sending', 're-INVITE');
    try {
      await this.ackSent;
      for (let round = 0; ; round++) {
        const req = this.withAuth(
          dialog.request('INVITE', {
            via: this.core.newVia(),
            contact: this.core.contact(),
            body: body.body,
            contentType: body.contentType,
            headers: [...this.core.commonHeaders(), ...headers],
          }),
        );
        const dest = await this.core.nextHop(req);
        let res: SipResponse;
        try {
          res = await this.inviteTransaction(req, dest);
        } catch (e) {
          if (e instanceof MediapathError && e.code === 'SIP_TIMEOUT') void this.hangup('failed', e);
          throw e;
        }
        if (res.status < 300) {
          dialog.refreshTarget(res);
          this.localBody = body;
          this.remoteBody = bodyOf(res) ?? this.remoteBody;
          return res;
        }
        if ((res.status === 401 || res.status === 407) && round < 2) {
          const refusal = this.core.challenge(res, 'INVITE');
          if (refusal) throw refusal;
          continue;
        }
        const error = new MediapathError('SIP_REJECTED', `re-INVITE refused: ${res.status} ${res.reason}`, { layer: 'sip', peer: dest, response: { code: res.status, reason: res.reason } });
        if (res.status === 408 || res.status === 481) void this.hangup('failed', error);
        throw error;
      }
    } finally {
      if (this.offerFsm.is('sending')) this.offerFsm.transition('idle', 're-INVITE done');
    }
  }

  /**
   * Runs one INVITE client transaction inside the dialog: resolves with its final response, ACKs
   * a 2xx and every repeat of it.
   */
  protected inviteTransaction(req: SipRequest, dest: TransportAddress): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const handler: ClientTxHandler = {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (res.status < 300) this.ack2xx(res, req);
          if (!settled) {
            settled = true;
            resolve(res);
          }
        },
        onFailed: (e) => {
          if (!settled) {
            settled = true;
            reject(e);
          }
        },
      };
      try {
        this.core.sendRequest(req, dest, handler);
      } catch (e) {
        reject(e);
      }
    });
  }

  /**
   * ACK for a 2xx (RFC 3261 §13.2.2.4): in the dialog, same CSeq number, the INVITE's
   * credentials. A repeat of the 2xx gets the same ACK again. Requests we send later in the
   * dialog wait for it (`ackSent`), so a BYE can never overtake the ACK on the wire.
   */
  protected ack2xx(res: SipResponse, invite: SipRequest, dialog: Dialog | undefined = this.dialog): void {
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    if (!cseq.ok || !dialog) return;
    const seq = cseq.value.seq;
    let entry = this.acks.get(seq);
    const repeat = entry !== undefined;
    if (!entry) {
      const creds = invite.headers.filter((h) => h.name === 'Authorization' || h.name === 'Proxy-Authorization').map((h): [string, string] => [h.name, h.value]);
      const ack = dialog.ack(seq, { via: this.core.newVia(), headers: [...creds, ...this.core.commonHeaders()] });
      entry = this.core.nextHop(ack).then(
        (dest) => ({ ack, dest }),
        (e: unknown) => {
          this.core.log.warn({ err: e, callId: this.callId }, 'no next hop for ACK');
          return undefined;
        },
      );
      this.acks.set(seq, entry);
    }
    const sent = entry.then((a) => (a ? this.core.sendAck(a.ack, a.dest) : undefined));
    if (!repeat) this.ackSent = this.ackSent.then(() => sent);
  }

  /**
   * Sends our 2xx again at T1, 2·T1 … T2 until its ACK arrives (RFC 3261 §13.3.1.4), whatever
   * the transport; gives up after 64·T1 with `SIP_TIMEOUT`.
   */
  protected awaitAck(txId: string, response: SipResponse, seq: number): Promise<void> {
    const { t1, t2 } = this.core.timers;
    const clock = this.core.clock;
    return new Promise((resolve, reject) => {
      let interval = t1;
      const a: AwaitingAck = { seq, retransmit: undefined, giveUp: undefined, resolve, reject };
      const again = (): void => {
        this.core.respond(txId, response);
        interval = Math.min(2 * interval, t2);
        a.retransmit = clock.setTimeout(again, interval);
      };
      a.retransmit = clock.setTimeout(again, interval);
      a.giveUp = clock.setTimeout(() => {
        this.stopAwaiting();
        reject(new MediapathError('SIP_TIMEOUT', `no ACK for the ${response.status} to INVITE (CSeq ${seq}) within 64·T1`, { layer: 'sip', peer: this.core.registrar }));
      }, 64 * t1);
      this.awaiting = a;
    });
  }

  private wakeOfferWaiters(): void {
    const waiting = this.offerWaiters;
    this.offerWaiters = [];
    for (const w of waiting) w();
  }

  private stopAwaiting(): AwaitingAck | undefined {
    const a = this.awaiting;
    if (!a) return undefined;
    this.core.clock.clearTimeout(a.retransmit);
    this.core.clock.clearTimeout(a.giveUp);
    this.awaiting = undefined;
    return a;
  }

  // ---- DialogUser -------------------------------------------------------------------------

  acceptRemoteSeq(req: SipRequest): boolean {
    return this.dialog ? this.dialog.acceptRemoteSeq(req).ok : true;
  }

  onAck(req: SipRequest): void {
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    const a = this.awaiting;
    if (!cseq.ok || !a || a.seq !== cseq.value.seq) return;
    this.stopAwaiting();
    a.resolve();
    this.onAckReceived(req);
  }

  /** Hook: the ACK for our 2xx arrived (the callee's call becomes confirmed). */
  protected onAckReceived(_req: SipRequest): void {}

  onStray2xx(res: SipResponse): void {
    const cseq = parseCSeq(getHeader(res, 'CSeq') ?? '');
    const known = cseq.ok ? this.acks.get(cseq.value.seq) : undefined;
    void known?.then((a) => (a ? this.core.sendAck(a.ack, a.dest) : undefined));
  }

  onRequest(txId: string, req: SipRequest): void {
    switch (req.method) {
      case 'INVITE':
        void this.answerReinvite(txId, req);
        return;
      case 'BYE':
        this.onBye(txId, req);
        return;
      case 'OPTIONS':
      case 'INFO':
        this.core.respond(txId, responseTo(req, 200, { headers: this.core.commonHeaders() }));
        return;
      default:
        this.core.respond(txId, responseTo(req, 501));
    }
  }

  /** A BYE from the peer (RFC 3261 §15.1.2): 200, a pending re-INVITE gets 487, the call ends. */
  protected onBye(txId: string, req: SipRequest): void {
    this.core.respond(txId, responseTo(req, 200, { headers: this.core.commonHeaders() }));
    if (this.pendingReinvite) {
      this.core.respond(this.pendingReinvite.txId, responseTo(this.pendingReinvite.request, 487));
      this.pendingReinvite = undefined;
    }
    this.end({ reason: 'remote-bye' }, 'BYE received');
  }

  private async answerReinvite(txId: string, req: SipRequest): Promise<void> {
    const dialog = this.dialog;
    if (!dialog || NON_DIALOG_BYE_STATES.has(this.state)) {
      this.core.respond(txId, responseTo(req, 481));
      return;
    }
    // RFC 3261 §14.2: glare with our own re-INVITE is 491; a second one while we answer is 500.
    if (this.offerFsm.is('sending')) {
      this.core.respond(txId, responseTo(req, 491));
      return;
    }
    if (this.offerFsm.is('receiving') || this.awaiting) {
      this.core.respond(txId, responseTo(req, 500, { headers: [['Retry-After', String(1 + this.core.random.int(10))]] }));
      return;
    }
    this.offerFsm.transition('receiving', 're-INVITE received');
    this.pendingReinvite = { txId, request: req };
    const offer = bodyOf(req);
    let answer: SipBody | { readonly status: number; readonly reason?: string } | undefined;
    try {
      answer = this.reinviteHandler ? await this.reinviteHandler(offer, req) : this.localBody;
    } catch (e) {
      this.core.log.warn({ err: e, callId: this.callId }, 're-INVITE handler threw');
      answer = { status: 500 };
    }
    if (this.pendingReinvite?.txId !== txId) {
      if (this.offerFsm.is('receiving')) this.offerFsm.transition('idle', 're-INVITE answered elsewhere');
      return; // a BYE answered it 487 meanwhile
    }
    this.pendingReinvite = undefined;
    const seq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    if (answer && 'status' in answer) {
      this.core.respond(txId, responseTo(req, answer.status, { ...(answer.reason ? { reason: answer.reason } : {}) }));
      this.offerFsm.transition('idle', `re-INVITE refused ${answer.status}`);
      this.events.emit('reinvite', { ...(offer ? { offer } : {}), status: answer.status, request: req });
      return;
    }
    dialog.refreshTarget(req);
    const res = responseTo(req, 200, {
      contact: this.core.contact(),
      headers: [...this.core.commonHeaders()],
      ...(answer ? { body: answer } : {}),
    });
    this.core.respond(txId, res);
    if (offer) this.remoteBody = offer;
    if (answer) this.localBody = answer;
    this.events.emit('reinvite', { ...(offer ? { offer } : {}), ...(answer ? { answer } : {}), status: 200, request: req });
    try {
      await this.awaitAck(txId, res, seq.ok ? seq.value.seq : 0);
    } catch (e) {
      void this.hangup('failed', e instanceof MediapathError ? e : undefined);
    } finally {
      if (this.offerFsm.is('receiving')) this.offerFsm.transition('idle', 're-INVITE done');
    }
  }

  /** Sends BYE in the dialog and ends the call with `reason` (once; later calls share the first). */
  protected hangup(reason: CallEnd['reason'], error?: MediapathError): Promise<SipResponse | undefined> {
    if (this.byeInFlight) return this.byeInFlight;
    const dialog = this.dialog;
    if (!dialog || this.fsm.is('terminated' as S)) return Promise.resolve(undefined);
    this.fsm.transition('terminating' as S, 'BYE sent');
    this.byeInFlight = (async () => {
      let res: SipResponse | undefined;
      await this.ackSent;
      try {
        res = await this.core.requestWithAuth(() =>
          this.withAuth(dialog.request('BYE', { via: this.core.newVia(), headers: this.core.commonHeaders() })),
        );
      } catch (e) {
        this.core.log.info({ err: e instanceof Error ? e.message : String(e), callId: this.callId }, 'BYE got no answer');
      }
      this.end({ reason, ...(error ? { error } : {}) }, res ? `BYE answered ${res.status}` : 'BYE unanswered');
      return res;
    })();
    return this.byeInFlight;
  }

  /** The request with credentials for every realm that challenged us (computed on its Request-URI). */
  protected withAuth(req: SipRequest): SipRequest {
    let out = req;
    for (const [name, value] of this.core.authHeaders(req.method, req.uri, req.body)) out = addHeader(out, name, value);
    return out;
  }

  protected setDialog(d: Dialog): void {
    if (this.dialog && this.dialog.key !== d.key) this.core.removeDialog(this.dialog.key, this);
    this.dialog = d;
    this.core.addDialog(d.key, this);
  }

  /** The only way a call ends: state `terminated`, timers and routing gone, `ended` resolved. */
  protected end(info: CallEnd, reason: string): void {
    if (this.endInfo) return;
    this.endInfo = info;
    const a = this.stopAwaiting();
    a?.reject(new MediapathError('CLOSED', `call ended (${info.reason}) before the ACK`, { layer: 'sip' }));
    if (!this.fsm.is('terminated' as S)) this.fsm.transition('terminated' as S, reason);
    this.dialog?.terminate(reason);
    if (this.dialog) this.core.removeDialog(this.dialog.key, this);
    this.acks.clear();
    this.wakeOfferWaiters();
    this.events.emit('ended', info);
    this.resolveEnded(info);
  }
}
