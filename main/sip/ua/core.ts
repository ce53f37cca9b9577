import { isLoopbackLike } from './loopback';
import { formatAddress, type TransportAddress } from '../../common/address';
import type { Clock, TimerHandle } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { createLogger, type Logger } from '../../common/logger';
import type { RandomSource } from '../../common/random';
import { DigestSession } from '../digest-session';
import { dialogIdOfIncoming, dialogIdOfResponse, dialogKey } from '../dialog';
import { parseNameAddr } from '../header-values';
import { getHeader, getHeaders, type SipRequest, type SipResponse } from '../message';
import { TransactionDriver } from '../transaction/driver';
import { TransactionLayer } from '../transaction/layer';
import { DEFAULT_SIP_TIMERS, type SipTimerConfig } from '../transaction/timers';
import { openSipTransport } from '../transport/create';
import { defaultSipPort, type SipTransport, type SipTransportKind, viaToken } from '../transport/types';
import { hex, newBranch, responseDestination } from '../transport/via';
import { formatHostPort, parseSipUri, type SipUri } from '../uri';
import { responseTo } from './responses';
import { nextHop } from './routing';
import type { SipUserAgentOptions, UaEvent } from './types';

/** What a client transaction's owner hears. */
export interface ClientTxHandler {
  onResponse(res: SipResponse): void;
  onFailed(error: MediapathError): void;
}

/** A call (or anything holding a dialog) as the core routes to it. */
export interface DialogUser {
  /** A new request inside the dialog (not ACK, not CANCEL), CSeq already checked. */
  onRequest(txId: string, req: SipRequest): void;
  onAck(req: SipRequest): void;
  /** A 2xx to our INVITE after its transaction ended (RFC 3261 §13.2.2.4: ACK it again). */
  onStray2xx(res: SipResponse): void;
  /** §12.2.2: checks and records the peer's CSeq; false answers 500. */
  acceptRemoteSeq(req: SipRequest): boolean;
}

/** The INVITE server transaction's owner (a ServerCall), for CANCEL and transaction failures. */
export interface ServerInviteUser {
  readonly localTag: string;
  onCancel(): void;
  onTxFailed(error: MediapathError): void;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';
const KNOWN_NOT_ALLOWED = new Set(['REGISTER', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'SERVICE', 'REFER', 'UPDATE', 'PRACK', 'BENOTIFY']);

/**
 * The user agent's plumbing (RFC 3261 §8): one transport, the transaction layer on the clock,
 * digest credentials, and the routing of what arrives to whoever owns it — a pending client
 * request, a dialog, an INVITE server transaction — or the answer the UA core gives by itself.
 */
export class UaCore {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly kind: SipTransportKind;
  readonly timers: SipTimerConfig;
  readonly aor: SipUri;
  readonly aorText: string;
  readonly log: Logger;
  readonly digest: DigestSession | undefined;
  transport!: SipTransport;
  driver!: TransactionDriver;
  registrar!: TransportAddress;
  onIncomingInvite: ((txId: string, req: SipRequest) => void) | undefined;
  onPublicAddressChange: (() => void) | undefined;
  private readonly clients = new Map<string, ClientTxHandler>();
  private readonly dialogs = new Map<string, DialogUser>();
  private readonly serverInvites = new Map<string, ServerInviteUser>();
  private started: Promise<void> | undefined;
  private keepAliveTimer: TimerHandle | undefined;
  private isClosed = false;

  constructor(readonly opts: SipUserAgentOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.kind = opts.transport;
    this.timers = { ...DEFAULT_SIP_TIMERS, ...opts.timers };
    const aor = parseSipUri(opts.aor);
    if (!aor.ok || aor.value.user === undefined) {
      throw new MediapathError('INVALID_ARGUMENT', `AOR must be a sip: URI with a user part: ${opts.aor}`, { layer: 'sip' });
    }
    this.aor = aor.value;
    this.aorText = `${aor.value.scheme}:${aor.value.user}@${formatHostPort(aor.value.host, aor.value.port)}`;
    this.log = createLogger('sip/ua').child({ aor: this.aorText });
    this.digest =
      opts.password !== undefined ? new DigestSession({ username: opts.username ?? aor.value.user, password: opts.password }, opts.random) : undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Opens the transport and resolves the registrar once; later calls share the first. */
  start(): Promise<void> {
    this.started ??= this.open();
    return this.started;
  }

  private async open(): Promise<void> {
    const r = this.opts.registrar;
    const port = r.port ?? defaultSipPort(this.kind);
    let ip = r.address;
    if (ip === undefined) {
      if (r.host === undefined) throw new MediapathError('INVALID_ARGUMENT', 'registrar needs an address or a host', { layer: 'sip' });
      const ips = await this.opts.net.resolve(r.host);
      ip = ips[0];
      if (ip === undefined) throw new MediapathError('NET_RESOLVE_FAILED', `${r.host} has no address`, { layer: 'sip' });
    }
    this.registrar = { ip, port };
    const local = this.opts.local ?? (this.kind === 'udp' ? { ip: isLoopbackLike(ip) ? '127.0.0.1' : '0.0.0.0' } : undefined);
    this.transport = await openSipTransport({
      net: this.opts.net,
      clock: this.clock,
      kind: this.kind,
      ...(local ? { local } : {}),
      // A registrar named by host is checked against that name (SNI and certificate), not its IP.
      ...(this.kind === 'tls' ? { tls: { ...(r.host !== undefined ? { servername: r.host } : {}), ...this.opts.tls } } : {}),
      ...(this.opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.opts.connectTimeoutMs } : {}),
      ...(this.kind !== 'udp' ? { keepAlive: { intervalMs: this.opts.keepAliveMs ?? 30_000 } } : {}),
    });
    if (this.isClosed) {
      await this.transport.close();
      throw new MediapathError('CLOSED', 'user agent closed while starting', { layer: 'sip' });
    }
    this.transport.onEvent((e) => {
      this.emit(e);
      if (e.type === 'sip.public-address') this.onPublicAddressChange?.();
    });
    const layer = new TransactionLayer({ timers: this.timers });
    this.driver = new TransactionDriver(layer, this.clock, {
      send: (message, to, txId) => {
        const dest = message.kind === 'response' ? responseDestination(message, to, this.kind) : to;
        void this.transport.send(message, dest, { stampVia: message.kind === 'request' }).then((res) => {
          if (!res.ok && !this.isClosed) this.driver.onTransportError(txId, res.error);
        });
      },
      deliver: (a) => {
        switch (a.kind) {
          case 'response':
            this.onResponse(a.txId, a.response);
            break;
          case 'failed':
            this.onFailed(a.txId, a.error);
            break;
          case 'state':
            if (a.to === 'terminated') {
              this.clients.delete(a.txId);
              this.serverInvites.delete(a.txId);
            }
            break;
          case 'request':
            this.onRequest(a.txId, a.request, a.cancels);
            break;
        }
      },
    });
    this.transport.onMessage((m, from) => {
      if (!this.isClosed) this.driver.onMessage(m, from, this.transport.reliable);
    });
    const every = this.opts.keepAliveMs ?? 30_000;
    if (this.kind === 'udp' && every > 0) this.scheduleUdpKeepAlive(every);
  }

  /** Holds the NAT binding towards the registrar open between REGISTER refreshes (UDP mappings last ~2 min, RFC 4787 REQ-5). */
  private scheduleUdpKeepAlive(every: number): void {
    this.keepAliveTimer = this.clock.setTimeout(() => {
      if (this.isClosed) return;
      this.transport.keepAlive(this.registrar);
      this.scheduleUdpKeepAlive(every);
    }, every);
  }

  emit(e: UaEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      this.log.warn({ err }, 'onEvent listener threw');
    }
  }

  newTag(): string {
    return hex(this.random.bytes(6));
  }

  newCallId(): string {
    return `${hex(this.random.bytes(12))}@${this.aor.host}`;
  }

  /** Our Via for a new request; the transport stamps the exact sent-by when it leaves. */
  newVia(): string {
    const s = this.transport.sentBy(this.registrar);
    return `SIP/2.0/${viaToken(this.kind)} ${formatHostPort(s.ip, s.port)};branch=${newBranch(this.random)};rport`;
  }

  /** Where we can be reached: the public address the registrar saw, else our sent-by (RFC 3581). */
  contactAddress(): TransportAddress {
    return this.transport.publicAddress(this.registrar) ?? this.transport.sentBy(this.registrar);
  }

  contactUri(): string {
    const a = this.contactAddress();
    const param = this.kind === 'udp' ? '' : `;transport=${this.kind}`;
    return `sip:${this.aor.user}@${formatHostPort(a.ip, a.port)}${param}`;
  }

  contact(): string {
    return `<${this.contactUri()}>`;
  }

  /** Our From value without tag: display name and AOR. */
  fromValue(): string {
    const name = this.opts.displayName;
    return name === undefined ? `<${this.aorText}>` : `"${name.replace(/["\\]/g, '')}" <${this.aorText}>`;
  }

  commonHeaders(): [string, string][] {
    return [['User-Agent', this.opts.userAgent ?? 'mediapath']];
  }

  /** Credentials for every realm that challenged us so far (RFC 3261 §22.3, nc counted). */
  authHeaders(method: string, uri: string, body = ''): [string, string][] {
    return (this.digest?.authorize(method, uri, body) ?? []).map((a): [string, string] => [a.name, a.value]);
  }

  /**
   * Takes a 401/407 and says whether to retry; a refused password, an unsupported scheme or a
   * missing password become a coded error carrying the response.
   */
  challenge(res: SipResponse, method: string): MediapathError | undefined {
    const response = { code: res.status, reason: res.reason };
    if (!this.digest) {
      return new MediapathError('SIP_AUTH_FAILED', `${method} challenged with ${res.status} and no password is configured`, { layer: 'sip', peer: this.registrar, response });
    }
    const header = res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const r = this.digest.onChallenge(res.status === 407 ? 407 : 401, getHeaders(res, header));
    if (r.ok) return undefined;
    const code = r.error.code === 'SIP_PARSE' ? 'SIP_AUTH_UNSUPPORTED' : r.error.code;
    return new MediapathError(code, `${method}: ${r.error.reason}`, { layer: 'sip', peer: this.registrar, response });
  }

  nextHop(req: SipRequest): Promise<TransportAddress> {
    return nextHop(this.opts.net, req, this.kind, this.registrar);
  }

  /** Starts a client transaction; its responses and failure go to `handler`. */
  sendRequest(req: SipRequest, dest: TransportAddress, handler: ClientTxHandler): string {
    this.assertOpen();
    const txId = this.driver.sendRequest(req, dest, this.transport.reliable);
    this.clients.set(txId, handler);
    return txId;
  }

  /** A non-INVITE request; resolves with its final response (any status), rejects on timeout. */
  request(req: SipRequest, dest: TransportAddress, onProvisional?: (res: SipResponse) => void): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      try {
        this.sendRequest(req, dest, {
          onResponse: (res) => (res.status >= 200 ? resolve(res) : onProvisional?.(res)),
          onFailed: reject,
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  /**
   * A non-INVITE request with digest retries (RFC 3261 §22.2): `build` is called again for
   * each attempt (new CSeq, fresh credentials). Resolves with the final response, which may
   * still be a 401/407 after three rounds.
   */
  async requestWithAuth(build: () => SipRequest, dest?: TransportAddress): Promise<SipResponse> {
    for (let round = 0; ; round++) {
      // A stream's Contact and Via name the local end of its connection: open it before building.
      const conn = await this.transport.connect(dest ?? this.registrar);
      if (!conn.ok) throw conn.error;
      const req = build();
      const to = dest ?? (await this.nextHop(req));
      const res = await this.request(req, to);
      if ((res.status !== 401 && res.status !== 407) || round >= 3) return res;
      const refusal = this.challenge(res, req.method);
      if (refusal) throw refusal;
    }
  }

  /** The TU's answer to a server transaction. */
  respond(txId: string, res: SipResponse): void {
    if (!this.isClosed) this.driver.respond(txId, res);
  }

  /** An ACK for a 2xx goes straight to the transport (RFC 3261 §13.2.2.4: it is its own transaction-less request). */
  async sendAck(ack: SipRequest, dest: TransportAddress): Promise<void> {
    if (this.isClosed) return;
    await this.transport.send(ack, dest, { stampVia: true });
  }

  addDialog(key: string, user: DialogUser): void {
    this.dialogs.set(key, user);
  }

  removeDialog(key: string, user: DialogUser): void {
    if (this.dialogs.get(key) === user) this.dialogs.delete(key);
  }

  addServerInvite(txId: string, user: ServerInviteUser): void {
    this.serverInvites.set(txId, user);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediapathError('CLOSED', 'user agent is closed', { layer: 'sip' });
    if (!this.driver) throw new MediapathError('INTERNAL', 'user agent not started', { layer: 'sip' });
  }

  private onResponse(txId: string | undefined, res: SipResponse): void {
    if (txId !== undefined) {
      this.clients.get(txId)?.onResponse(res);
      return;
    }
    const id = dialogIdOfResponse(res);
    if (id) this.dialogs.get(dialogKey(id))?.onStray2xx(res);
  }

  private onFailed(txId: string, error: MediapathError): void {
    const client = this.clients.get(txId);
    if (client) {
      this.clients.delete(txId);
      client.onFailed(error);
      return;
    }
    this.serverInvites.get(txId)?.onTxFailed(error);
  }

  private onRequest(txId: string | undefined, req: SipRequest, cancels: string | undefined): void {
    if (req.method === 'ACK') {
      const id = dialogIdOfIncoming(req);
      if (id) this.dialogs.get(dialogKey(id))?.onAck(req);
      return;
    }
    if (txId === undefined) return;
    if (req.method === 'CANCEL') {
      // RFC 3261 §9.2: 200 to a CANCEL that matches, 481 otherwise; the INVITE gets its 487 from the call.
      const target = cancels === undefined ? undefined : this.serverInvites.get(cancels);
      this.respond(txId, responseTo(req, target ? 200 : 481, { toTag: target?.localTag ?? this.newTag() }));
      target?.onCancel();
      return;
    }
    const to = parseNameAddr(getHeader(req, 'To') ?? '');
    if (to.ok && to.value.params['tag']) {
      const id = dialogIdOfIncoming(req);
      const user = id ? this.dialogs.get(dialogKey(id)) : undefined;
      if (!user) {
        this.respond(txId, responseTo(req, 481));
        return;
      }
      if (!user.acceptRemoteSeq(req)) {
        this.respond(txId, responseTo(req, 500, { reason: 'CSeq Out of Order' }));
        return;
      }
      user.onRequest(txId, req);
      return;
    }
    // §8.2.2.3: we support no extension, so any Require is refused with the list of it.
    const require = getHeaders(req, 'Require');
    if (require.length > 0) {
      this.respond(txId, responseTo(req, 420, { toTag: this.newTag(), headers: [['Unsupported', require.join(', ')]] }));
      return;
    }
    switch (req.method) {
      case 'INVITE':
        if (this.onIncomingInvite) this.onIncomingInvite(txId, req);
        else this.respond(txId, responseTo(req, 480, { toTag: this.newTag() }));
        return;
      case 'OPTIONS':
        this.respond(
          txId,
          responseTo(req, 200, {
            toTag: this.newTag(),
            contact: this.contact(),
            headers: [['Allow', ALLOW], ['Accept', 'application/sdp, multipart/alternative'], ...this.commonHeaders()],
          }),
        );
        return;
      case 'BYE':
        this.respond(txId, responseTo(req, 481));
        return;
      default:
        this.respond(txId, responseTo(req, KNOWN_NOT_ALLOWED.has(req.method) ? 405 : 501, { toTag: this.newTag(), headers: [['Allow', ALLOW]] }));
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.clock.clearTimeout(this.keepAliveTimer);
    try {
      await this.started;
    } catch {
      return;
    }
    if (!this.driver) return;
    this.driver.close();
    const pending = [...this.clients.values()];
    this.clients.clear();
    for (const c of pending) c.onFailed(new MediapathError('CLOSED', 'user agent closed', { layer: 'sip' }));
    this.dialogs.clear();
    this.serverInvites.clear();
    await this.transport.close();
    this.log.debug({ registrar: formatAddress(this.registrar) }, 'user agent closed');
  }
}
