import { createHash } from 'node:crypto';
import { formatAddress, type TransportAddress } from '../../main/common/address';
import type { Clock } from '../../main/common/clock';
import { CryptoRandom, type RandomSource } from '../../main/common/random';
import type { Net, StreamServer } from '../../main/net/types';
import { type DigestAlgorithm, formatDigestChallenge, parseDigestAuthorization, verifyDigestAuthorization } from '../../main/sip/digest';
import { parseContact, parseNameAddr, parseVia } from '../../main/sip/header-values';
import { getHeader, getHeaders, type SipMessage, type SipRequest, type SipResponse, prependHeader, removeHeader, withHeader } from '../../main/sip/message';
import { formatHostPort, parseSipUri } from '../../main/sip/uri';
import { openSipTransport, type SipTransport, type SipTransportEvent, type SipTransportKind } from '../../main/sip/transport';
import { resolveSipUri, responseTo, sameContact } from '../../main/sip/ua';

/**
 * A tiny registrar and stateless proxy for tests (not the lab's): digest on REGISTER (and on
 * other methods when asked), bindings keyed by AOR that remember the flow the REGISTER came on,
 * and forwarding of INVITE/ACK/BYE/CANCEL/… between registered contacts with Record-Route. One
 * transport per instance. Runs on any Net (real sockets or the virtual network).
 */
export interface TestRegistrarOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly kind: SipTransportKind;
  /** UDP bind / TCP listen address. */
  readonly local: { readonly ip: string; readonly port?: number };
  /** TLS listener (see tls-server.ts). */
  readonly server?: StreamServer;
  readonly realm?: string;
  /** user → password */
  readonly users: Readonly<Record<string, string>>;
  readonly algorithm?: DigestAlgorithm;
  /** Methods answered 401/407 until they carry good credentials (REGISTER always is). INVITE gets 407. */
  readonly challenge?: readonly string[];
  readonly recordRoute?: boolean;
  /** Answers requests addressed to the server itself (SUBSCRIBE, SERVICE…); undefined falls through. */
  readonly onRequest?: (req: SipRequest, from: TransportAddress) => SipResponse | undefined;
  /** Drops requests (to simulate a dead server) while it returns true. */
  readonly drop?: (req: SipRequest) => boolean;
  readonly random?: RandomSource;
  /** Caps the granted Expires. */
  readonly maxExpires?: number;
  readonly minExpires?: number;
}

interface Binding {
  readonly contact: string;
  readonly flow: TransportAddress;
  readonly expiresAt: number;
}

export class TestSipRegistrar {
  readonly realm: string;
  /** Every request that arrived (after received/rport), for assertions. */
  readonly requests: SipRequest[] = [];
  readonly wire: SipTransportEvent[] = [];
  private readonly bindings = new Map<string, Binding[]>();
  private readonly nonces = new Map<string, number>();
  private readonly answered = new Map<string, SipResponse>();
  private readonly random: RandomSource;

  private constructor(
    private readonly opts: TestRegistrarOptions,
    readonly transport: SipTransport,
    readonly address: TransportAddress,
  ) {
    this.realm = opts.realm ?? 'lab.test';
    this.random = opts.random ?? new CryptoRandom();
    transport.onEvent((e) => this.wire.push(e));
    transport.onMessage((m, from) => this.onMessage(m, from));
  }

  static async start(opts: TestRegistrarOptions): Promise<TestSipRegistrar> {
    const t = await openSipTransport({ net: opts.net, clock: opts.clock, kind: opts.kind, local: opts.local, ...(opts.server ? { server: opts.server } : {}) });
    const local = t.local ?? opts.server?.local;
    if (!local) throw new Error('registrar has no local address');
    return new TestSipRegistrar(opts, t, { ip: local.ip === '0.0.0.0' ? '127.0.0.1' : local.ip, port: local.port });
  }

  /** The registered contacts of `user` (AOR user part). */
  contactsOf(user: string): string[] {
    return this.live(user).map((b) => b.contact);
  }

  flowOf(user: string): TransportAddress | undefined {
    return this.live(user)[0]?.flow;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private get uri(): string {
    return `sip:${formatHostPort(this.address.ip, this.address.port)};transport=${this.opts.kind};lr`;
  }

  private live(user: string): Binding[] {
    const now = this.opts.clock.now();
    const list = (this.bindings.get(user) ?? []).filter((b) => b.expiresAt > now);
    this.bindings.set(user, list);
    return list;
  }

  private onMessage(m: SipMessage, from: TransportAddress): void {
    if (m.kind === 'response') {
      this.forwardResponse(m);
      return;
    }
    if (this.opts.drop?.(m)) return;
    this.requests.push(m);
    const key = `${getHeader(m, 'Call-ID')}|${getHeader(m, 'CSeq')}|${parseVia(getHeader(m, 'Via') ?? '').ok ? getHeader(m, 'Via') : ''}`;
    const cached = this.answered.get(key);
    if (cached) {
      this.reply(cached, from);
      return;
    }
    const res = this.handle(m, from);
    if (res) {
      if (this.answered.size > 512) this.answered.clear();
      if (m.method !== 'ACK') this.answered.set(key, res);
      this.reply(res, from);
    }
  }

  private reply(res: SipResponse, to: TransportAddress): void {
    const v = parseVia(getHeader(res, 'Via') ?? '');
    const dest = this.opts.kind === 'udp' && v.ok && typeof v.value.rport === 'number' ? { ip: v.value.received ?? to.ip, port: v.value.rport } : to;
    void this.transport.send(res, dest);
  }

  /** Our answer, or undefined when the request was forwarded (or is an ACK). */
  private handle(req: SipRequest, from: TransportAddress): SipResponse | undefined {
    const mf = Number(getHeader(req, 'Max-Forwards') ?? '70');
    if (mf <= 0 && req.method !== 'ACK') return responseTo(req, 483, { toTag: 'reg', reason: 'Too Many Hops' });
    let msg = req;
    const route = getHeader(msg, 'Route');
    if (route !== undefined && this.isOurs(route)) {
      const rest = getHeaders(msg, 'Route').slice(1);
      msg = rest.length ? withHeader(msg, 'Route', ...rest) : removeHeader(msg, 'Route');
    }
    const inDialog = /;\s*tag=/i.test(getHeader(msg, 'To') ?? '');
    const challenged = !inDialog && (msg.method === 'REGISTER' || (this.opts.challenge ?? []).includes(msg.method));
    if (challenged) {
      const denied = this.authenticate(msg);
      if (denied) return denied;
    }
    if (msg.method === 'REGISTER') return this.register(msg, from);
    if (getHeader(msg, 'Route') !== undefined) return this.forward(msg);
    const ruri = parseSipUri(msg.uri);
    if (!ruri.ok) return responseTo(msg, 416, { toTag: 'reg', reason: 'Unsupported URI Scheme' });
    const toServer = ruri.value.user === undefined || this.isOurs(`<${msg.uri}>`);
    if (toServer || (!inDialog && msg.method !== 'INVITE' && msg.method !== 'ACK' && msg.method !== 'CANCEL' && msg.method !== 'BYE' && this.opts.onRequest)) {
      const answer = this.opts.onRequest?.(msg, from);
      if (answer) return answer;
      if (toServer) return msg.method === 'ACK' ? undefined : responseTo(msg, msg.method === 'OPTIONS' ? 200 : 405, { toTag: 'reg' });
    }
    // A request for one of our users (AOR) goes to their binding; anything else to its Request-URI.
    if (ruri.value.host.toLowerCase() === this.realm && ruri.value.user !== undefined) {
      const user = ruri.value.user;
      const b = this.live(user)[0];
      if (!b) return msg.method === 'ACK' ? undefined : responseTo(msg, this.opts.users[user] !== undefined ? 480 : 404, { toTag: 'reg' });
      return this.forward(withRequestUri(msg, b.contact), b.flow);
    }
    return this.forward(msg);
  }

  private authenticate(req: SipRequest): SipResponse | undefined {
    const proxy = req.method !== 'REGISTER';
    const header = getHeader(req, proxy ? 'Proxy-Authorization' : 'Authorization');
    if (header !== undefined) {
      const a = parseDigestAuthorization(header);
      if (a.ok) {
        const password = this.opts.users[a.value.username];
        const last = this.nonces.get(a.value.nonce);
        const nc = a.value.nc ?? 0;
        if (password !== undefined && last !== undefined && nc > last) {
          const v = verifyDigestAuthorization(a.value, { method: req.method, realm: this.realm, password, username: a.value.username, requestUri: req.uri });
          if (v.ok) {
            this.nonces.set(a.value.nonce, nc);
            return undefined;
          }
        }
      }
    }
    const nonce = Array.from(this.random.bytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
    this.nonces.set(nonce, 0);
    const challenge = formatDigestChallenge({ realm: this.realm, nonce, algorithm: this.opts.algorithm ?? 'MD5', qop: ['auth'] });
    return responseTo(req, proxy ? 407 : 401, { toTag: 'reg', headers: [[proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', challenge]] });
  }

  private register(req: SipRequest, from: TransportAddress): SipResponse {
    const to = parseNameAddr(getHeader(req, 'To') ?? '');
    const aor = to.ok ? parseSipUri(to.value.uri) : undefined;
    const user = aor?.ok ? aor.value.user : undefined;
    if (!user || this.opts.users[user] === undefined) return responseTo(req, 404, { toTag: 'reg' });
    const headerExpires = Number(getHeader(req, 'Expires') ?? '3600');
    const now = this.opts.clock.now();
    let list = this.live(user);
    for (const value of getHeaders(req, 'Contact')) {
      const c = parseContact(value);
      if (!c.ok) return responseTo(req, 400, { toTag: 'reg' });
      if (c.value === '*') {
        list = [];
        continue;
      }
      const asked = c.value.params['expires'] !== undefined && c.value.params['expires'] !== null ? Number(c.value.params['expires']) : headerExpires;
      const contact = c.value.uri;
      list = list.filter((b) => !sameContact(b.contact, contact));
      if (asked > 0) {
        if (this.opts.minExpires && asked < this.opts.minExpires) {
          return responseTo(req, 423, { toTag: 'reg', headers: [['Min-Expires', String(this.opts.minExpires)]] });
        }
        const granted = Math.min(asked, this.opts.maxExpires ?? asked);
        list.push({ contact, flow: from, expiresAt: now + granted * 1000 });
      }
    }
    this.bindings.set(user, list);
    return responseTo(req, 200, {
      toTag: 'reg',
      headers: list.map((b): [string, string] => ['Contact', `<${b.contact}>;expires=${Math.round((b.expiresAt - now) / 1000)}`]),
    });
  }

  /** Stateless forwarding (RFC 3261 §16.11): our Via with a branch derived from theirs, Record-Route on dialog-creating INVITEs. */
  private forward(req: SipRequest, flow?: TransportAddress): undefined {
    const top = getHeader(req, 'Via') ?? '';
    const branch = `z9hG4bK${createHash('sha1').update(parseVia(top).ok ? (parseVia(top) as { value: { branch?: string } }).value.branch ?? top : top).digest('hex').slice(0, 20)}`;
    let out = prependHeader(req, 'Via', `SIP/2.0/${this.opts.kind.toUpperCase()} ${formatHostPort(this.address.ip, this.address.port)};branch=${branch}`);
    out = withHeader(out, 'Max-Forwards', String(Number(getHeader(req, 'Max-Forwards') ?? '70') - 1));
    const initial = !/;\s*tag=/i.test(getHeader(req, 'To') ?? '');
    if (req.method === 'INVITE' && initial && this.opts.recordRoute !== false) out = prependHeader(out, 'Record-Route', `<${this.uri}>`);
    void this.destination(out, flow).then((dest) => (dest ? this.transport.send(out, dest) : undefined));
    return undefined;
  }

  private async destination(req: SipRequest, flow?: TransportAddress): Promise<TransportAddress | undefined> {
    if (flow) return flow;
    const route = getHeader(req, 'Route');
    const uri = route !== undefined ? (parseNameAddr(route).ok ? (parseNameAddr(route) as { value: { uri: string } }).value.uri : req.uri) : req.uri;
    // A contact one of our users registered: use the flow it registered on (NAT, TCP).
    for (const list of this.bindings.values()) for (const b of list) if (sameContact(b.contact, uri)) return b.flow;
    try {
      return await resolveSipUri(this.opts.net, uri, this.opts.kind);
    } catch {
      return undefined;
    }
  }

  private forwardResponse(res: SipResponse): void {
    const vias = getHeaders(res, 'Via');
    if (vias.length < 2 || !this.isOurVia(vias[0]!)) return;
    const next = parseVia(vias[1]!);
    if (!next.ok) return;
    const v = next.value;
    const out = withHeader(res, 'Via', ...vias.slice(1));
    const dest = { ip: v.received ?? v.host, port: typeof v.rport === 'number' ? v.rport : (v.port ?? 5060) };
    void this.transport.send(out, dest);
  }

  private isOurVia(value: string): boolean {
    const v = parseVia(value);
    return v.ok && v.value.host === this.address.ip && (v.value.port ?? 5060) === this.address.port;
  }

  private isOurs(nameAddr: string): boolean {
    const n = parseNameAddr(nameAddr);
    const u = n.ok ? parseSipUri(n.value.uri) : undefined;
    if (!u?.ok) return false;
    const host = u.value.host.toLowerCase();
    return (host === this.address.ip && (u.value.port ?? 5060) === this.address.port) || (host === this.realm && u.value.user === undefined);
  }

  /** For logs. */
  toString(): string {
    return `TestSipRegistrar(${this.opts.kind} ${formatAddress(this.address)})`;
  }
}

function withRequestUri(req: SipRequest, uri: string): SipRequest {
  return { ...req, uri };
}
