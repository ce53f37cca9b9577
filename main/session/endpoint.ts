import type { TransportAddress } from '../common/address';
import type { Clock } from '../common/clock';
import { MediapathError, toErrorInfo } from '../common/errors';
import type { Disposable } from '../common/events';
import { StateMachine } from '../common/fsm';
import type { RandomSource } from '../common/random';
import { lyncIce2Profile, rfc8445Profile } from '../compat';
import type { CompatProfile } from '../compat/profile';
import { IceAgent, type IceStrategy } from '../ice/agent';
import type { RelayServerConfig, StunServerConfig } from '../ice/gather/gatherer';
import type { InterfaceFilter } from '../ice/gather/interfaces';
import type { CodecName } from '../media/codecs';
import type { JitterBufferConfig } from '../media/jitter-buffer';
import type { DelaySource, PacingScheduler } from '../media/stream';
import type { RetransmitConfig } from '../stun';
import { MrasClient } from '../mras/client';
import { buildProvisioningRequest, parseServerConfiguration, PROVISIONING_CONTENT_TYPE, PROVISIONING_EVENT } from '../mras/provisioning-xml';
import { MRAS_CONTENT_TYPE, type MediaRelay, type MrasLocation, type ServerConfiguration } from '../mras/types';
import type { Net, TlsOptions } from '../net/types';
import type { SipTimerConfig } from '../sip/transaction/timers';
import type { SipTransportKind } from '../sip/transport/types';
import { getHeader } from '../sip/message';
import { type ServerCall, SipUserAgent } from '../sip/ua';
import { relayKey, type MrasCredentialGrant } from '../mras/cache';
import { errorEntry, iceEntry, mrasEntry, phaseEntry, uaEntry, type Entry, type Sink } from './call-events';
import type { OfferDialect } from './sdp-bridge';

/**
 * One SIP account, the way a Lync client starts (PROTOCOLS.md §0 steps 1–3): REGISTER, the
 * provisioning self-SUBSCRIBE (ServerConfiguration: mrasUri, qosUri, audio ports), then relay
 * credentials from MRAS with `SERVICE <mrasUri>` (renewed before they run out, main/mras). Every
 * call it places or answers gathers with the relays MRAS returned (TURN REST credentials, UDP
 * first, then TCP); without a mrasUri it gathers host candidates only, and the Timeline says why
 * (the `no-mras-uri` rule). Every step is a Timeline entry; the phases `registration` and `mras`
 * are announced here, the call's three in call.ts.
 */

export interface EndpointAccount {
  readonly aor: string;
  readonly username?: string;
  readonly password?: string;
  readonly displayName?: string;
}

export interface EndpointIceOptions {
  readonly strategy: IceStrategy;
  /** Default by strategy: `lync` → MS-ICE2 (lync-ice2), `rfc8445` → RFC 8445. */
  readonly profile?: CompatProfile;
  readonly interfaces?: InterfaceFilter;
  /** ICE-TCP host candidates (RFC 6544). Default false. */
  readonly tcp?: boolean;
  readonly taMs?: number;
  readonly nominationDelayMs?: number;
  readonly consentIntervalMs?: number;
  readonly consentTimeoutMs?: number;
  readonly checkRetransmit?: Partial<RetransmitConfig>;
  readonly gatherRetransmit?: Partial<RetransmitConfig>;
  readonly connectTimeoutMs?: number;
  /** STUN servers besides the relays (a Lync client has none: it learns its reflexive address from the relay). */
  readonly stunServers?: readonly StunServerConfig[];
  /** Relays configured by hand, used when MRAS gives none. */
  readonly relays?: readonly RelayServerConfig[];
}

/**
 * The receivers' playout buffer: adaptive, starting 60 ms deep like a softphone's. This process
 * shares its machine; a stall of a few tens of milliseconds in our own scheduling must not count
 * as packets the network delivered late (main/lab/media-lab.ts keeps a 30 ms margin for the same
 * reason).
 */
export const DEFAULT_CALL_JITTER_BUFFER: JitterBufferConfig = { mode: 'adaptive', minDelayMs: 60, maxDelayMs: 400 };

export interface EndpointMediaOptions {
  readonly codec: CodecName;
  readonly ptimeMs?: number;
  /** RFC 3550 §6.2 report interval; also the stats interval. Default 1000 ms (a test tool reports often). */
  readonly rtcpIntervalMs: number;
  /** `probe` needs a clock shared by both ends (in-process lab calls); `rtt` otherwise. */
  readonly delaySource: DelaySource;
  readonly jitterBuffer?: JitterBufferConfig;
  /** Default: the process's scheduler for the clock. */
  readonly scheduler?: PacingScheduler;
}

export interface EndpointOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Where every entry goes (a Timeline's append). */
  readonly sink: Sink;
  readonly account: EndpointAccount;
  readonly registrar: { readonly address?: string; readonly host?: string; readonly port?: number };
  readonly transport: SipTransportKind;
  readonly tls?: TlsOptions;
  /** Where the SIP socket binds (default: the UA's choice). */
  readonly sipLocal?: { readonly ip: string; readonly port?: number };
  readonly sipTimers?: Partial<SipTimerConfig>;
  readonly keepAliveMs?: number;
  /** Seconds asked for in REGISTER. Default 3600. */
  readonly registerExpires?: number;
  readonly mras?: {
    readonly location?: MrasLocation;
    readonly timeoutMs?: number;
    readonly durationMinutes?: number;
    /** How the relay's TCP port is reached: plain TCP (the lab, coturn) or TLS (an Edge on 443). Default tcp. */
    readonly tcpProtocol?: 'tcp' | 'tls';
    readonly tls?: TlsOptions;
  };
  readonly dialect?: OfferDialect;
  readonly ice: EndpointIceOptions;
  readonly media?: Partial<EndpointMediaOptions>;
  readonly userAgent?: string;
}

export type EndpointState = 'idle' | 'registering' | 'provisioning' | 'credentials' | 'ready' | 'failed' | 'closing' | 'closed';

const TRANSITIONS: Readonly<Record<EndpointState, readonly EndpointState[]>> = {
  idle: ['registering', 'closing'],
  registering: ['provisioning', 'failed', 'closing'],
  provisioning: ['credentials', 'ready', 'closing'],
  credentials: ['ready', 'closing'],
  ready: ['closing'],
  failed: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** What start() learnt. */
export interface EndpointReady {
  readonly aor: string;
  readonly contact: string | undefined;
  readonly registeredForS: number;
  readonly serverConfiguration?: ServerConfiguration;
  readonly mrasUri?: string;
  /** The relays gathering will use (empty: host candidates only). */
  readonly relays: readonly RelayServerConfig[];
  /** Why there are no relays, when there are none. */
  readonly noRelayReason?: string;
}

export class Endpoint {
  readonly ua: SipUserAgent;
  readonly profile: CompatProfile;
  readonly dialect: OfferDialect;
  readonly media: EndpointMediaOptions;
  private readonly fsm: StateMachine<EndpointState>;
  private mras: MrasClient | undefined;
  private mrasUri: string | undefined;
  private serverConfig: ServerConfiguration | undefined;
  private resolvedRelays: readonly RelayServerConfig[] = [];
  /** Relay host → address, resolved once (MRAS lists the same relays on every renewal). */
  private readonly relayIps = new Map<string, string | undefined>();
  private readonly subs: Disposable[] = [];
  private readonly registrarLabel: string;

  constructor(readonly opts: EndpointOptions) {
    this.profile = opts.ice.profile ?? (opts.ice.strategy === 'lync' ? lyncIce2Profile : rfc8445Profile);
    this.dialect = opts.dialect ?? 'v19';
    this.media = { codec: 'PCMU', rtcpIntervalMs: 1000, delaySource: 'rtt', jitterBuffer: DEFAULT_CALL_JITTER_BUFFER, ...opts.media };
    const r = opts.registrar;
    this.registrarLabel = `${r.address ?? r.host ?? '?'}:${r.port ?? (opts.transport === 'tls' ? 5061 : 5060)}`;
    this.fsm = new StateMachine<EndpointState>(`endpoint ${opts.account.aor}`, 'idle', TRANSITIONS, () => opts.clock.now(), (t) =>
      this.emit({ type: 'endpoint.state', at: t.at, aor: opts.account.aor, from: t.from, to: t.to, reason: t.reason }), 'session');
    this.ua = new SipUserAgent({
      net: opts.net,
      clock: opts.clock,
      random: opts.random,
      transport: opts.transport,
      registrar: r,
      aor: opts.account.aor,
      ...(opts.account.username !== undefined ? { username: opts.account.username } : {}),
      ...(opts.account.password !== undefined ? { password: opts.account.password } : {}),
      ...(opts.account.displayName !== undefined ? { displayName: opts.account.displayName } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.sipTimers ? { timers: opts.sipTimers } : {}),
      ...(opts.sipLocal ? { local: opts.sipLocal } : {}),
      ...(opts.keepAliveMs !== undefined ? { keepAliveMs: opts.keepAliveMs } : {}),
      ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
      onEvent: (e) => this.emit(uaEntry(e, { registrar: this.registrarLabel, transport: opts.transport })),
    });
  }

  get state(): EndpointState {
    return this.fsm.state;
  }

  get aor(): string {
    return this.opts.account.aor;
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  get random(): RandomSource {
    return this.opts.random;
  }

  emit(e: Entry): void {
    this.opts.sink(e);
  }

  now(): number {
    return this.opts.clock.now();
  }

  /**
   * Registration (fails the endpoint: SIP_AUTH_FAILED, SIP_REJECTED, SIP_TIMEOUT…), then
   * provisioning and MRAS, whose failures leave the endpoint usable with host candidates only.
   */
  async start(): Promise<EndpointReady> {
    const { clock } = this.opts;
    this.fsm.transition('registering', 'start');
    this.emit(phaseEntry(clock.now(), 'registration', 'running', `REGISTER ${this.aor} at ${this.registrarLabel} over ${this.opts.transport.toUpperCase()}`));
    let registered;
    try {
      registered = await this.ua.register(this.opts.registerExpires ?? 3600);
    } catch (e) {
      const info = toErrorInfo(e);
      this.emit(phaseEntry(clock.now(), 'registration', 'failed', `${info.code}: ${info.message}`));
      if (this.fsm.canMove('failed')) this.fsm.transition('failed', info.code);
      throw e;
    }
    this.emit(phaseEntry(clock.now(), 'registration', 'done', `registered for ${registered.expires} s as ${registered.contact}`));
    this.fsm.transition('provisioning', 'registered');
    this.emit(phaseEntry(clock.now(), 'mras', 'running', 'provisioning SUBSCRIBE (ServerConfiguration)'));
    const config = await this.provision();
    this.serverConfig = config;
    const base = { aor: this.aor, contact: this.ua.contact, registeredForS: registered.expires, ...(config ? { serverConfiguration: config } : {}) };
    if (!config?.mrasUri) {
      const why = config ? 'provisioning carried no mrasUri (no Edge deployed)' : 'provisioning failed, so no mrasUri';
      this.resolvedRelays = this.opts.ice.relays ?? [];
      this.emit(phaseEntry(clock.now(), 'mras', 'skipped', `${why}: ${this.resolvedRelays.length ? 'relays configured by hand' : 'host candidates only'}`));
      this.fsm.transition('ready', why);
      return { ...base, relays: this.resolvedRelays, ...(this.resolvedRelays.length ? {} : { noRelayReason: why }) };
    }
    this.mrasUri = config.mrasUri;
    this.fsm.transition('credentials', `mrasUri ${config.mrasUri}`);
    const grant = await this.credentials(config.mrasUri);
    if (!grant) {
      this.resolvedRelays = this.opts.ice.relays ?? [];
      this.fsm.transition('ready', 'no MRAS credentials');
      return { ...base, mrasUri: config.mrasUri, relays: this.resolvedRelays, noRelayReason: 'MRAS gave no credentials' };
    }
    this.resolvedRelays = await this.relaysOf(grant);
    this.fsm.transition('ready', `${this.resolvedRelays.length} relay transport(s)`);
    return { ...base, mrasUri: config.mrasUri, relays: this.resolvedRelays };
  }

  private async provision(): Promise<ServerConfiguration | undefined> {
    const at = (): number => this.opts.clock.now();
    try {
      const res = await this.ua.subscribe({ event: PROVISIONING_EVENT, accept: PROVISIONING_CONTENT_TYPE, contentType: PROVISIONING_CONTENT_TYPE, body: buildProvisioningRequest() });
      const parsed = parseServerConfiguration(res.body);
      if (!parsed.ok) {
        this.emit({ type: 'provisioning', at: at(), ok: false, error: { code: parsed.error.code, message: parsed.error.reason } });
        return undefined;
      }
      const c = parsed.value;
      this.emit({
        type: 'provisioning',
        at: at(),
        ok: true,
        ...(c.mrasUri ? { mrasUri: c.mrasUri } : {}),
        ...(c.qosUri ? { qosUri: c.qosUri } : {}),
        ...(c.ucMinAudioPort !== undefined ? { minAudioPort: c.ucMinAudioPort } : {}),
        ...(c.ucMaxAudioPort !== undefined ? { maxAudioPort: c.ucMaxAudioPort } : {}),
        groups: [...c.groups],
      });
      return c;
    } catch (e) {
      this.emit(errorEntry('provisioning', at(), e, { ok: false }));
      return undefined;
    }
  }

  private async credentials(mrasUri: string): Promise<MrasCredentialGrant | undefined> {
    const { clock } = this.opts;
    const m = this.opts.mras ?? {};
    this.mras = new MrasClient({
      clock,
      mrasUri,
      identity: this.aor,
      location: m.location ?? 'internet',
      random: this.opts.random,
      ...(m.timeoutMs !== undefined ? { timeoutMs: m.timeoutMs } : {}),
      ...(m.durationMinutes !== undefined ? { durationMinutes: m.durationMinutes } : {}),
      onEvent: (e) => this.emit(mrasEntry(e, mrasUri)),
      request: async (xml) => {
        const res = await this.ua.service(mrasUri, MRAS_CONTENT_TYPE, xml);
        const ct = getHeader(res, 'Content-Type');
        return { status: res.status, reason: res.reason, body: res.body, ...(ct !== undefined ? { contentType: ct } : {}) };
      },
    });
    try {
      const grant = await this.mras.get();
      this.emit(phaseEntry(clock.now(), 'mras', 'done', `credentials for ${grant.relays.length} relay(s), valid ${grant.durationMinutes} min`));
      return grant;
    } catch (e) {
      const info = toErrorInfo(e);
      this.emit(phaseEntry(clock.now(), 'mras', 'failed', `${info.code}: ${info.message}`));
      return undefined;
    }
  }

  /** MRAS relays as gathering takes them: UDP port first, then the TCP port ([MS-AVEDGEA] order). */
  private async relaysOf(grant: MrasCredentialGrant): Promise<RelayServerConfig[]> {
    for (const relay of grant.relays) {
      const key = relayKey(relay);
      if (!this.relayIps.has(key)) this.relayIps.set(key, await this.relayIp(relay));
    }
    return this.relayConfigs(grant);
  }

  /** The grant's relays with their resolved addresses (a relay not resolved at start is left out). */
  private relayConfigs(grant: MrasCredentialGrant): RelayServerConfig[] {
    const credentials = { kind: 'rest' as const, username: grant.username, password: grant.password, expiresAt: Math.floor(grant.expiresAtWall / 1000) };
    const tcpProtocol = this.opts.mras?.tcpProtocol ?? 'tcp';
    const out: RelayServerConfig[] = [];
    for (const relay of grant.relays) {
      const ip = this.relayIps.get(relayKey(relay));
      if (!ip) continue;
      const at = (port: number): TransportAddress => ({ ip, port });
      if (relay.udpPort) out.push({ address: at(relay.udpPort), transports: ['udp'], credentials });
      if (relay.tcpPort) out.push({ address: at(relay.tcpPort), transports: [tcpProtocol], credentials, ...(this.opts.mras?.tls ? { tls: this.opts.mras.tls } : {}) });
    }
    return out;
  }

  private async relayIp(relay: MediaRelay): Promise<string | undefined> {
    if (relay.directIPAddress) return relay.directIPAddress;
    if (!relay.hostName) return undefined;
    try {
      return (await this.opts.net.resolve(relay.hostName))[0];
    } catch (e) {
      this.emit(errorEntry('relay.unresolved', this.opts.clock.now(), e, { host: relay.hostName }));
      return undefined;
    }
  }

  /**
   * The relays a call gathers with now: MRAS's, with the newest credentials (MrasClient renews them
   * at 80 % of their lifetime, so a long `answer` run keeps getting valid ones).
   */
  get relays(): readonly RelayServerConfig[] {
    const live = this.mras?.current();
    return live ? this.relayConfigs(live) : this.resolvedRelays;
  }

  /**
   * The live MRAS grant (username, password, relays, expiry), for a user who asks to see the
   * credential itself (the MRAS inspector's reveal). Never put on the Timeline: a saved run must
   * not carry a relay password.
   */
  get mrasGrant(): MrasCredentialGrant | undefined {
    return this.mras?.current();
  }

  /** Where end-of-call QoE reports go (provisioning's `qosUri`, PROTOCOLS.md §0 step 7); none: no report. */
  get qosUri(): string | undefined {
    return this.serverConfig?.qosUri;
  }

  /** An ICE agent for one call, its events on the Timeline. */
  createAgent(role: 'controlling' | 'controlled'): IceAgent {
    const i = this.opts.ice;
    return new IceAgent({
      net: this.opts.net,
      clock: this.opts.clock,
      random: this.opts.random,
      profile: this.profile,
      role,
      strategy: i.strategy,
      relays: this.relays,
      ...(i.stunServers ? { stunServers: i.stunServers } : {}),
      ...(i.interfaces ? { interfaces: i.interfaces } : {}),
      ...(i.tcp !== undefined ? { tcp: i.tcp } : {}),
      ...(i.taMs !== undefined ? { taMs: i.taMs } : {}),
      ...(i.nominationDelayMs !== undefined ? { nominationDelayMs: i.nominationDelayMs } : {}),
      ...(i.consentIntervalMs !== undefined ? { consentIntervalMs: i.consentIntervalMs } : {}),
      ...(i.consentTimeoutMs !== undefined ? { consentTimeoutMs: i.consentTimeoutMs } : {}),
      ...(i.checkRetransmit ? { checkRetransmit: i.checkRetransmit } : {}),
      ...(i.gatherRetransmit ? { gatherRetransmit: i.gatherRetransmit } : {}),
      ...(i.connectTimeoutMs !== undefined ? { connectTimeoutMs: i.connectTimeoutMs } : {}),
      onEvent: (e) => {
        const entry = iceEntry(e);
        if (entry) this.emit(entry);
      },
    });
  }

  /** New incoming calls (answer with `answerCall` from call-answer.ts). */
  onIncomingCall(cb: (call: ServerCall) => void): Disposable {
    const d = this.ua.onIncomingCall(cb);
    this.subs.push(d);
    return d;
  }

  /** Hangs up, un-REGISTERs, stops MRAS renewal, closes the transport. Never rejects. */
  async close(): Promise<void> {
    if (this.fsm.is('closing', 'closed')) return;
    this.fsm.transition('closing', 'close()');
    this.mras?.close();
    for (const s of this.subs) s.dispose();
    await this.ua.close().catch(() => undefined);
    this.fsm.transition('closed', 'closed');
  }

  /** For messages and errors: the account and where it registers. */
  describe(): string {
    return `${this.aor} via ${this.registrarLabel}/${this.opts.transport}`;
  }

  /** Throws unless start() succeeded. */
  assertReady(): void {
    if (!this.fsm.is('ready')) throw new MediapathError('INVALID_ARGUMENT', `endpoint ${this.aor} is ${this.fsm.state}, not ready`, { layer: 'session' });
  }
}
