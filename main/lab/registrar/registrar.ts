import { formatAddress, type TransportAddress } from '../../common/address';
import type { TimerHandle } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { type Disposable, TypedEmitter } from '../../common/events';
import { createLogger, type Logger } from '../../common/logger';
import { redactText } from '../../common/redact';
import { badRequestFor } from '../../sip/bad-request';
import { toUtf8Bytes, utf8 } from '../../sip/bytes';
import { BRANCH_MAGIC_COOKIE, parseContact, parseCSeq, parseNameAddr, parseVia } from '../../sip/header-values';
import { getHeader, getHeaders, type HeaderInput, prependHeader, removeHeader, type SipMessage, type SipRequest, type SipResponse, sipRequest } from '../../sip/message';
import { formatParams } from '../../sip/params';
import { parseSipMessage } from '../../sip/parse';
import { serializeSipMessage } from '../../sip/serialize';
import { TransactionDriver } from '../../sip/transaction/driver';
import { clientKey, serverKey } from '../../sip/transaction/keys';
import { TransactionLayer } from '../../sip/transaction/layer';
import { DEFAULT_SIP_TIMERS } from '../../sip/transaction/timers';
import { formatHostPort, parseSipUri } from '../../sip/uri';
import { DigestGuard } from './digest-guard';
import { type ContactUpdate, DEFAULT_REGISTRATION_LIMITS, LocationTable } from './location';
import { answerMrasService, defaultMrasUri, sameServiceUri } from './mras-service';
import { answerProvisioning, eventPackage } from './provisioning';
import { ALLOWED_METHODS, responseFor, warningHeader } from './responses';
import {
  decrementMaxForwards,
  isOwnVia,
  isSelfUri,
  nextHopUri,
  ourVia,
  popSelfRoutes,
  portFor,
  recordRouteEntries,
  type SelfIdentity,
  statelessBranch,
  uriTarget,
  viaReturnTarget,
  withoutTopVia,
  withReceived,
} from './routing';
import { RegistrarTransport } from './transport';
import {
  type Binding,
  DEFAULT_REGISTRAR_KNOBS,
  type Flow,
  type LabRegistrarOptions,
  type RegistrarEvent,
  type RegistrarKnobs,
  type RegistrationLimits,
  type SipTransportKind,
} from './types';
import { PROVISIONING_EVENT } from '../../mras/provisioning-xml';

export interface LabRegistrar {
  readonly udp: TransportAddress | undefined;
  readonly tcp: TransportAddress | undefined;
  /** Set when a TLS listener was handed in (`listen.tls`). */
  readonly tls: TransportAddress | undefined;
  readonly domain: string;
  readonly realm: string;
  /** Where the MRAS service answers (what provisioning hands out unless the knob hides it). */
  readonly mrasUri: string | undefined;
  readonly qosUri: string | undefined;
  /** `sip:<host>:<port>;transport=<t>`: what a client uses as its registrar / outbound proxy. */
  uri(transport: SipTransportKind): string;
  /** Live bindings, of one address-of-record (`sip:alice@lab.test`) or all. */
  bindings(aor?: string): Binding[];
  readonly knobs: RegistrarKnobs;
  setKnobs(k: Partial<RegistrarKnobs>): void;
  onEvent(cb: (e: RegistrarEvent) => void): Disposable;
  /** Listeners and connections open now. */
  openSockets(): number;
  /** Clock timers held now (transaction timers, binding expiry, proxy guards). */
  pendingTimers(): number;
  /** SIP transactions alive now. */
  transactions(): number;
  /** Closes sockets, forgets bindings, disarms every timer. Idempotent. */
  stop(): Promise<void>;
}

/** One request we forward statefully: its server transaction upstream, client transaction downstream. */
interface Proxied {
  readonly serverTxId: string;
  readonly clientTxId: string;
  readonly method: string;
  readonly callId: string;
  /** The request as it reached us (after Route processing): answers we make ourselves copy its Vias. */
  readonly upstream: SipRequest;
  readonly forwarded: SipRequest;
  readonly outFlow: Flow;
  gotProvisional: boolean;
  cancelPending: boolean;
  cancelSent: boolean;
  finalSent: boolean;
  guard: TimerHandle | undefined;
}

/** RFC 3261 §16.6 step 11: Timer C, longer than 3 minutes, bounds an INVITE that rings forever. */
const TIMER_C_MS = 181_000;
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);
const QOE_CONTENT_TYPE = 'application/vq-rtcpxr+xml';
/** Live transactions at most; beyond, new requests get a stateless 503 (RFC 3261 §21.5.4). */
const MAX_TRANSACTIONS = 4096;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function toTagOf(msg: SipMessage): string | undefined {
  const to = parseNameAddr(getHeader(msg, 'To') ?? '');
  const t = to.ok ? to.value.params['tag'] : undefined;
  return typeof t === 'string' && t !== '' ? t : undefined;
}

/**
 * The lab registrar, proxy, provisioning and MRAS service (PROTOCOLS.md §0–§1, issue 4) on any
 * `Net`. The UAS parts (REGISTER, OPTIONS, provisioning SUBSCRIBE, SERVICE) and the proxy both
 * run on the RFC 3261 §17 transaction layer: a request we forward has a server transaction
 * upstream and a client transaction downstream (a transaction-stateful proxy, §16), except the
 * ACK for a 2xx, which is forwarded statelessly (§16.11). It forwards to the most recent
 * binding only (no forking) and Record-Routes dialog-creating requests, so in-dialog requests
 * (ACK, BYE, re-INVITE) come back through it.
 */
class LabRegistrarImpl implements LabRegistrar {
  private readonly log: Logger;
  private readonly events: TypedEmitter<{ event: RegistrarEvent }>;
  private readonly layer: TransactionLayer;
  private readonly driver: TransactionDriver;
  private readonly guard: DigestGuard;
  private readonly location: LocationTable;
  private readonly limits: RegistrationLimits;
  private transport!: RegistrarTransport;
  private self!: SelfIdentity;
  private currentKnobs: RegistrarKnobs;
  /** Flow of every live transaction, so its sends use the right transport and connection. */
  private readonly flows = new Map<string, Flow>();
  private readonly byServer = new Map<string, Proxied>();
  private readonly byClient = new Map<string, Proxied>();
  private readonly guards = new Set<TimerHandle>();
  private expiryTimer: TimerHandle | undefined;
  private expiryAt: number | undefined;
  /** The flow of the message being fed to the transaction layer (its `request` callback runs synchronously). */
  private inbound: Flow | undefined;
  private stopped = false;
  readonly domain: string;
  readonly realm: string;
  readonly mrasUri: string | undefined;
  readonly qosUri: string | undefined;

  constructor(private readonly opts: LabRegistrarOptions) {
    this.log = opts.logger ?? createLogger('lab/registrar');
    this.events = new TypedEmitter((e) => this.log.warn({ err: String(e) }, 'registrar event listener threw'));
    this.domain = opts.domain;
    this.realm = opts.realm ?? opts.domain;
    this.mrasUri = opts.mras?.enabled ? (opts.provisioning?.mrasUri ?? defaultMrasUri(opts.domain)) : opts.provisioning?.mrasUri;
    this.qosUri = opts.provisioning?.qosUri ?? `sip:qos@${opts.domain};gruu;opaque=srvr:QoS:lab`;
    this.currentKnobs = { ...DEFAULT_REGISTRAR_KNOBS, ...opts.knobs };
    this.limits = { ...DEFAULT_REGISTRATION_LIMITS, ...opts.registration };
    this.location = new LocationTable(this.limits);
    this.guard = new DigestGuard({ realm: this.realm, algorithm: opts.digest, users: opts.users, random: opts.random });
    this.layer = new TransactionLayer({ timers: opts.timers ?? DEFAULT_SIP_TIMERS, sendTrying: true });
    this.driver = new TransactionDriver(this.layer, opts.clock, {
      send: (message, to, txId) => {
        const flow = this.flows.get(txId) ?? { transport: 'udp', remote: to };
        this.wire(flow, message).catch((e: unknown) => {
          if (this.stopped) return;
          const error = e instanceof MediapathError ? e : new MediapathError('NET_SOCKET_ERROR', String(e), { layer: 'lab', peer: to });
          this.log.debug({ txId, err: error.message }, 'send failed');
          this.driver.onTransportError(txId, error);
        });
      },
      deliver: (a) => {
        if (this.stopped) return;
        try {
          switch (a.kind) {
            case 'request':
              this.onRequest(a.request, a.txId, a.from, a.cancels);
              break;
            case 'response':
              this.onResponse(a.txId, a.response);
              break;
            case 'failed':
              this.onTxFailed(a.txId, a.error);
              break;
            case 'state':
              if (a.to === 'terminated') this.onTxTerminated(a.txId);
              break;
          }
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          this.log.error({ err: reason, kind: a.kind }, 'transaction user failed');
          this.emit({ type: 'registrar.error', at: this.now(), peer: a.kind === 'request' ? formatAddress(a.from) : '', reason });
          // A server transaction left unanswered would wait forever: close it with a 500.
          if (a.kind === 'request' && a.txId !== undefined && a.request.method !== 'ACK') this.reply(a.request, a.txId, 500);
        }
      },
    });
  }

  async start(): Promise<void> {
    const { listen } = this.opts;
    const host = this.opts.advertise ?? listen.ip;
    if (host === '0.0.0.0' || host === '::') {
      throw new MediapathError('INVALID_ARGUMENT', 'a wildcard listen address needs `advertise`: Via and Record-Route must name a reachable host', { layer: 'lab' });
    }
    const transports = listen.transports ?? (['udp', 'tcp'] as const);
    this.transport = await RegistrarTransport.open({
      net: this.opts.net,
      ip: listen.ip,
      ...(listen.udpPort !== undefined ? { udpPort: listen.udpPort } : {}),
      ...(listen.tcpPort !== undefined ? { tcpPort: listen.tcpPort } : {}),
      ...(listen.tls ? { tlsServer: listen.tls } : {}),
      transports,
      onMessage: (bytes, flow) => this.onWire(bytes, flow),
      onStreamError: (flow, error) =>
        this.emit({ type: 'sip.parse-error', at: this.now(), transport: flow.transport, peer: formatAddress(flow.remote), reason: error.reason, offset: error.offset, answered: false }),
      log: this.log,
    });
    this.self = {
      host,
      domain: this.domain,
      ...(this.transport.udp ? { udpPort: this.transport.udp.port } : {}),
      ...(this.transport.tcp ? { tcpPort: this.transport.tcp.port } : {}),
      ...(this.transport.tls ? { tlsPort: this.transport.tls.port } : {}),
    };
    this.log.info({ udp: this.transport.udp, tcp: this.transport.tcp, tls: this.transport.tls, domain: this.domain, mrasUri: this.mrasUri }, 'lab registrar listening');
  }

  get udp(): TransportAddress | undefined {
    return this.transport.udp;
  }

  get tcp(): TransportAddress | undefined {
    return this.transport.tcp;
  }

  get tls(): TransportAddress | undefined {
    return this.transport.tls;
  }

  get knobs(): RegistrarKnobs {
    return this.currentKnobs;
  }

  uri(transport: SipTransportKind): string {
    const port = portFor(this.self, transport);
    if (port === undefined) throw new MediapathError('INVALID_ARGUMENT', `the registrar serves no ${transport.toUpperCase()}`, { layer: 'lab' });
    return `sip:${formatHostPort(this.self.host, port)};transport=${transport}`;
  }

  bindings(aor?: string): Binding[] {
    const now = this.now();
    return aor === undefined ? this.location.all(now) : this.location.lookup(aor, now);
  }

  setKnobs(k: Partial<RegistrarKnobs>): void {
    this.currentKnobs = { ...this.currentKnobs, ...k };
  }

  onEvent(cb: (e: RegistrarEvent) => void): Disposable {
    return this.events.on('event', cb);
  }

  openSockets(): number {
    return this.transport.openSockets();
  }

  pendingTimers(): number {
    return this.driver.pendingTimers + (this.expiryTimer ? 1 : 0) + this.guards.size;
  }

  transactions(): number {
    return this.layer.size;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    for (const g of this.guards) this.opts.clock.clearTimeout(g);
    this.guards.clear();
    this.driver.close();
    // A TLS listener handed in is ours to close even when start() failed before taking it.
    if (this.transport) await this.transport.close();
    else await this.opts.listen.tls?.close();
    this.location.clear();
    this.flows.clear();
    this.byServer.clear();
    this.byClient.clear();
    this.events.removeAll();
    this.log.info({}, 'lab registrar stopped');
  }

  // ---- wire --------------------------------------------------------------------------------

  private now(): number {
    return this.opts.clock.now();
  }

  private emit(e: RegistrarEvent): void {
    this.log.debug(e.type.startsWith('sip.') ? { type: e.type } : e, e.type);
    try {
      this.opts.onEvent?.(e);
    } catch (x) {
      this.log.warn({ err: String(x) }, 'onEvent threw');
    }
    this.events.emit('event', e);
  }

  private wire(flow: Flow, msg: SipMessage): Promise<void> {
    const text = serializeSipMessage(msg);
    this.emit({ type: 'sip.sent', at: this.now(), transport: flow.transport, peer: formatAddress(flow.remote), text: redactText(text) });
    return this.transport.send(flow, toUtf8Bytes(text));
  }

  private onWire(bytes: Uint8Array, flow: Flow): void {
    if (this.stopped) return;
    try {
      this.handleWire(bytes, flow);
    } catch (e) {
      // Whatever a peer sends must not stop the lab: report our bug and go on.
      const reason = e instanceof Error ? e.message : String(e);
      this.log.error({ err: reason }, 'message handling failed');
      this.emit({ type: 'registrar.error', at: this.now(), peer: formatAddress(flow.remote), reason });
    }
  }

  private handleWire(bytes: Uint8Array, flow: Flow): void {
    const peer = formatAddress(flow.remote);
    this.emit({ type: 'sip.received', at: this.now(), transport: flow.transport, peer, text: redactText(utf8(bytes)) });
    const parsed = parseSipMessage(bytes);
    if (!parsed.ok) {
      // RFC 3261 §8.2 / §16.3: a malformed request is answered 400 when the answer can be routed.
      const answer = badRequestFor(bytes, parsed.error);
      this.emit({ type: 'sip.parse-error', at: this.now(), transport: flow.transport, peer, reason: parsed.error.reason, offset: parsed.error.offset, answered: answer !== undefined });
      if (answer !== undefined) {
        this.emit({ type: 'sip.sent', at: this.now(), transport: flow.transport, peer, text: redactText(answer) });
        this.transport.send(flow, toUtf8Bytes(answer)).catch(() => undefined);
      }
      return;
    }
    const reliable = flow.transport !== 'udp';
    const msg = parsed.value;
    if (msg.kind === 'response') {
      this.driver.onMessage(msg, flow.remote, reliable);
      return;
    }
    const req = withReceived(msg, flow.remote);
    if (req.method === 'SERVICE' && this.currentKnobs.mrasSilent && this.mrasUri !== undefined && sameServiceUri(req.uri, this.mrasUri)) {
      // Dropped before the transaction layer, so no server transaction waits for an answer.
      this.emit({ type: 'mras.dropped', at: this.now(), peer, reason: 'mrasSilent knob' });
      return;
    }
    if (req.method !== 'ACK') {
      const key = serverKey(req);
      if (key !== undefined && !this.flows.has(key)) {
        if (this.layer.size >= MAX_TRANSACTIONS) {
          this.emit({ type: 'overload', at: this.now(), peer, method: req.method });
          this.wire(flow, responseFor(req, 503, { toTag: hex(this.opts.random.bytes(6)), headers: [['Retry-After', '5']] })).catch(() => undefined);
          return;
        }
        this.flows.set(key, flow);
      }
    }
    this.inbound = flow;
    try {
      this.driver.onMessage(req, flow.remote, reliable);
    } finally {
      this.inbound = undefined;
    }
  }

  // ---- requests ----------------------------------------------------------------------------

  private onRequest(req: SipRequest, txId: string | undefined, from: TransportAddress, cancels: string | undefined): void {
    const flow = (txId !== undefined ? this.flows.get(txId) : undefined) ?? this.inbound ?? { transport: 'udp', remote: from };
    if (req.method === 'ACK') {
      this.forwardAck(req);
      return;
    }
    if (txId === undefined) return;
    if (req.method === 'CANCEL') {
      this.onCancel(req, txId, cancels);
      return;
    }
    const routed = popSelfRoutes(req, this.self);
    if (getHeader(routed, 'Route') !== undefined) {
      this.forwardByUri(routed, txId, flow);
      return;
    }
    const ruri = parseSipUri(routed.uri);
    if (!ruri.ok) {
      this.reply(routed, txId, /^[A-Za-z][\w+.-]*:/.test(routed.uri) && !/^sips?:/i.test(routed.uri) ? 416 : 400);
      return;
    }
    if (this.mrasUri !== undefined && sameServiceUri(routed.uri, this.mrasUri)) {
      this.onMras(routed, txId);
      return;
    }
    if (this.qosUri !== undefined && sameServiceUri(routed.uri, this.qosUri)) {
      this.onQos(routed, txId, flow);
      return;
    }
    const contact = this.location.byContact(routed.uri, this.now());
    if (contact) {
      this.forward(routed, txId, flow, { outFlow: contact.flow, recordRoute: false });
      return;
    }
    if (!isSelfUri(ruri.value, this.self)) {
      this.forwardByUri(routed, txId, flow);
      return;
    }
    const user = ruri.value.user;
    switch (routed.method) {
      case 'REGISTER':
        this.onRegister(routed, txId, flow);
        return;
      case 'SUBSCRIBE':
        this.onSubscribe(routed, txId, flow);
        return;
      case 'OPTIONS':
        if (user === undefined) {
          this.reply(routed, txId, 200, { headers: [['Allow', ALLOWED_METHODS], ['Accept', 'application/sdp'], ['Allow-Events', PROVISIONING_EVENT]] });
          return;
        }
        break;
      case 'SERVICE':
        this.reply(routed, txId, 404, { reason: 'No Such Service' });
        return;
    }
    if (user === undefined) {
      this.reply(routed, txId, 404);
      return;
    }
    this.proxyToUser(routed, txId, flow, user);
  }

  private reply(req: SipRequest, txId: string, status: number, opts: { reason?: string; headers?: HeaderInput; body?: string } = {}): void {
    this.driver.respond(txId, responseFor(req, status, { ...opts, toTag: hex(this.opts.random.bytes(6)) }));
  }

  /** 401 (as UAS) or 407 (as proxy) with a fresh challenge. */
  private challenge(req: SipRequest, txId: string, status: 401 | 407, stale: boolean, reason: string, user?: string): void {
    const header = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    this.reply(req, txId, status, { headers: [[header, this.guard.challenge(this.now(), stale)]] });
    this.emit({ type: 'auth.challenge', at: this.now(), method: req.method, status, stale, reason, ...(user !== undefined ? { user } : {}) });
  }

  /** Digest check for a UAS request (401 family); true when the request may go on. */
  private authorized(req: SipRequest, txId: string): { user: string } | undefined {
    const check = this.guard.check(req, 'Authorization', this.now());
    if (check.kind === 'ok') return { user: check.user };
    this.challenge(req, txId, 401, check.stale, check.reason, check.user);
    return undefined;
  }

  private aorOf(user: string): string {
    return `sip:${user}@${this.domain}`;
  }

  /** The user part of a From/To value when it is one of our users in our domain. */
  private localUser(nameAddrValue: string | undefined): string | undefined {
    const na = parseNameAddr(nameAddrValue ?? '');
    if (!na.ok) return undefined;
    return this.knownIdentity(na.value.uri);
  }

  private knownIdentity(uri: string): string | undefined {
    const u = parseSipUri(uri);
    if (!u.ok || u.value.user === undefined) return undefined;
    const okHost = u.value.host.toLowerCase() === this.domain.toLowerCase() || isSelfUri(u.value, this.self);
    return okHost && Object.prototype.hasOwnProperty.call(this.opts.users, u.value.user) ? u.value.user : undefined;
  }

  // ---- registrar (RFC 3261 §10.3) ---------------------------------------------------------

  private onRegister(req: SipRequest, txId: string, flow: Flow): void {
    const auth = this.authorized(req, txId);
    if (!auth) return;
    const user = this.localUser(getHeader(req, 'To'));
    if (user === undefined) {
      this.reply(req, txId, 404, { reason: 'Unknown Address-of-Record' });
      return;
    }
    // §10.3 step 6: the authenticated user may only change its own bindings.
    if (auth.user !== user) {
      this.reply(req, txId, 403, { headers: [warningHeader(`${auth.user} may not register ${user}`)] });
      return;
    }
    const cseq = parseCSeq(getHeader(req, 'CSeq') ?? '');
    const expiresRaw = getHeader(req, 'Expires')?.trim();
    const expiresHeader = expiresRaw !== undefined && /^\d{1,10}$/.test(expiresRaw) ? Number(expiresRaw) : undefined;
    const values = getHeaders(req, 'Contact');
    let contacts: ContactUpdate[] | '*' = [];
    for (const v of values) {
      const c = parseContact(v);
      if (!c.ok) {
        this.reply(req, txId, 400, { headers: [warningHeader(`Bad Contact: ${c.error.reason}`)] });
        return;
      }
      if (c.value === '*') {
        if (values.length !== 1) {
          this.reply(req, txId, 400, { reason: 'Contact * must stand alone' });
          return;
        }
        contacts = '*';
      } else if (contacts !== '*') {
        contacts.push({ uri: c.value.uri, params: c.value.params });
      }
    }
    const aor = this.aorOf(user);
    const now = this.now();
    const result = this.location.apply({
      aor,
      contacts,
      ...(expiresHeader !== undefined ? { expiresHeader } : {}),
      callId: getHeader(req, 'Call-ID') ?? '',
      cseq: cseq.ok ? cseq.value.seq : 0,
      flow,
      now,
    });
    if (!result.ok) {
      const r = result.error;
      this.reply(req, txId, r.status, { headers: [r.minExpires !== undefined ? ['Min-Expires', String(r.minExpires)] : warningHeader(r.reason)] });
      return;
    }
    const contactHeaders = result.value.bindings.map((b): [string, string] => [
      'Contact',
      `<${b.contact}>${formatParams({ ...b.params, expires: String(Math.max(0, Math.round((b.expiresAt - now) / 1000))) })}`,
    ]);
    this.reply(req, txId, 200, { headers: [...contactHeaders, ['Date', new Date(this.opts.clock.wallNow()).toUTCString()]] });
    for (const c of result.value.changes) {
      this.emit({
        type: 'registration',
        at: now,
        aor,
        contact: c.binding.contact,
        state: c.state,
        expires: c.expires,
        transport: c.binding.flow.transport,
        peer: formatAddress(c.binding.flow.remote),
      });
    }
    this.rearmExpiry();
  }

  private rearmExpiry(): void {
    if (this.stopped) return;
    const due = this.location.nextExpiry();
    if (due === this.expiryAt) return;
    this.opts.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAt = due;
    if (due === undefined) return;
    this.expiryTimer = this.opts.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.expiryAt = undefined;
      const now = this.now();
      for (const b of this.location.expire(now)) {
        this.emit({ type: 'registration', at: now, aor: b.aor, contact: b.contact, state: 'expired', expires: 0, transport: b.flow.transport, peer: formatAddress(b.flow.remote) });
      }
      this.guard.sweep(now);
      this.rearmExpiry();
    }, Math.max(0, due - this.now()));
  }

  // ---- provisioning, MRAS, QoE ---------------------------------------------------------------

  private onSubscribe(req: SipRequest, txId: string, flow: Flow): void {
    if (eventPackage(req) !== PROVISIONING_EVENT) {
      this.reply(req, txId, 489, { headers: [['Allow-Events', PROVISIONING_EVENT]] });
      return;
    }
    if (this.opts.authenticate?.subscribe && !this.authorized(req, txId)) return;
    const fromUser = this.localUser(getHeader(req, 'From'));
    const toUser = this.localUser(getHeader(req, 'To'));
    if (fromUser === undefined || toUser === undefined) {
      this.reply(req, txId, 404);
      return;
    }
    if (fromUser !== toUser) {
      this.reply(req, txId, 403, { reason: 'Provisioning is a self-subscription' });
      return;
    }
    const mrasUri = this.currentKnobs.noProvisioningMrasUri ? undefined : this.mrasUri;
    const p = this.opts.provisioning;
    const port = portFor(this.self, flow.transport);
    const answer = answerProvisioning(
      req,
      {
        ...(mrasUri !== undefined ? { mrasUri } : {}),
        ...(this.qosUri !== undefined ? { qosUri: this.qosUri } : {}),
        ...(p?.minAudioPort !== undefined ? { minAudioPort: p.minAudioPort } : {}),
        ...(p?.maxAudioPort !== undefined ? { maxAudioPort: p.maxAudioPort } : {}),
      },
      `<sip:${formatHostPort(this.self.host, port)};transport=${flow.transport}>`,
    );
    this.reply(req, txId, answer.status, { headers: answer.headers, body: answer.body });
    this.emit({
      type: 'provisioning',
      at: this.now(),
      aor: this.aorOf(fromUser),
      ...(answer.mrasUri !== undefined ? { mrasUri: answer.mrasUri } : {}),
      ...(answer.qosUri !== undefined ? { qosUri: answer.qosUri } : {}),
    });
  }

  private onMras(req: SipRequest, txId: string): void {
    const cfg = this.opts.mras;
    if (!cfg?.enabled) {
      this.reply(req, txId, 503, { reason: 'MRAS Service Disabled' });
      this.emit({ type: 'mras.refused', at: this.now(), status: 503, reason: 'MRAS is disabled in this lab' });
      return;
    }
    if (this.opts.authenticate?.service && req.method === 'SERVICE' && !this.authorized(req, txId)) return;
    const a = answerMrasService(req, cfg, {
      mrasUri: this.mrasUri!,
      wallNow: this.opts.clock.wallNow(),
      knobs: this.currentKnobs,
      knownIdentity: (identity) => this.knownIdentity(identity),
    });
    this.reply(req, txId, a.status, { headers: a.headers, body: a.body });
    const at = this.now();
    const o = a.outcome;
    if (o.kind === 'issued') {
      this.emit({ type: 'mras.issued', at, identity: o.identity, location: o.location, username: o.username, expiresAtUnix: o.expiresAtUnix, durationMinutes: o.durationMinutes, relays: o.relays });
    } else {
      this.emit({ type: 'mras.refused', at, status: a.status, ...(o.reasonPhrase !== undefined ? { reasonPhrase: o.reasonPhrase } : {}), reason: o.reason });
    }
  }

  /** PROTOCOLS.md §0 step 7: QoE reports arrive as SERVICE to the qosUri and are answered 202. */
  private onQos(req: SipRequest, txId: string, flow: Flow): void {
    if (req.method !== 'SERVICE') {
      this.reply(req, txId, 405, { headers: [['Allow', 'SERVICE']] });
      return;
    }
    const ct = (getHeader(req, 'Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (ct !== QOE_CONTENT_TYPE) {
      this.reply(req, txId, 415, { headers: [['Accept', QOE_CONTENT_TYPE]] });
      return;
    }
    this.reply(req, txId, 202);
    this.emit({ type: 'qoe.received', at: this.now(), from: formatAddress(flow.remote), bytes: toUtf8Bytes(req.body).length });
  }

  // ---- proxy (RFC 3261 §16) ------------------------------------------------------------------

  private reject(req: SipRequest, txId: string, status: number, reason: string): void {
    this.reply(req, txId, status);
    this.emit({ type: 'proxy.rejected', at: this.now(), method: req.method, callId: getHeader(req, 'Call-ID') ?? '', status, reason });
  }

  /** An out-of-dialog request to `user@ourdomain`: authenticate INVITEs (407), look up, forward. */
  private proxyToUser(req: SipRequest, txId: string, flow: Flow, user: string): void {
    if (!Object.prototype.hasOwnProperty.call(this.opts.users, user)) {
      this.reject(req, txId, 404, `no user ${user}`);
      return;
    }
    const initial = toTagOf(req) === undefined;
    let fwd = req;
    if (req.method === 'INVITE' && initial && this.opts.authenticate?.invite !== false) {
      const check = this.guard.check(req, 'Proxy-Authorization', this.now());
      if (check.kind !== 'ok') {
        this.challenge(req, txId, 407, check.stale, check.reason, check.user);
        return;
      }
      // RFC 3261 §22.3: credentials meant for us are not passed on.
      fwd = removeHeader(req, 'Proxy-Authorization');
    }
    const bindings = this.location.lookup(this.aorOf(user), this.now());
    const b = bindings[0];
    if (!b) {
      this.reject(req, txId, 480, `${user} is not registered`);
      return;
    }
    this.forward(fwd, txId, flow, { uri: b.contact, outFlow: b.flow, recordRoute: initial && DIALOG_CREATING.has(req.method) });
  }

  /** A request whose next hop is a URI (a Route that is not ours, or a Request-URI off our domain). */
  private forwardByUri(req: SipRequest, txId: string, flow: Flow): void {
    const hop = nextHopUri(req);
    const target = hop.ok ? uriTarget(hop.value) : hop;
    if (!target.ok) {
      this.reject(req, txId, hop.ok ? 502 : 400, target.error);
      return;
    }
    const outFlow: Flow = { transport: target.value.transport, remote: target.value.address };
    const connId = this.transport.connectionIdFor(target.value.transport, target.value.address);
    this.forward(req, txId, flow, { outFlow: connId !== undefined ? { ...outFlow, connId } : outFlow, recordRoute: false });
  }

  private forward(req: SipRequest, serverTxId: string, inFlow: Flow, t: { uri?: string; outFlow: Flow; recordRoute: boolean }): void {
    if (portFor(this.self, t.outFlow.transport) === undefined) {
      this.reject(req, serverTxId, 503, `the lab serves no ${t.outFlow.transport.toUpperCase()} to forward on`);
      return;
    }
    const mf = decrementMaxForwards(req);
    if (!mf.ok) {
      this.reject(req, serverTxId, 483, 'Max-Forwards reached 0');
      return;
    }
    let fwd = mf.value;
    if (t.uri !== undefined) fwd = { ...fwd, uri: t.uri };
    if (t.recordRoute) {
      const rr = recordRouteEntries(this.self, inFlow.transport, t.outFlow.transport);
      for (const entry of [...rr].reverse()) fwd = prependHeader(fwd, 'Record-Route', entry);
    }
    fwd = prependHeader(fwd, 'Via', ourVia(this.self, t.outFlow.transport, `${BRANCH_MAGIC_COOKIE}${hex(this.opts.random.bytes(8))}`));
    const clientTxId = clientKey(fwd);
    if (clientTxId === undefined) {
      this.reject(req, serverTxId, 500, 'cannot key the forwarded request');
      return;
    }
    const callId = getHeader(req, 'Call-ID') ?? '';
    const p: Proxied = {
      serverTxId,
      clientTxId,
      method: req.method,
      callId,
      upstream: req,
      forwarded: fwd,
      outFlow: t.outFlow,
      gotProvisional: false,
      cancelPending: false,
      cancelSent: false,
      finalSent: false,
      guard: undefined,
    };
    this.byServer.set(serverTxId, p);
    this.byClient.set(clientTxId, p);
    this.flows.set(clientTxId, t.outFlow);
    if (req.method === 'INVITE') this.armGuard(p, TIMER_C_MS, () => this.onTimerC(p));
    this.emit({ type: 'proxy.forwarded', at: this.now(), method: req.method, callId, target: fwd.uri, transport: t.outFlow.transport });
    this.driver.sendRequest(fwd, t.outFlow.remote, t.outFlow.transport !== 'udp');
  }

  private onResponse(txId: string | undefined, res: SipResponse): void {
    if (txId === undefined) {
      this.forwardStrayResponse(res);
      return;
    }
    const p = this.byClient.get(txId);
    if (!p) return; // the answer to a CANCEL we sent: nothing to pass on (§16.10)
    if (res.status < 200) {
      p.gotProvisional = true;
      if (p.cancelPending) this.sendCancel(p);
    }
    // §16.7 step 5: 100 Trying is hop-by-hop and never forwarded.
    if (res.status === 100) return;
    const up = withoutTopVia(res);
    if (!up) return;
    // §16.7 step 6: a 503 from downstream goes up as 500, so the caller does not think we are the overloaded one.
    const out = res.status === 503 ? { ...up, status: 500, reason: 'Server Internal Error' } : up;
    if (res.status >= 200) {
      p.finalSent = true;
      this.clearGuard(p);
    }
    this.driver.respond(p.serverTxId, out);
  }

  private onTxFailed(txId: string, error: MediapathError): void {
    const p = this.byClient.get(txId);
    if (!p || p.finalSent) return;
    p.finalSent = true;
    this.clearGuard(p);
    const status = error.code === 'SIP_TIMEOUT' ? 408 : 503;
    this.driver.respond(p.serverTxId, responseFor(p.upstream, status, { toTag: hex(this.opts.random.bytes(6)) }));
    this.emit({ type: 'proxy.rejected', at: this.now(), method: p.method, callId: p.callId, status, reason: error.message });
  }

  private onTxTerminated(txId: string): void {
    this.flows.delete(txId);
    const c = this.byClient.get(txId);
    if (c) {
      this.byClient.delete(txId);
      if (!this.byServer.has(c.serverTxId)) this.clearGuard(c);
    }
    const s = this.byServer.get(txId);
    if (s) {
      this.byServer.delete(txId);
      if (!this.byClient.has(s.clientTxId)) this.clearGuard(s);
    }
  }

  /** §16.10: answer the CANCEL ourselves, and cancel downstream once a provisional came back. */
  private onCancel(req: SipRequest, txId: string, inviteTxId: string | undefined): void {
    if (inviteTxId === undefined) {
      this.reply(req, txId, 481);
      return;
    }
    this.reply(req, txId, 200);
    const p = this.byServer.get(inviteTxId);
    if (!p || p.finalSent) return;
    // §9.1: a CANCEL must not go out before a provisional response arrived for the INVITE.
    if (p.gotProvisional) this.sendCancel(p);
    else p.cancelPending = true;
  }

  private sendCancel(p: Proxied): void {
    if (p.cancelSent || this.stopped) return;
    p.cancelSent = true;
    p.cancelPending = false;
    const f = p.forwarded;
    const cseq = parseCSeq(getHeader(f, 'CSeq') ?? '');
    // §9.1: same Request-URI, Call-ID, From, To, CSeq number and the single Via of the INVITE.
    const cancel = sipRequest('CANCEL', f.uri, [
      ['Via', getHeader(f, 'Via') ?? ''],
      ['Max-Forwards', '70'],
      ['From', getHeader(f, 'From') ?? ''],
      ['To', getHeader(f, 'To') ?? ''],
      ['Call-ID', getHeader(f, 'Call-ID') ?? ''],
      ['CSeq', `${cseq.ok ? cseq.value.seq : 1} CANCEL`],
      ...getHeaders(f, 'Route').map((r): [string, string] => ['Route', r]),
    ]);
    const id = clientKey(cancel);
    if (id !== undefined) this.flows.set(id, p.outFlow);
    this.driver.sendRequest(cancel, p.outFlow.remote, p.outFlow.transport !== 'udp');
    // A callee that never answers the INVITE after CANCEL: give up after 64·T1 and answer 487 ourselves.
    const t1 = (this.opts.timers ?? DEFAULT_SIP_TIMERS).t1;
    this.armGuard(p, 64 * t1, () => this.abandon(p, 487, 'no final response after CANCEL'));
  }

  /** Timer C fired: the callee rang too long. Cancel it and answer 408 upstream (§16.8). */
  private onTimerC(p: Proxied): void {
    if (p.finalSent) return;
    if (p.gotProvisional) {
      this.sendCancel(p);
      this.abandonUpstream(p, 408, 'Timer C');
    } else {
      this.abandon(p, 408, 'Timer C without any provisional response');
    }
  }

  private abandonUpstream(p: Proxied, status: number, reason: string): void {
    if (p.finalSent) return;
    p.finalSent = true;
    this.driver.respond(p.serverTxId, responseFor(p.upstream, status, { toTag: hex(this.opts.random.bytes(6)) }));
    this.emit({ type: 'proxy.rejected', at: this.now(), method: p.method, callId: p.callId, status, reason });
  }

  /** Answers upstream and ends the downstream client transaction, which would otherwise wait forever. */
  private abandon(p: Proxied, status: number, reason: string): void {
    this.abandonUpstream(p, status, reason);
    this.driver.onTransportError(p.clientTxId, new MediapathError('SIP_TIMEOUT', reason, { layer: 'lab', peer: p.outFlow.remote }));
  }

  private armGuard(p: Proxied, ms: number, fire: () => void): void {
    this.clearGuard(p);
    const h = this.opts.clock.setTimeout(() => {
      this.guards.delete(h);
      if (p.guard === h) p.guard = undefined;
      if (!this.stopped) fire();
    }, ms);
    p.guard = h;
    this.guards.add(h);
  }

  private clearGuard(p: Proxied): void {
    if (!p.guard) return;
    this.opts.clock.clearTimeout(p.guard);
    this.guards.delete(p.guard);
    p.guard = undefined;
  }

  /** §16.11: an ACK for a 2xx is its own transaction-less request; route it and pass it on. */
  private forwardAck(req: SipRequest): void {
    const routed = popSelfRoutes(req, this.self);
    let outFlow: Flow | undefined;
    if (getHeader(routed, 'Route') === undefined) {
      const contact = this.location.byContact(routed.uri, this.now());
      if (contact) outFlow = contact.flow;
      else {
        const u = parseSipUri(routed.uri);
        if (!u.ok || isSelfUri(u.value, this.self)) return; // an ACK to us whose transaction is gone
      }
    }
    if (!outFlow) {
      const hop = nextHopUri(routed);
      const target = hop.ok ? uriTarget(hop.value) : hop;
      if (!target.ok) return;
      const connId = this.transport.connectionIdFor(target.value.transport, target.value.address);
      outFlow = { transport: target.value.transport, remote: target.value.address, ...(connId !== undefined ? { connId } : {}) };
    }
    if (portFor(this.self, outFlow.transport) === undefined) return;
    const mf = decrementMaxForwards(routed);
    if (!mf.ok) return;
    const fwd = prependHeader(mf.value, 'Via', ourVia(this.self, outFlow.transport, statelessBranch(req)));
    this.wire(outFlow, fwd).catch((e: unknown) => this.log.debug({ err: String(e) }, 'ACK forward failed'));
  }

  /** A 2xx retransmission after its client transaction ended (§16.7, RFC 6026): by the Via, statelessly. */
  private forwardStrayResponse(res: SipResponse): void {
    const top = parseVia(getHeader(res, 'Via') ?? '');
    if (!top.ok || !isOwnVia(top.value, this.self)) return;
    const up = withoutTopVia(res);
    if (!up) return;
    const next = parseVia(getHeader(up, 'Via') ?? '');
    const target = next.ok ? viaReturnTarget(next.value) : undefined;
    if (!target) return;
    const connId = this.transport.connectionIdFor(target.transport, target.address);
    this.wire({ transport: target.transport, remote: target.address, ...(connId !== undefined ? { connId } : {}) }, up).catch(() => undefined);
  }
}

/**
 * Starts the lab registrar on `opts.net`. Rejects with NET_BIND_FAILED when a listener cannot
 * be bound (nothing is left open then).
 */
export async function startLabRegistrar(opts: LabRegistrarOptions): Promise<LabRegistrar> {
  const r = new LabRegistrarImpl(opts);
  try {
    await r.start();
  } catch (e) {
    await r.stop();
    throw e;
  }
  return r;
}
