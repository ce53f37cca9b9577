import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { Dialog, dialogIdOfResponse, dialogKey } from '../dialog';
import { parseNameAddr } from '../header-values';
import { getHeader, getHeaders, type SipRequest, type SipResponse, sipRequest } from '../message';
import { Call } from './call';
import { CLIENT_CALL_TABLE } from './call-states';
import { ALLOW, type UaCore } from './core';
import { bodyOf, type SipBody } from './responses';
import type { ClientCallState } from './types';

export interface InviteOptions {
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /**
   * A 415 Unsupported Media Type to the INVITE (RFC 3261 §21.4.13): return the body to send
   * instead (the callee's `Accept` says what it takes), or undefined to give up. Asked at most
   * once per call; the retry is a new transaction of the same call (§8.1.3.5).
   */
  readonly onUnsupportedMediaType?: (refusal: UnsupportedMediaTypeRefusal) => SipBody | undefined;
}

/** What a 415 told us: its status line and the media types its `Accept` lists (lower case, no parameters). */
export interface UnsupportedMediaTypeRefusal {
  readonly status: number;
  readonly reason: string;
  readonly accept: readonly string[];
  readonly response: SipResponse;
}

/** The media types of an `Accept` header (RFC 3261 §20.1), without parameters, lower case. */
export function acceptedTypes(res: SipResponse): string[] {
  return getHeaders(res, 'Accept')
    .flatMap((v) => v.split(','))
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter((t) => t.length > 0);
}

/** Whether a CANCEL is wanted, and whether it went out (RFC 3261 §9.1: not before a 1xx). */
type CancelState = 'none' | 'waiting-for-1xx' | 'sent';

/**
 * The caller's side of a call (RFC 3261 §13.2): INVITE with digest retries, early dialogs from
 * tagged 1xx, the 2xx ACKed and the call confirmed, CANCEL, and the 2xx of a second fork ACKed
 * and hung up (§13.2.2.4).
 */
export class ClientCall extends Call<ClientCallState> {
  readonly target: string;
  readonly localTag: string;
  /** Resolves with the 2xx; rejects with SIP_REJECTED (final non-2xx), SIP_TIMEOUT, auth or net errors. */
  readonly answered: Promise<SipResponse>;
  private resolveAnswered!: (r: SipResponse) => void;
  private rejectAnswered!: (e: unknown) => void;
  private invite: SipRequest | undefined;
  private inviteDest: TransportAddress | undefined;
  private seq = 0;
  private attempt = 0;
  private cancel_: CancelState = 'none';
  /** Whether the one 415 retry was spent. */
  private mediaTypeRetried = false;
  private readonly earlyDialogs = new Map<string, Dialog>();

  constructor(
    core: UaCore,
    target: string,
    private readonly opts: InviteOptions,
  ) {
    super(core, core.newCallId(), 'outgoing', 'calling', CLIENT_CALL_TABLE);
    this.target = target;
    this.localTag = core.newTag();
    this.answered = new Promise((resolve, reject) => {
      this.resolveAnswered = resolve;
      this.rejectAnswered = reject;
    });
    // Nobody has to await it: a call that fails is also reported by 'ended'.
    this.answered.catch(() => undefined);
    if (opts.body) this.localBody = { body: opts.body, contentType: opts.contentType ?? 'application/sdp' };
  }

  /** Sends the INVITE (the UA calls this once). */
  async start(): Promise<void> {
    try {
      await this.core.start();
      await this.sendInvite();
    } catch (e) {
      this.fail(e);
    }
  }

  private async sendInvite(): Promise<void> {
    const conn = await this.core.transport.connect(this.core.registrar);
    if (!conn.ok) throw conn.error;
    const attempt = ++this.attempt;
    this.seq++;
    const uri = this.target;
    const body = this.localBody;
    const req = sipRequest(
      'INVITE',
      uri,
      [
        ['Via', this.core.newVia()],
        ['Max-Forwards', '70'],
        ['From', `${this.core.fromValue()};tag=${this.localTag}`],
        ['To', `<${this.target}>`],
        ['Call-ID', this.callId],
        ['CSeq', `${this.seq} INVITE`],
        ['Contact', this.core.contact()],
        ['Allow', ALLOW],
        ...this.core.commonHeaders(),
        ...(this.opts.headers ?? []).map(([k, v]): [string, string] => [k, v]),
        ...this.core.authHeaders('INVITE', uri, body?.body ?? ''),
        ...(body ? [['Content-Type', body.contentType] as [string, string]] : []),
      ],
      body?.body ?? '',
    );
    const dest = await this.core.nextHop(req);
    if (this.fsm.is('terminated')) return;
    this.invite = req;
    this.inviteDest = dest;
    this.core.sendRequest(req, dest, {
      onResponse: (res) => this.onResponse(res, attempt, req),
      onFailed: (e) => {
        if (attempt === this.attempt) this.fail(e);
      },
    });
  }

  /**
   * Hangs up whatever the state: CANCEL before the answer (held until a 1xx, §9.1), BYE after.
   * Resolves with the BYE's response when there was one.
   */
  bye(): Promise<SipResponse | undefined> {
    if (this.fsm.is('confirmed', 'terminating')) return this.hangup('local-bye');
    this.cancel();
    return this.ended.then(() => undefined);
  }

  /** CANCEL the INVITE (RFC 3261 §9.1); a confirmed call is hung up with BYE instead. */
  cancel(): void {
    switch (this.state) {
      case 'calling':
        this.cancel_ = 'waiting-for-1xx';
        this.fsm.transition('cancelling', 'cancel() before any 1xx: CANCEL held');
        return;
      case 'proceeding':
      case 'early':
        this.fsm.transition('cancelling', 'cancel()');
        this.sendCancel();
        return;
      case 'confirmed':
        void this.hangup('local-bye');
        return;
      default:
        return;
    }
  }

  private sendCancel(): void {
    const invite = this.invite;
    const dest = this.inviteDest;
    if (!invite || !dest || this.cancel_ === 'sent') return;
    this.cancel_ = 'sent';
    // §9.1: the INVITE's Request-URI, Call-ID, To, From, CSeq number, top Via and Route.
    const seq = getHeader(invite, 'CSeq')?.split(/\s+/)[0] ?? String(this.seq);
    const cancel = sipRequest('CANCEL', invite.uri, [
      ['Via', getHeader(invite, 'Via') ?? ''],
      ['Max-Forwards', '70'],
      ...getHeaders(invite, 'Route').map((r): [string, string] => ['Route', r]),
      ['From', getHeader(invite, 'From') ?? ''],
      ['To', getHeader(invite, 'To') ?? ''],
      ['Call-ID', this.callId],
      ['CSeq', `${seq} CANCEL`],
      ...this.core.commonHeaders(),
    ]);
    this.core.request(cancel, dest).then(
      (res) => this.core.log.debug({ callId: this.callId, status: res.status }, 'CANCEL answered'),
      (e: unknown) => this.core.log.info({ callId: this.callId, err: e instanceof Error ? e.message : String(e) }, 'CANCEL got no answer'),
    );
  }

  private onResponse(res: SipResponse, attempt: number, invite: SipRequest): void {
    if (res.status >= 200 && res.status < 300) {
      this.on2xx(res, invite);
      return;
    }
    if (attempt !== this.attempt || this.fsm.is('terminated', 'confirmed', 'terminating')) return;
    if (res.status < 200) {
      this.onProvisional(res, invite);
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.cancel_ === 'none' && attempt < 3) {
      const refusal = this.core.challenge(res, 'INVITE');
      if (refusal) {
        this.fail(refusal);
        return;
      }
      void this.sendInvite().catch((e: unknown) => this.fail(e));
      return;
    }
    if (res.status === 415 && this.retryUnsupportedMediaType(res)) return;
    const cancelled = this.cancel_ !== 'none' && res.status === 487;
    const accept = res.status === 415 ? acceptedTypes(res) : [];
    const error = new MediapathError('SIP_REJECTED', `INVITE ${cancelled ? 'cancelled' : 'refused'}: ${res.status} ${res.reason}`, {
      layer: 'sip',
      ...(this.inviteDest ? { peer: this.inviteDest } : {}),
      response: { code: res.status, reason: res.reason, ...(accept.length ? { accept } : {}) },
    });
    this.rejectAnswered(error);
    this.end({ reason: this.cancel_ !== 'none' ? 'cancelled' : 'rejected', status: res.status, error }, `${res.status} ${res.reason}`);
  }

  /**
   * RFC 3261 §8.1.3.5: a request refused 415 may be sent again with a body the callee accepts.
   * The retry is a new INVITE transaction of the same call: same Call-ID, From tag and To (no To
   * tag: it is not in a dialog yet), CSeq one higher. Keeping the Call-ID lets a peer that
   * tracks calls by Call-ID (SIPp, a B2BUA) see one call, and the ACK of the 415 went with its
   * own transaction already (§17.1.1.3).
   */
  private retryUnsupportedMediaType(res: SipResponse): boolean {
    const ask = this.opts.onUnsupportedMediaType;
    if (!ask || this.mediaTypeRetried || this.cancel_ !== 'none') return false;
    this.mediaTypeRetried = true;
    const body = ask({ status: res.status, reason: res.reason, accept: acceptedTypes(res), response: res });
    if (!body) return false;
    this.localBody = body;
    void this.sendInvite().catch((e: unknown) => this.fail(e));
    return true;
  }

  private onProvisional(res: SipResponse, invite: SipRequest): void {
    const id = dialogIdOfResponse(res);
    if (id && res.status > 100 && !this.earlyDialogs.has(id.remoteTag)) {
      const d = Dialog.forUac(invite, res, () => this.core.clock.now());
      if (d.ok) {
        this.earlyDialogs.set(id.remoteTag, d.value);
        if (!this.dialog) this.setDialog(d.value);
      }
    }
    if (this.fsm.is('calling')) this.fsm.transition(id && res.status > 100 ? 'early' : 'proceeding', `${res.status} ${res.reason}`);
    else if (this.fsm.is('proceeding') && id && res.status > 100) this.fsm.transition('early', `${res.status} ${res.reason}`);
    const body = bodyOf(res);
    if (res.status > 100) this.events.emit('progress', { status: res.status, reason: res.reason, ...(body ? { body } : {}), response: res });
    if (this.cancel_ === 'waiting-for-1xx') this.sendCancel();
  }

  private on2xx(res: SipResponse, invite: SipRequest): void {
    const id = dialogIdOfResponse(res);
    if (!id) return;
    // A repeat of the 2xx we took: ACK again (§13.2.2.4).
    if (this.dialog?.state === 'confirmed' && this.dialog.key === dialogKey(id)) {
      this.ack2xx(res, invite);
      return;
    }
    const d = Dialog.forUac(invite, res, () => this.core.clock.now());
    if (!d.ok) {
      this.fail(new MediapathError('SIP_PARSE', `2xx to INVITE unusable: ${d.error.reason}`, { layer: 'sip', response: { code: res.status, reason: res.reason } }));
      return;
    }
    if (this.dialog?.state === 'confirmed' || this.fsm.is('terminated', 'terminating')) {
      // A second fork answered (or we are gone): ACK it and hang that dialog up (§13.2.2.4).
      this.ack2xx(res, invite, d.value);
      void this.ackSent
        .then(() => this.core.requestWithAuth(() => this.withAuth(d.value.request('BYE', { via: this.core.newVia(), headers: this.core.commonHeaders() }))))
        .catch(() => undefined);
      return;
    }
    this.setDialog(d.value);
    this.ack2xx(res, invite);
    const body = bodyOf(res);
    if (body) this.remoteBody = body;
    if (this.fsm.is('cancelling')) {
      // Our CANCEL crossed the 2xx: the call exists now; end it with a BYE (§9.1).
      void this.hangup('cancelled');
      this.rejectAnswered(new MediapathError('SIP_REJECTED', 'call answered after cancel(); hung up with BYE', { layer: 'sip', response: { code: res.status, reason: res.reason } }));
      return;
    }
    this.fsm.transition('confirmed', `${res.status} ${res.reason}`);
    this.events.emit('answered', { ...(body ? { body } : {}), response: res });
    this.resolveAnswered(res);
  }

  private fail(e: unknown): void {
    if (this.fsm.is('terminated')) return;
    const error = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String(e), { layer: 'sip' }, { cause: e });
    this.rejectAnswered(error);
    if (this.fsm.is('confirmed')) {
      void this.hangup('failed', error);
      return;
    }
    this.end({ reason: this.cancel_ !== 'none' ? 'cancelled' : 'failed', error }, error.message);
  }

  /** The To value of the INVITE, the callee as dialled. */
  get remote(): string {
    const to = parseNameAddr(getHeader(this.invite ?? { headers: [] }, 'To') ?? `<${this.target}>`);
    return to.ok ? to.value.uri : this.target;
  }

  override abandon(): void {
    this.rejectAnswered(new MediapathError('CLOSED', 'user agent closed before the call was answered', { layer: 'sip' }));
    super.abandon();
  }

  /** @internal the UA closes calls it still has. */
  closeNow(): Promise<void> {
    if (this.fsm.is('terminated')) return Promise.resolve();
    if (this.fsm.is('confirmed', 'terminating')) return this.hangup('closed').then(() => undefined);
    this.cancel();
    return this.ended.then(() => undefined);
  }
}

export type { SipBody };
