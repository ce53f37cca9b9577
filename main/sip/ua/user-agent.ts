import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { type Disposable, TypedEmitter } from '../../common/events';
import { type SipRequest, type SipResponse, sipRequest } from '../message';
import { ClientCall, type InviteOptions } from './client-call';
import { UaCore } from './core';
import { Registration } from './registration';
import { responseTo } from './responses';
import { ServerCall } from './server-call';
import type { RegistrationInfo, RegistrationState, SipUserAgentOptions } from './types';

export interface SubscribeOptions {
  /** Event package (`vnd-microsoft-provisioning-v2` for Lync provisioning). */
  readonly event: string;
  /** Request-URI and To; default our own AOR (a self-SUBSCRIBE). */
  readonly target?: string;
  readonly accept?: string;
  readonly contentType?: string;
  readonly body?: string;
  /** Default 0: a one-shot fetch, no subscription left behind (RFC 6665 §4.1.2.1 allows it). */
  readonly expires?: number;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

/**
 * A SIP user agent (RFC 3261 §8) on an injected Net, Clock and RandomSource: one account, one
 * transport, the registrar as outbound proxy. It registers (digest, refresh, un-REGISTER on
 * close), sends OPTIONS, SUBSCRIBE and SERVICE, places calls (`invite`) and answers them
 * (`onIncomingCall`). Every wire message and state change goes to `onEvent`.
 */
export class SipUserAgent {
  private readonly core: UaCore;
  private readonly reg: Registration;
  private readonly calls = new Set<ClientCall | ServerCall>();
  private readonly incoming: TypedEmitter<{ call: ServerCall }>;
  private closing: Promise<void> | undefined;

  constructor(opts: SipUserAgentOptions) {
    this.core = new UaCore(opts);
    this.incoming = new TypedEmitter<{ call: ServerCall }>((e) => this.core.log.warn({ err: e }, 'onIncomingCall listener threw'));
    this.reg = new Registration(this.core, { refreshAt: opts.refreshAt ?? 0.8, retryMs: opts.registerRetryMs ?? 30_000 });
    this.core.onPublicAddressChange = () => this.reg.onContactChanged();
    this.core.onIncomingInvite = (txId, req) => this.onInvite(txId, req);
  }

  /** Opens the transport (every other method does it first; calling it is optional). */
  start(): Promise<void> {
    return this.core.start();
  }

  get aor(): string {
    return this.core.aorText;
  }

  get registrationState(): RegistrationState {
    return this.reg.state;
  }

  get registration(): RegistrationInfo | undefined {
    return this.reg.info;
  }

  /** The registrar's transport address, once started. */
  get registrar(): TransportAddress | undefined {
    return this.core.transport ? this.core.registrar : undefined;
  }

  /** Our bound UDP socket or TCP listener, once started. */
  get localAddress(): TransportAddress | undefined {
    return this.core.transport?.local;
  }

  /** Our address as the registrar sees it (RFC 3581), once a response told us. */
  get publicAddress(): TransportAddress | undefined {
    return this.core.transport?.publicAddress(this.core.registrar);
  }

  /** The Contact URI we register and put in requests now. */
  get contact(): string | undefined {
    return this.core.transport ? this.core.contactUri() : undefined;
  }

  /**
   * REGISTER with digest (401/407, MD5 or SHA-256, qop=auth) and keep the binding refreshed at
   * `refreshAt` of the granted Expires. Rejects with SIP_AUTH_FAILED (wrong password),
   * SIP_REJECTED (other final refusal), SIP_TIMEOUT or a NET_* error.
   */
  async register(expires = 3600): Promise<RegistrationInfo> {
    this.assertOpen();
    return this.reg.register(expires);
  }

  /** Removes our binding (Contact;expires=0) and stops refreshing. Never rejects. */
  unregister(): Promise<void> {
    return this.reg.unregister();
  }

  /** OPTIONS to `target` (default our domain); resolves with the final response, whatever its status. */
  async options(target?: string): Promise<SipResponse> {
    this.assertOpen();
    await this.core.start();
    const uri = target ?? `sip:${this.core.aor.host}`;
    return this.core.requestWithAuth(this.outOfDialog('OPTIONS', uri, [['Accept', 'application/sdp']]));
  }

  /**
   * SUBSCRIBE (RFC 6665), by default a self-SUBSCRIBE with Expires 0: the in-band provisioning
   * fetch of a Lync client. Resolves with the 2xx (its body is the answer); rejects SIP_REJECTED.
   */
  async subscribe(o: SubscribeOptions): Promise<SipResponse> {
    this.assertOpen();
    await this.core.start();
    const uri = o.target ?? this.core.aorText;
    const res = await this.core.requestWithAuth(
      this.outOfDialog(
        'SUBSCRIBE',
        uri,
        [
          ['Event', o.event],
          ...(o.accept ? [['Accept', o.accept] as [string, string]] : []),
          ['Expires', String(o.expires ?? 0)],
          ...(o.headers ?? []),
        ],
        o.body !== undefined ? { body: o.body, contentType: o.contentType ?? 'application/octet-stream' } : undefined,
      ),
    );
    if (res.status >= 200 && res.status < 300) return res;
    throw this.refused('SUBSCRIBE', res);
  }

  /** SERVICE (Lync's MRAS and QoE requests) to `uri`; resolves with the final response, whatever its status. */
  async service(uri: string, contentType: string, body: string): Promise<SipResponse> {
    this.assertOpen();
    await this.core.start();
    return this.core.requestWithAuth(this.outOfDialog('SERVICE', uri, [], { body, contentType }));
  }

  /** Places a call through the registrar; the INVITE leaves at once. */
  invite(target: string, opts: InviteOptions = {}): ClientCall {
    this.assertOpen();
    const call = new ClientCall(this.core, target, opts);
    this.track(call);
    void call.start();
    return call;
  }

  /** New incoming calls. With no listener, INVITEs are refused 480. */
  onIncomingCall(cb: (call: ServerCall) => void): Disposable {
    return this.incoming.on('call', cb);
  }

  /** Calls not yet ended. */
  get activeCalls(): ReadonlyArray<ClientCall | ServerCall> {
    return [...this.calls];
  }

  /**
   * Hangs up every call, un-REGISTERs, and closes the transport; signalling gets `graceMs` of
   * clock time (default 4 s) before calls are abandoned. Leaves no socket and no timer.
   */
  close(graceMs = 4000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const clock = this.core.clock;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, graceMs)));
    const work = (async () => {
      await Promise.all([...this.calls].map((c) => c.closeNow().catch(() => undefined)));
      await this.reg.unregister();
    })();
    await Promise.race([work, deadline]);
    clock.clearTimeout(timer);
    for (const c of this.calls) c.abandon();
    this.reg.close();
    await this.core.close();
    this.incoming.removeAll();
  }

  private track(call: ClientCall | ServerCall): void {
    this.calls.add(call);
    void call.ended.then(() => this.calls.delete(call));
  }

  private onInvite(txId: string, req: SipRequest): void {
    if (this.closing || this.incoming.listenerCount('call') === 0) {
      this.core.respond(txId, responseTo(req, 480, { toTag: this.core.newTag() }));
      return;
    }
    const r = ServerCall.create(this.core, txId, req);
    if (!r.ok) {
      this.core.respond(txId, responseTo(req, r.error.status, { toTag: this.core.newTag(), reason: r.error.reason }));
      return;
    }
    this.track(r.value);
    this.incoming.emit('call', r.value);
  }

  /** Builds an out-of-dialog request anew for each digest round: same Call-ID and tag, CSeq up. */
  private outOfDialog(
    method: string,
    uri: string,
    extra: ReadonlyArray<readonly [string, string]>,
    body?: { body: string; contentType: string },
  ): () => SipRequest {
    const callId = this.core.newCallId();
    const tag = this.core.newTag();
    let seq = 0;
    return () =>
      sipRequest(
        method,
        uri,
        [
          ['Via', this.core.newVia()],
          ['Max-Forwards', '70'],
          ['From', `${this.core.fromValue()};tag=${tag}`],
          ['To', `<${uri}>`],
          ['Call-ID', callId],
          ['CSeq', `${++seq} ${method}`],
          ['Contact', this.core.contact()],
          ...extra.map(([k, v]): [string, string] => [k, v]),
          ...this.core.commonHeaders(),
          ...this.core.authHeaders(method, uri, body?.body ?? ''),
          ...(body ? [['Content-Type', body.contentType] as [string, string]] : []),
        ],
        body?.body ?? '',
      );
  }

  private refused(method: string, res: SipResponse): MediapathError {
    const response = { code: res.status, reason: res.reason };
    if (res.status === 401 || res.status === 407) {
      return new MediapathError('SIP_AUTH_FAILED', `${method} still challenged after retries (${res.status})`, { layer: 'sip', peer: this.core.registrar, response });
    }
    return new MediapathError('SIP_REJECTED', `${method} refused: ${res.status} ${res.reason}`, { layer: 'sip', peer: this.core.registrar, response });
  }

  private assertOpen(): void {
    if (this.closing || this.core.closed) throw new MediapathError('CLOSED', 'user agent is closed', { layer: 'sip' });
  }
}
