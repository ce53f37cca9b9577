import type { TransportAddress } from '../common/address';
import { formatAddress, normalizeIp } from '../common/address';
import type { Clock, TimerHandle } from '../common/clock';
import { MediapathError, type ErrorCode } from '../common/errors';
import { TypedEmitter, type Disposable } from '../common/events';
import { StateMachine } from '../common/fsm';
import type { RandomSource } from '../common/random';
import type { DatagramSocket, Net } from '../net/types';
import {
  Attr,
  Method,
  Protocol,
  StunClient,
  addressAttribute,
  attrs,
  decodeStun,
  errorCodeAttribute,
  getAttribute,
  looksLikeStun,
  uint32Attribute,
  type RetransmitConfig,
  type StunResponse,
} from '../stun';
import { TurnAuth, type AuthStep } from './auth';
import { decodeChannelData, encodeChannelData, looksLikeChannelData, MIN_CHANNEL, MAX_CHANNEL } from './channel-data';
import type { TurnCredentials } from './credentials';
import { ServerConnection, type TurnServer } from './server-connection';

export type AllocationState = 'allocating' | 'allocated' | 'closing' | 'closed' | 'failed';

const allocationTransitions: Record<AllocationState, readonly AllocationState[]> = {
  allocating: ['allocated', 'failed', 'closed'],
  allocated: ['closing', 'failed'],
  closing: ['closed'],
  closed: [],
  failed: ['closed'],
};

export interface TurnClientOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly server: TurnServer;
  readonly credentials: TurnCredentials;
  /** Requested allocation lifetime (RFC 8656 §18.2); the server may grant less. */
  readonly lifetimeSeconds?: number;
  /** Refresh this long before the allocation expires (never later than half its lifetime). */
  readonly refreshBeforeExpirySeconds?: number;
  /** Permissions last 300 s (RFC 8656 §9): refresh before that. */
  readonly permissionRefreshSeconds?: number;
  /** Channel bindings last 600 s (RFC 8656 §12): refresh before that. */
  readonly channelRefreshSeconds?: number;
  readonly retransmit?: Partial<RetransmitConfig>;
  readonly connectTimeoutMs?: number;
  readonly localIp?: string;
  readonly software?: string;
  readonly random?: RandomSource;
  readonly observer?: (e: TurnEvent) => void;
}

export type TurnEvent =
  | { readonly type: 'state'; readonly from: AllocationState; readonly to: AllocationState; readonly reason: string; readonly at: number }
  | { readonly type: 'step'; readonly name: string; readonly ms: number; readonly outcome: string; readonly at: number }
  | { readonly type: 'refreshed'; readonly lifetime: number; readonly at: number }
  | { readonly type: 'permission'; readonly peer: string; readonly state: 'installed' | 'refreshed' | 'failed'; readonly at: number }
  | { readonly type: 'channel'; readonly peer: string; readonly channel: number; readonly state: 'bound' | 'refreshed' | 'failed'; readonly at: number };

export interface AllocationStep {
  readonly name: string;
  readonly ms: number;
  readonly outcome: string;
}

interface Permission {
  state: 'pending' | 'installed' | 'failed';
  promise: Promise<void>;
  timer: TimerHandle | undefined;
}

interface Channel {
  readonly number: number;
  readonly peer: TransportAddress;
  state: 'binding' | 'bound' | 'failed';
  timer: TimerHandle | undefined;
}

interface AllocationEvents {
  message: { bytes: Uint8Array; from: TransportAddress };
  error: MediapathError;
}

const MAX_QUEUED_PER_PEER = 64;

function peerKey(a: TransportAddress): string {
  return `${normalizeIp(a.ip)}|${a.port}`;
}

function toTurnError(e: unknown, server: TransportAddress, what: string): MediapathError {
  if (e instanceof MediapathError) {
    if (e.code === 'STUN_TIMEOUT') return new MediapathError('TURN_TIMEOUT', `TURN ${what}: ${e.message}`, { layer: 'turn', peer: server }, { cause: e });
    if (e.code === 'STUN_TRANSPORT_CLOSED') return new MediapathError('CLOSED', `TURN ${what}: ${e.message}`, { layer: 'turn', peer: server }, { cause: e });
    return e;
  }
  return new MediapathError('INTERNAL', `TURN ${what}: ${String(e)}`, { layer: 'turn', peer: server }, { cause: e });
}

/**
 * A TURN allocation (RFC 8656) that is also a DatagramSocket: `local` is the relayed address,
 * `send` reaches a peer through a channel when one is bound and a Send indication otherwise,
 * `onMessage` yields what peers sent. ICE treats it like any host socket.
 */
export class TurnAllocation implements DatagramSocket {
  private readonly events = new TypedEmitter<AllocationEvents>();
  private readonly fsm: StateMachine<AllocationState>;
  private readonly permissions = new Map<string, Permission>();
  private readonly channels = new Map<string, Channel>();
  private readonly channelsByNumber = new Map<number, Channel>();
  private readonly queued = new Map<string, Array<{ bytes: Uint8Array; to: TransportAddress }>>();
  private refreshTimer: TimerHandle | undefined;
  private nextChannel = MIN_CHANNEL;
  private relayed: TransportAddress = { ip: '0.0.0.0', port: 0 };
  private mapped: TransportAddress | undefined;
  private grantedLifetime = 0;
  private expiresAtMs = 0;
  readonly steps: AllocationStep[] = [];
  readonly counters = { sentIndications: 0, sentChannelData: 0, receivedData: 0, receivedChannelData: 0, dropped: 0, ignored: 0 };

  private constructor(
    private readonly opts: TurnClientOptions,
    private readonly conn: ServerConnection,
    private readonly stun: StunClient,
    private readonly auth: TurnAuth,
  ) {
    this.fsm = new StateMachine<AllocationState>('turn-allocation', 'allocating', allocationTransitions, () => opts.clock.now(), (t) => opts.observer?.({ type: 'state', ...t }), 'turn');
    conn.onPacket((bytes) => this.onPacket(bytes));
    conn.onClosed((e) => this.onTransportLost(e));
  }

  /** Connects to the server and allocates a UDP relay. Rejects with a coded MediapathError. */
  static async allocate(opts: TurnClientOptions): Promise<TurnAllocation> {
    const server = opts.server.address;
    const t0 = opts.clock.now();
    let conn: ServerConnection;
    try {
      conn = await ServerConnection.open(opts.net, opts.server, {
        ...(opts.localIp !== undefined ? { localIp: opts.localIp } : {}),
        ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      });
    } catch (e) {
      throw toTurnError(e, server, 'connect');
    }
    const stun = new StunClient({
      clock: opts.clock,
      reliable: conn.reliable,
      send: (bytes) => conn.send(bytes),
      ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
    const alloc = new TurnAllocation(opts, conn, stun, new TurnAuth(opts.credentials, stun, server));
    if (conn.reliable) alloc.recordStep({ name: 'connect', ms: opts.clock.now() - t0, outcome: 'connected' });
    try {
      await alloc.doAllocate();
    } catch (e) {
      const err = toTurnError(e, server, 'allocate');
      if (alloc.fsm.canMove('failed')) alloc.fsm.transition('failed', err.code);
      await alloc.teardown();
      throw err;
    }
    return alloc;
  }

  private recordStep(s: AuthStep): void {
    this.steps.push(s);
    this.opts.observer?.({ type: 'step', ...s, at: this.opts.clock.now() });
  }

  /** Exchanges after the allocation are reported to the observer but not kept in `steps`. */
  private observeStep(s: AuthStep): void {
    this.opts.observer?.({ type: 'step', ...s, at: this.opts.clock.now() });
  }

  private async doAllocate(): Promise<void> {
    const lifetime = this.opts.lifetimeSeconds ?? 600;
    const res = await this.auth.request(
      Method.Allocate,
      [attrs.requestedTransport(Protocol.UDP), attrs.lifetime(lifetime), ...(this.opts.software ? [attrs.software(this.opts.software)] : [])],
      'allocate',
      (s) => this.recordStep(s),
    );
    if (res.message.cls !== 'success') throw this.errorFrom(res, 'Allocate', 'TURN_ALLOCATION_FAILED');
    const relayed = addressAttribute(res.message, Attr.XOR_RELAYED_ADDRESS);
    if (!relayed) throw new MediapathError('TURN_BAD_RESPONSE', 'Allocate success without XOR-RELAYED-ADDRESS', { layer: 'turn', peer: this.opts.server.address });
    this.relayed = { ip: normalizeIp(relayed.ip), port: relayed.port };
    const mapped = addressAttribute(res.message, Attr.XOR_MAPPED_ADDRESS);
    this.mapped = mapped ? { ip: normalizeIp(mapped.ip), port: mapped.port } : undefined;
    this.applyLifetime(uint32Attribute(res.message, Attr.LIFETIME) ?? lifetime);
    this.fsm.transition('allocated', `relayed ${formatAddress(this.relayed)}`);
  }

  private errorFrom(res: StunResponse, what: string, code: ErrorCode): MediapathError {
    const ec = errorCodeAttribute(res.message);
    const server = this.opts.server.address;
    const c: ErrorCode = ec?.code === 437 ? 'TURN_ALLOCATION_MISMATCH' : code;
    return new MediapathError(c, `TURN ${what} refused by ${formatAddress(server)}: ${ec ? `${ec.code} ${ec.reason}` : 'error response without ERROR-CODE'}`, {
      layer: 'turn',
      peer: server,
      ...(ec ? { response: { code: ec.code, reason: ec.reason } } : {}),
    });
  }

  private applyLifetime(seconds: number): void {
    this.grantedLifetime = seconds;
    this.expiresAtMs = this.opts.clock.now() + seconds * 1000;
    this.opts.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (seconds <= 0) return;
    const before = this.opts.refreshBeforeExpirySeconds ?? 60;
    const inSeconds = Math.max(seconds / 2, seconds - before);
    this.refreshTimer = this.opts.clock.setTimeout(() => void this.refresh().catch((e: unknown) => this.emitError(toTurnError(e, this.opts.server.address, 'refresh'))), inSeconds * 1000);
  }

  private emitError(e: MediapathError): void {
    this.events.emit('error', e);
  }

  get local(): TransportAddress {
    return this.relayed;
  }

  /** Our address as the TURN server saw it (server-reflexive), when the server said. */
  get reflexive(): TransportAddress | undefined {
    return this.mapped;
  }

  /** The local end of the client↔server connection (the host candidate this relay is based on). */
  get base(): TransportAddress {
    return this.conn.local;
  }

  get server(): TurnServer {
    return this.opts.server;
  }

  get lifetime(): number {
    return this.grantedLifetime;
  }

  get expiresAt(): number {
    return this.expiresAtMs;
  }

  get state(): AllocationState {
    return this.fsm.state;
  }

  get closed(): boolean {
    return this.fsm.is('closed', 'closing', 'failed');
  }

  get realm(): string | undefined {
    return this.auth.currentRealm;
  }

  /** Refresh (RFC 8656 §8): extends the allocation; lifetime 0 deletes it. Returns the granted lifetime. */
  async refresh(lifetimeSeconds = this.opts.lifetimeSeconds ?? 600): Promise<number> {
    if (!this.fsm.is('allocated', 'closing')) throw new MediapathError('TURN_NOT_ALLOCATED', `cannot refresh a ${this.fsm.state} allocation`, { layer: 'turn' });
    const res = await this.auth.request(Method.Refresh, [attrs.lifetime(lifetimeSeconds)], 'refresh', (st) => this.observeStep(st));
    if (res.message.cls !== 'success') throw this.errorFrom(res, 'Refresh', 'TURN_REFRESH_FAILED');
    const granted = uint32Attribute(res.message, Attr.LIFETIME) ?? lifetimeSeconds;
    if (lifetimeSeconds > 0 && this.fsm.is('allocated')) {
      this.applyLifetime(granted);
      this.opts.observer?.({ type: 'refreshed', lifetime: granted, at: this.opts.clock.now() });
    }
    return granted;
  }

  /** CreatePermission (RFC 8656 §10) for the peers' IP addresses; kept fresh until close. */
  createPermission(peers: readonly TransportAddress[]): Promise<void> {
    return Promise.all(peers.map((p) => this.ensurePermission(p))).then(() => undefined);
  }

  private ensurePermission(peer: TransportAddress): Promise<void> {
    const ip = normalizeIp(peer.ip);
    const existing = this.permissions.get(ip);
    if (existing && existing.state !== 'failed') return existing.promise;
    const perm: Permission = { state: 'pending', promise: Promise.resolve(), timer: undefined };
    perm.promise = this.requestPermission(ip, perm, false);
    this.permissions.set(ip, perm);
    return perm.promise;
  }

  private async requestPermission(ip: string, perm: Permission, refreshing: boolean): Promise<void> {
    if (!this.fsm.is('allocated')) throw new MediapathError('TURN_NOT_ALLOCATED', `cannot create a permission on a ${this.fsm.state} allocation`, { layer: 'turn' });
    let res: StunResponse;
    try {
      res = await this.auth.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip, port: 0 })], 'create-permission', (st) => this.observeStep(st));
    } catch (e) {
      perm.state = 'failed';
      this.dropQueuedFor(ip);
      throw toTurnError(e, this.opts.server.address, `CreatePermission for ${ip}`);
    }
    if (res.message.cls !== 'success') {
      perm.state = 'failed';
      this.dropQueuedFor(ip);
      this.opts.observer?.({ type: 'permission', peer: ip, state: 'failed', at: this.opts.clock.now() });
      throw this.errorFrom(res, `CreatePermission for ${ip}`, 'TURN_PERMISSION_FAILED');
    }
    perm.state = 'installed';
    this.opts.observer?.({ type: 'permission', peer: ip, state: refreshing ? 'refreshed' : 'installed', at: this.opts.clock.now() });
    this.schedulePermissionRefresh(ip, perm);
    this.flushQueued(ip);
  }

  private schedulePermissionRefresh(ip: string, perm: Permission): void {
    this.opts.clock.clearTimeout(perm.timer);
    perm.timer = this.opts.clock.setTimeout(() => {
      if (!this.fsm.is('allocated')) return;
      perm.promise = this.requestPermission(ip, perm, true).catch((e: unknown) => this.emitError(toTurnError(e, this.opts.server.address, 'permission refresh')));
    }, (this.opts.permissionRefreshSeconds ?? 240) * 1000);
  }

  /** ChannelBind (RFC 8656 §12): data to and from this peer then travels as 4-byte-header ChannelData. */
  async bindChannel(peer: TransportAddress): Promise<number> {
    const key = peerKey(peer);
    const existing = this.channels.get(key);
    if (existing && existing.state === 'bound') return existing.number;
    if (this.nextChannel > MAX_CHANNEL) throw new MediapathError('TURN_CHANNEL_FAILED', 'no channel numbers left', { layer: 'turn' });
    const ch: Channel = existing ?? { number: this.nextChannel++, peer: { ip: normalizeIp(peer.ip), port: peer.port }, state: 'binding', timer: undefined };
    this.channels.set(key, ch);
    this.channelsByNumber.set(ch.number, ch);
    await this.requestChannel(ch, false);
    return ch.number;
  }

  private async requestChannel(ch: Channel, refreshing: boolean): Promise<void> {
    if (!this.fsm.is('allocated')) throw new MediapathError('TURN_NOT_ALLOCATED', `cannot bind a channel on a ${this.fsm.state} allocation`, { layer: 'turn' });
    let res: StunResponse;
    try {
      res = await this.auth.request(Method.ChannelBind, [attrs.channelNumber(ch.number), attrs.xorPeerAddress(ch.peer)], 'channel-bind', (st) => this.observeStep(st));
    } catch (e) {
      ch.state = 'failed';
      throw toTurnError(e, this.opts.server.address, `ChannelBind for ${formatAddress(ch.peer)}`);
    }
    if (res.message.cls !== 'success') {
      ch.state = 'failed';
      this.opts.observer?.({ type: 'channel', peer: formatAddress(ch.peer), channel: ch.number, state: 'failed', at: this.opts.clock.now() });
      throw this.errorFrom(res, `ChannelBind for ${formatAddress(ch.peer)}`, 'TURN_CHANNEL_FAILED');
    }
    ch.state = 'bound';
    // A channel binding also installs or refreshes the permission for the peer's IP (RFC 8656 §12.2).
    const ip = ch.peer.ip;
    const perm = this.permissions.get(ip) ?? { state: 'installed' as const, promise: Promise.resolve(), timer: undefined };
    perm.state = 'installed';
    this.permissions.set(ip, perm);
    this.schedulePermissionRefresh(ip, perm);
    this.flushQueued(ip);
    this.opts.observer?.({ type: 'channel', peer: formatAddress(ch.peer), channel: ch.number, state: refreshing ? 'refreshed' : 'bound', at: this.opts.clock.now() });
    this.opts.clock.clearTimeout(ch.timer);
    ch.timer = this.opts.clock.setTimeout(() => {
      if (!this.fsm.is('allocated')) return;
      void this.requestChannel(ch, true).catch((e: unknown) => this.emitError(toTurnError(e, this.opts.server.address, 'channel refresh')));
    }, (this.opts.channelRefreshSeconds ?? 540) * 1000);
  }

  send(bytes: Uint8Array, to: TransportAddress): void {
    if (!this.fsm.is('allocated')) {
      this.counters.dropped++;
      return;
    }
    const ch = this.channels.get(peerKey(to));
    if (ch?.state === 'bound') {
      this.counters.sentChannelData++;
      this.conn.send(encodeChannelData(ch.number, bytes, this.conn.reliable));
      return;
    }
    const ip = normalizeIp(to.ip);
    const perm = this.permissions.get(ip);
    if (perm?.state === 'installed') {
      this.sendIndication(bytes, to);
      return;
    }
    // No permission yet: ask for one and hold a few datagrams until it is installed, since the
    // server would silently drop them (RFC 8656 §10.3 / §11.3).
    const q = this.queued.get(ip) ?? [];
    if (q.length >= MAX_QUEUED_PER_PEER) {
      this.counters.dropped++;
      return;
    }
    q.push({ bytes, to });
    this.queued.set(ip, q);
    if (!perm || perm.state === 'failed') {
      this.ensurePermission(to).catch((e: unknown) => this.emitError(toTurnError(e, this.opts.server.address, 'permission')));
    }
  }

  private sendIndication(bytes: Uint8Array, to: TransportAddress): void {
    this.counters.sentIndications++;
    this.stun.indicate(Method.Send, [attrs.xorPeerAddress(to), attrs.data(bytes)], this.opts.server.address);
  }

  private flushQueued(ip: string): void {
    const q = this.queued.get(ip);
    if (!q) return;
    this.queued.delete(ip);
    for (const { bytes, to } of q) this.send(bytes, to);
  }

  private dropQueuedFor(ip: string): void {
    const q = this.queued.get(ip);
    if (q) this.counters.dropped += q.length;
    this.queued.delete(ip);
  }

  private onPacket(bytes: Uint8Array): void {
    if (looksLikeChannelData(bytes)) {
      const cd = decodeChannelData(bytes);
      const ch = cd ? this.channelsByNumber.get(cd.channel) : undefined;
      if (!cd || !ch) {
        this.counters.ignored++;
        return;
      }
      this.counters.receivedChannelData++;
      this.events.emit('message', { bytes: cd.data, from: ch.peer });
      return;
    }
    if (!looksLikeStun(bytes)) {
      this.counters.ignored++;
      return;
    }
    const r = decodeStun(bytes);
    if (!r.ok) {
      this.counters.ignored++;
      return;
    }
    if (this.stun.handle(r.value, this.opts.server.address)) return;
    if (r.value.method === Method.Data && r.value.cls === 'indication') {
      const peer = addressAttribute(r.value, Attr.XOR_PEER_ADDRESS);
      const data = getAttribute(r.value, Attr.DATA);
      if (peer && data) {
        this.counters.receivedData++;
        this.events.emit('message', { bytes: data.value, from: { ip: normalizeIp(peer.ip), port: peer.port } });
        return;
      }
    }
    this.counters.ignored++;
  }

  private onTransportLost(e: MediapathError | undefined): void {
    if (!this.fsm.is('allocated', 'allocating')) return;
    const err = new MediapathError('TURN_ALLOCATION_FAILED', `connection to the TURN server was lost: ${e?.message ?? 'closed'}`, { layer: 'turn', peer: this.opts.server.address }, { cause: e });
    this.fsm.transition('failed', 'transport lost');
    this.stun.close('connection to the TURN server lost');
    this.clearTimers();
    this.emitError(err);
  }

  onMessage(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('message', ({ bytes, from }) => cb(bytes, from));
  }

  onError(cb: (error: MediapathError) => void): Disposable {
    return this.events.on('error', cb);
  }

  private clearTimers(): void {
    this.opts.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const p of this.permissions.values()) this.opts.clock.clearTimeout(p.timer);
    for (const c of this.channels.values()) this.opts.clock.clearTimeout(c.timer);
  }

  private async teardown(): Promise<void> {
    this.clearTimers();
    this.stun.close('allocation closed');
    this.queued.clear();
    await this.conn.close();
    if (this.fsm.canMove('closed')) this.fsm.transition('closed', 'closed');
    this.events.removeAll();
  }

  /**
   * Deallocates (Refresh with LIFETIME 0, RFC 8656 §7.2) and closes the connection. Waits at most
   * `deallocateTimeoutMs` for the server's answer, so a dead server cannot hold a close.
   */
  async close(deallocateTimeoutMs = 2000): Promise<void> {
    if (this.fsm.is('allocated')) {
      this.fsm.transition('closing', 'close requested');
      this.clearTimers();
      let timer: TimerHandle | undefined;
      await Promise.race([
        this.refresh(0).catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = this.opts.clock.setTimeout(resolve, deallocateTimeoutMs);
        }),
      ]);
      this.opts.clock.clearTimeout(timer);
    }
    if (this.fsm.is('closed')) return;
    await this.teardown();
  }
}
