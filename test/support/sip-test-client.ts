import type { TransportAddress } from '../../main/common/address';
import { formatAddress } from '../../main/common/address';
import { MediapathError } from '../../main/common/errors';
import { CryptoRandom, type RandomSource } from '../../main/common/random';
import type { DatagramSocket, Net, StreamSocket } from '../../main/net/types';
import { toUtf8Bytes, utf8 } from '../../main/sip/bytes';
import { SipStreamDeframer } from '../../main/sip/deframer';
import { DigestSession } from '../../main/sip/digest-session';
import { BRANCH_MAGIC_COOKIE, formatVia, parseNameAddr, parseVia } from '../../main/sip/header-values';
import { getHeader, getHeaders, type SipMessage, type SipRequest, type SipResponse, sipRequest, sipResponse } from '../../main/sip/message';
import { parseSipMessage } from '../../main/sip/parse';
import { serializeSipMessage } from '../../main/sip/serialize';

/**
 * A deliberately small SIP endpoint for tests of the lab registrar: the main/sip codec over one
 * UDP socket or one TCP connection on any Net, digest answered with DigestSession, responses
 * matched by branch, incoming requests queued (retransmissions dropped). No transaction layer,
 * no retransmission: on loopback and on a loss-free virtual network nothing is lost.
 */
export interface TestSipClientOptions {
  readonly net: Net;
  readonly transport: 'udp' | 'tcp';
  readonly localIp: string;
  /** The registrar (outbound proxy) address for `transport`. */
  readonly server: TransportAddress;
  readonly user: string;
  readonly password: string;
  readonly domain: string;
  readonly random?: RandomSource;
}

export interface Exchange {
  readonly request: SipRequest;
  readonly final: SipResponse;
  readonly provisionals: SipResponse[];
}

/** What a dialog needs to send in-dialog requests (RFC 3261 §12). */
export interface Dialog {
  readonly callId: string;
  readonly localUri: string;
  readonly localTag: string;
  readonly remoteUri: string;
  readonly remoteTag: string;
  readonly remoteTarget: string;
  readonly routeSet: string[];
  localSeq: number;
}

interface Pending {
  readonly provisionals: SipResponse[];
  resolve(r: SipResponse): void;
  onProvisional?: (r: SipResponse) => void;
}

function tagOf(value: string | undefined): string {
  const na = parseNameAddr(value ?? '');
  const t = na.ok ? na.value.params['tag'] : undefined;
  return typeof t === 'string' ? t : '';
}

function uriOf(value: string | undefined): string {
  const na = parseNameAddr(value ?? '');
  return na.ok ? na.value.uri : '';
}

export class TestSipClient {
  readonly aor: string;
  readonly digest: DigestSession;
  /** Every message this client sent or received, as text (for asserting what went over the wire). */
  readonly wireLog: Array<{ dir: 'in' | 'out'; text: string }> = [];
  private readonly random: RandomSource;
  private readonly pending = new Map<string, Pending>();
  private readonly inbox: SipRequest[] = [];
  private readonly waiters: Array<{ method?: string; resolve(r: SipRequest): void }> = [];
  private readonly seen = new Set<string>();
  private udp: DatagramSocket | undefined;
  private tcp: StreamSocket | undefined;
  private cseq = 1;
  local!: TransportAddress;

  private constructor(private readonly opts: TestSipClientOptions) {
    this.aor = `sip:${opts.user}@${opts.domain}`;
    this.random = opts.random ?? new CryptoRandom();
    this.digest = new DigestSession({ username: opts.user, password: opts.password }, this.random);
  }

  static async open(opts: TestSipClientOptions): Promise<TestSipClient> {
    const c = new TestSipClient(opts);
    if (opts.transport === 'udp') {
      c.udp = await opts.net.bindUdp({ ip: opts.localIp, port: 0 });
      c.local = c.udp.local;
      c.udp.onMessage((bytes) => c.onBytes(bytes));
    } else {
      c.tcp = await opts.net.connectTcp(opts.server);
      c.local = c.tcp.local;
      const deframer = new SipStreamDeframer();
      c.tcp.onData((chunk) => {
        for (const item of deframer.push(chunk)) if (item.kind === 'message') c.onBytes(item.bytes);
      });
    }
    return c;
  }

  get contact(): string {
    return `sip:${this.opts.user}@${formatAddress(this.local)}${this.opts.transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  hex(n = 8): string {
    return Array.from(this.random.bytes(n), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  via(branch = `${BRANCH_MAGIC_COOKIE}${this.hex()}`): string {
    return formatVia({ transport: this.opts.transport.toUpperCase(), host: this.local.ip, port: this.local.port, branch, rport: true });
  }

  sendRaw(text: string): void {
    this.wireLog.push({ dir: 'out', text });
    const bytes = toUtf8Bytes(text);
    if (this.udp) this.udp.send(bytes, this.opts.server);
    else this.tcp!.write(bytes);
  }

  send(msg: SipMessage): void {
    this.sendRaw(serializeSipMessage(msg));
  }

  /**
   * Sends a request and waits for its final response; a 401/407 is answered once with digest
   * (a non-2xx INVITE answer is ACKed first, as its transaction would).
   */
  async request(
    method: string,
    uri: string,
    o: {
      headers?: Array<[string, string]>;
      body?: string;
      to?: string;
      callId?: string;
      fromTag?: string;
      auth?: boolean;
      onProvisional?: (r: SipResponse) => void;
      /** Sees every request as it is sent (the authenticated retry too). */
      onSend?: (r: SipRequest) => void;
    } = {},
  ): Promise<Exchange> {
    const callId = o.callId ?? `${this.hex()}@test`;
    const fromTag = o.fromTag ?? this.hex(4);
    const build = (): SipRequest =>
      sipRequest(
        method,
        uri,
        [
          ['Via', this.via()],
          ['Max-Forwards', '70'],
          ['From', `<${this.aor}>;tag=${fromTag}`],
          ['To', o.to ?? `<${this.aor}>`],
          ['Call-ID', callId],
          ['CSeq', `${this.cseq++} ${method}`],
          ['Contact', `<${this.contact}>`],
          ...(o.auth === false ? [] : this.digest.authorize(method, uri, o.body ?? '').map((h): [string, string] => [h.name, h.value])),
          ...(o.headers ?? []),
        ],
        o.body ?? '',
      );
    let req = build();
    o.onSend?.(req);
    let ex = await this.exchange(req, o.onProvisional);
    if ((ex.final.status === 401 || ex.final.status === 407) && o.auth !== false) {
      const ch = this.digest.onChallenge(ex.final.status, getHeaders(ex.final, ex.final.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate'));
      if (ch.ok) {
        req = build();
        o.onSend?.(req);
        ex = await this.exchange(req, o.onProvisional);
      }
    }
    return ex;
  }

  /** Sends `req` as is and waits for its final response. */
  exchange(req: SipRequest, onProvisional?: (r: SipResponse) => void): Promise<Exchange> {
    const key = this.keyOf(req);
    return new Promise<Exchange>((resolve) => {
      const provisionals: SipResponse[] = [];
      this.pending.set(key, {
        provisionals,
        ...(onProvisional ? { onProvisional } : {}),
        resolve: (final) => {
          if (req.method === 'INVITE' && final.status >= 300) this.send(this.ackForNon2xx(req, final));
          resolve({ request: req, final, provisionals });
        },
      });
      this.send(req);
    });
  }

  /** Sends raw text (possibly malformed) and waits for the final answer to branch/method. */
  exchangeRaw(text: string, branch: string, method: string): Promise<SipResponse> {
    return new Promise((resolve) => {
      this.pending.set(`${branch}|${method}`, { provisionals: [], resolve });
      this.sendRaw(text);
    });
  }

  /** The CANCEL for an INVITE we sent (RFC 3261 §9.1). */
  cancelFor(invite: SipRequest): SipRequest {
    return sipRequest('CANCEL', invite.uri, [
      ['Via', getHeader(invite, 'Via') ?? ''],
      ['Max-Forwards', '70'],
      ['From', getHeader(invite, 'From') ?? ''],
      ['To', getHeader(invite, 'To') ?? ''],
      ['Call-ID', getHeader(invite, 'Call-ID') ?? ''],
      ['CSeq', `${(getHeader(invite, 'CSeq') ?? '1').split(' ')[0]} CANCEL`],
      ...getHeaders(invite, 'Route').map((r): [string, string] => ['Route', r]),
    ]);
  }

  async register(expires = 3600): Promise<SipResponse> {
    const r = await this.request('REGISTER', `sip:${this.opts.domain}`, { headers: [['Expires', String(expires)]] });
    return r.final;
  }

  /** The next incoming request (of `method`, when given). */
  nextRequest(method?: string): Promise<SipRequest> {
    const i = this.inbox.findIndex((r) => method === undefined || r.method === method);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ ...(method !== undefined ? { method } : {}), resolve }));
  }

  /** Answers an incoming request; a 2xx to INVITE carries our Contact and the Record-Route (§12.1.1). */
  respond(req: SipRequest, status: number, reason: string, o: { toTag?: string; headers?: Array<[string, string]>; body?: string } = {}): SipResponse {
    const to = getHeader(req, 'To') ?? '';
    const toTag = tagOf(to) || o.toTag;
    const res = sipResponse(
      status,
      reason,
      [
        ...getHeaders(req, 'Via').map((v): [string, string] => ['Via', v]),
        ...(status >= 200 && status < 300 && req.method === 'INVITE' ? getHeaders(req, 'Record-Route').map((v): [string, string] => ['Record-Route', v]) : []),
        ['From', getHeader(req, 'From') ?? ''],
        ['To', status > 100 && toTag && !tagOf(to) ? `${to};tag=${toTag}` : to],
        ['Call-ID', getHeader(req, 'Call-ID') ?? ''],
        ['CSeq', getHeader(req, 'CSeq') ?? ''],
        ...(req.method === 'INVITE' && status > 100 && status < 300 ? ([['Contact', `<${this.contact}>`]] as Array<[string, string]>) : []),
        ...(o.headers ?? []),
      ],
      o.body ?? '',
    );
    this.send(res);
    return res;
  }

  /** The caller's dialog from its INVITE and the 2xx (route set = Record-Route reversed). */
  dialogAsCaller(invite: SipRequest, ok: SipResponse): Dialog {
    return {
      callId: getHeader(invite, 'Call-ID') ?? '',
      localUri: uriOf(getHeader(invite, 'From')),
      localTag: tagOf(getHeader(invite, 'From')),
      remoteUri: uriOf(getHeader(ok, 'To')),
      remoteTag: tagOf(getHeader(ok, 'To')),
      remoteTarget: uriOf(getHeader(ok, 'Contact')),
      routeSet: getHeaders(ok, 'Record-Route').reverse(),
      localSeq: Number((getHeader(invite, 'CSeq') ?? '1').split(' ')[0]),
    };
  }

  /** The callee's dialog from the INVITE it answered with `ok` (route set = Record-Route in order). */
  dialogAsCallee(invite: SipRequest, ok: SipResponse): Dialog {
    return {
      callId: getHeader(invite, 'Call-ID') ?? '',
      localUri: uriOf(getHeader(invite, 'To')),
      localTag: tagOf(getHeader(ok, 'To')),
      remoteUri: uriOf(getHeader(invite, 'From')),
      remoteTag: tagOf(getHeader(invite, 'From')),
      remoteTarget: uriOf(getHeader(invite, 'Contact')),
      routeSet: getHeaders(invite, 'Record-Route'),
      localSeq: 0,
    };
  }

  /** An in-dialog request; ACK reuses the INVITE's CSeq number (§13.2.2.4) and is only sent. */
  inDialog(d: Dialog, method: string, o: { body?: string; headers?: Array<[string, string]> } = {}): SipRequest {
    const seq = method === 'ACK' ? d.localSeq : ++d.localSeq;
    return sipRequest(
      method,
      d.remoteTarget,
      [
        ['Via', this.via()],
        ['Max-Forwards', '70'],
        ['From', `<${d.localUri}>;tag=${d.localTag}`],
        ['To', `<${d.remoteUri}>;tag=${d.remoteTag}`],
        ['Call-ID', d.callId],
        ['CSeq', `${seq} ${method}`],
        ...d.routeSet.map((r): [string, string] => ['Route', r]),
        ...(method === 'INVITE' ? ([['Contact', `<${this.contact}>`]] as Array<[string, string]>) : []),
        ...(o.headers ?? []),
      ],
      o.body ?? '',
    );
  }

  async close(): Promise<void> {
    await this.udp?.close();
    await this.tcp?.close();
  }

  private ackForNon2xx(invite: SipRequest, final: SipResponse): SipRequest {
    return sipRequest('ACK', invite.uri, [
      ['Via', getHeader(invite, 'Via') ?? ''],
      ['Max-Forwards', '70'],
      ['From', getHeader(invite, 'From') ?? ''],
      ['To', getHeader(final, 'To') ?? ''],
      ['Call-ID', getHeader(invite, 'Call-ID') ?? ''],
      ['CSeq', `${(getHeader(invite, 'CSeq') ?? '1').split(' ')[0]} ACK`],
    ]);
  }

  private keyOf(m: SipMessage): string {
    const via = parseVia(getHeader(m, 'Via') ?? '');
    const method = (getHeader(m, 'CSeq') ?? '').trim().split(/\s+/)[1] ?? '';
    return `${via.ok ? via.value.branch : ''}|${method}`;
  }

  private onBytes(bytes: Uint8Array): void {
    this.wireLog.push({ dir: 'in', text: utf8(bytes) });
    const parsed = parseSipMessage(bytes);
    if (!parsed.ok) throw new MediapathError('SIP_PARSE', `test client got an unparsable message: ${parsed.error.reason}`);
    const m = parsed.value;
    if (m.kind === 'response') {
      const key = this.keyOf(m);
      const p = this.pending.get(key);
      if (!p) return;
      if (m.status < 200) {
        p.provisionals.push(m);
        p.onProvisional?.(m);
        return;
      }
      this.pending.delete(key);
      p.resolve(m);
      return;
    }
    const dedupe = `${this.keyOf(m)}|${m.method}`;
    if (this.seen.has(dedupe)) return; // a retransmission
    this.seen.add(dedupe);
    const w = this.waiters.findIndex((x) => x.method === undefined || x.method === m.method);
    if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(m);
    else this.inbox.push(m);
  }
}
