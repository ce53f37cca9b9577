import type { TransportAddress } from '../../common/address';
import { familyOf } from '../../common/address';
import { CryptoRandom, type RandomSource } from '../../common/random';
import {
  Attr,
  Method,
  Protocol,
  attrs,
  checkFingerprint,
  checkIntegrity,
  decodeStun,
  encodeStun,
  getAttribute,
  looksLikeStun,
  textAttribute,
  transactionKey,
  uint32Attribute,
  type StunMessage,
} from '../../stun';
import { decodeChannelData, encodeChannelData, isChannelNumber, looksLikeChannelData } from '../../turn';
import { canonicalAddress, canonicalIp, xorAddresses } from './addresses';
import { ServerAllocation } from './allocation';
import { CredentialStore } from './credentials';
import { NonceMint } from './nonces';
import { ResponseCache } from './response-cache';
import { encodeResponse, methodName, REASON, type ResponseOptions } from './responses';
import {
  DEFAULT_KNOBS,
  DEFAULT_LIFETIMES,
  type AllocationDeleteReason,
  type AllocationView,
  type ClientEndpoint,
  type DropReason,
  type TurnServerAction,
  type TurnServerAuth,
  type TurnServerEvent,
  type TurnServerKnobs,
  type TurnServerLifetimes,
  type TurnServerStats,
} from './types';

export interface TurnServerCoreOptions {
  readonly realm: string;
  readonly auth: TurnServerAuth;
  /** Address family of the relay addresses this server hands out (one relay IP per server). */
  readonly relayFamily?: 4 | 6;
  /** Wall-clock ms since the epoch, for REST username expiry. */
  readonly wallNow: () => number;
  readonly random?: RandomSource;
  readonly lifetimes?: Partial<TurnServerLifetimes>;
  readonly knobs?: Partial<TurnServerKnobs>;
  /** SOFTWARE attribute on responses; empty string to leave it out. */
  readonly software?: string;
  /** Allocation quota of the whole server (RFC 8656 §7.2 item 10): beyond it, 486. */
  readonly maxAllocations?: number;
  /** Per allocation; beyond it CreatePermission and ChannelBind get 508. */
  readonly maxPermissions?: number;
}

/** Attributes a request may carry that we understand (RFC 8489 §14, RFC 8656 §18, RFC 8445 §16.1). */
const UNDERSTOOD = new Set<number>([
  Attr.MAPPED_ADDRESS,
  Attr.USERNAME,
  Attr.MESSAGE_INTEGRITY,
  Attr.ERROR_CODE,
  Attr.UNKNOWN_ATTRIBUTES,
  Attr.CHANNEL_NUMBER,
  Attr.LIFETIME,
  Attr.XOR_PEER_ADDRESS,
  Attr.DATA,
  Attr.REALM,
  Attr.NONCE,
  Attr.XOR_RELAYED_ADDRESS,
  Attr.REQUESTED_ADDRESS_FAMILY,
  Attr.EVEN_PORT,
  Attr.REQUESTED_TRANSPORT,
  Attr.XOR_MAPPED_ADDRESS,
  Attr.RESERVATION_TOKEN,
  Attr.PRIORITY,
  Attr.USE_CANDIDATE,
  // DONT-FRAGMENT is deliberately absent: we cannot set DF on relayed datagrams, and RFC 8656
  // §7.2 item 4 and §11.2 say to treat it as an unknown comprehension-required attribute then.
]);

/** RFC 8656 §18.11; comprehension-optional, only its clash with REQUESTED-ADDRESS-FAMILY matters here. */
const ADDITIONAL_ADDRESS_FAMILY = 0x8000;

/** Largest payload a Data indication can carry: 65535-byte body less XOR-PEER-ADDRESS (v6) and the DATA header. */
const MAX_DATA_INDICATION_PAYLOAD = 65535 - 24 - 4 - 3;

const TURN_METHODS = new Set<number>([Method.Allocate, Method.Refresh, Method.CreatePermission, Method.ChannelBind]);

interface Authenticated {
  readonly username: string;
  readonly key: Uint8Array;
}

/** Collects the actions of one input, in order. */
class Out {
  readonly actions: TurnServerAction[] = [];
  constructor(readonly now: number) {}
  event(e: TurnServerEvent): void {
    this.actions.push({ kind: 'event', event: e });
  }
}

/**
 * The lab TURN server's sans-IO core (RFC 8656 UDP allocations over UDP and TCP client
 * transports, RFC 8489 long-term authentication with static users or REST credentials). Every
 * input takes the time and returns actions; the driver does the I/O and arms one timer for
 * `nextDeadline()`. Hostile input never throws: it is answered with an error or dropped and
 * counted.
 */
export class TurnServerCore {
  readonly realm: string;
  readonly lifetimes: TurnServerLifetimes;
  readonly stats: TurnServerStats = {
    requests: {},
    responses: {},
    dropped: {},
    allocationsCreated: 0,
    allocationsDeleted: 0,
    packetsToPeers: 0,
    bytesToPeers: 0,
    packetsToClients: 0,
    bytesToClients: 0,
    retransmitsAnswered: 0,
  };
  private knobState: TurnServerKnobs;
  private readonly random: RandomSource;
  private readonly credentials: CredentialStore;
  private readonly nonces: NonceMint;
  private readonly cache = new ResponseCache();
  private readonly byConn = new Map<string, ServerAllocation>();
  private readonly byId = new Map<string, ServerAllocation>();
  private readonly relayFamily: 4 | 6;
  private readonly software: string;
  private readonly maxAllocations: number;
  private readonly maxPermissions: number;
  /** Allocate requests waiting for their relay socket, answered by onRelayOpened/onRelayFailed. */
  private readonly pendingAllocates = new Map<string, { request: StunMessage; from: ClientEndpoint; key: Uint8Array }>();
  private nextId = 1;
  private deadline: number | undefined;
  private deadlineDirty = false;
  /** The `now` of the input being processed: the allocation state machines stamp with it. */
  private currentNow = 0;

  constructor(opts: TurnServerCoreOptions) {
    this.realm = opts.realm;
    this.lifetimes = { ...DEFAULT_LIFETIMES, ...opts.lifetimes };
    this.knobState = { ...DEFAULT_KNOBS, ...opts.knobs };
    this.random = opts.random ?? new CryptoRandom();
    this.credentials = new CredentialStore(opts.auth, opts.realm, opts.wallNow);
    this.nonces = new NonceMint(this.random, this.lifetimes.nonce * 1000);
    this.relayFamily = opts.relayFamily ?? 4;
    this.software = opts.software ?? 'mediapath lab TURN';
    this.maxAllocations = opts.maxAllocations ?? 1024;
    this.maxPermissions = opts.maxPermissions ?? 256;
  }

  get knobs(): TurnServerKnobs {
    return this.knobState;
  }

  setKnobs(k: Partial<TurnServerKnobs>): void {
    this.knobState = { ...this.knobState, ...k };
  }

  /** Makes every nonce issued so far stale: the next request of each client gets 438. */
  revokeNonces(): void {
    this.nonces.revokeAll();
  }

  allocations(): AllocationView[] {
    return [...this.byId.values()].map((a) => a.view());
  }

  allocation(id: string): AllocationView | undefined {
    return this.byId.get(id)?.view();
  }

  /** When the driver must call `onTimer` next (monotonic ms), or undefined when nothing can expire. */
  nextDeadline(): number | undefined {
    if (this.deadlineDirty) {
      let t = Number.POSITIVE_INFINITY;
      for (const a of this.byId.values()) t = Math.min(t, a.nextDeadline());
      this.deadline = Number.isFinite(t) ? t : undefined;
      this.deadlineDirty = false;
    }
    return this.deadline;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** A stream client connected (UDP clients have no such moment). */
  onConnectionOpened(conn: string, client: TransportAddress, now: number): TurnServerAction[] {
    const out = this.begin(now);
    if (this.knobState.refuseTransport === 'tcp') {
      out.actions.push({ kind: 'close-client', conn });
      out.event({ type: 'connection', conn, client, state: 'refused', at: now });
      return out.actions;
    }
    out.event({ type: 'connection', conn, client, state: 'opened', at: now });
    return out.actions;
  }

  /**
   * A stream client's connection ended. Its 5-tuple died with it (RFC 8656 §3.2), so nothing can
   * ever refresh or use the allocation again: it goes now rather than at expiry.
   */
  onConnectionClosed(conn: string, client: TransportAddress, now: number): TurnServerAction[] {
    const out = this.begin(now);
    const a = this.byConn.get(conn);
    if (a) this.deleteAllocation(a, 'connection-closed', out);
    out.event({ type: 'connection', conn, client, state: 'closed', at: now });
    return out.actions;
  }

  /** One whole message from a client: a STUN message or a ChannelData message (stream frames already split). */
  onPacket(bytes: Uint8Array, from: ClientEndpoint, now: number): TurnServerAction[] {
    const out = this.begin(now);
    if (this.knobState.dropAll) return this.drop(out, 'knob-drop-all', from.conn);
    if (this.knobState.refuseTransport === from.transport) {
      if (from.transport === 'tcp') out.actions.push({ kind: 'close-client', conn: from.conn });
      return this.drop(out, 'refused-transport', from.conn);
    }
    if (looksLikeChannelData(bytes)) {
      this.onClientChannelData(bytes, from, out);
      return out.actions;
    }
    if (!looksLikeStun(bytes)) return this.drop(out, 'not-stun', from.conn);
    const r = decodeStun(bytes);
    if (!r.ok) return this.drop(out, 'malformed', from.conn);
    const msg = r.value;
    // RFC 8489 §14.7: a message whose FINGERPRINT does not match is not STUN; discard it.
    if (checkFingerprint(msg) === 'invalid') return this.drop(out, 'bad-fingerprint', from.conn);
    if (msg.cls === 'indication') {
      if (msg.method === Method.Send) this.onSendIndication(msg, from, out);
      else this.drop(out, 'unsupported-indication', from.conn);
      return out.actions;
    }
    if (msg.cls !== 'request') return this.drop(out, 'not-a-request', from.conn);
    this.onRequest(msg, from, out);
    return out.actions;
  }

  /** A datagram from a peer arrived on an allocation's relay socket. */
  onPeerPacket(allocationId: string, bytes: Uint8Array, fromPeer: TransportAddress, now: number): TurnServerAction[] {
    const out = this.begin(now);
    if (this.knobState.dropAll) return this.drop(out, 'knob-drop-all', undefined, allocationId);
    const a = this.byId.get(allocationId);
    if (!a || !a.active) return this.drop(out, 'relay-not-open', undefined, allocationId);
    const peer = canonicalAddress(fromPeer);
    // RFC 8656 §9 and §11.3: only a permitted source IP gets through; ports are not compared.
    if (!a.hasPermission(peer.ip, now)) {
      a.counters.droppedFromPeers++;
      return this.drop(out, 'no-permission', a.client.conn, a.id);
    }
    const ch = a.channelFor(peer, now);
    let msg: Uint8Array;
    if (ch) {
      // RFC 8656 §12.5: the server MUST use the channel once one is bound; padded on streams.
      msg = encodeChannelData(ch.number, bytes, a.client.transport === 'tcp');
    } else {
      if (bytes.length > MAX_DATA_INDICATION_PAYLOAD) return this.drop(out, 'too-large', a.client.conn, a.id);
      msg = encodeStun({ method: Method.Data, cls: 'indication', transactionId: this.random.bytes(12), attributes: [attrs.xorPeerAddress(peer), attrs.data(bytes)] });
    }
    a.counters.packetsToClient++;
    a.counters.bytesToClient += bytes.length;
    this.stats.packetsToClients++;
    this.stats.bytesToClients += bytes.length;
    out.actions.push({ kind: 'send-to-client', conn: a.client.conn, transport: a.client.transport, to: a.client.address, bytes: msg, delayMs: 0 });
    return out.actions;
  }

  /** The driver bound the relay socket asked for by `open-relay`. */
  onRelayOpened(allocationId: string, relayed: TransportAddress, now: number): TurnServerAction[] {
    const out = this.begin(now);
    const a = this.byId.get(allocationId);
    const pending = this.pendingAllocates.get(allocationId);
    this.pendingAllocates.delete(allocationId);
    if (!a || !a.fsm.is('opening') || !pending) {
      // The allocation went away while its socket was being bound (connection closed, server
      // stopping): the socket has no owner, close it.
      out.actions.push({ kind: 'close-relay', allocationId });
      return out.actions;
    }
    a.relayed = canonicalAddress(relayed);
    a.expiresAt = now + a.lifetime * 1000;
    a.fsm.transition('active', `relay ${relayed.ip}:${relayed.port}`);
    this.deadlineDirty = true;
    this.stats.allocationsCreated++;
    const bytes = this.respond(pending.request, pending.from, out, {
      attributes: [attrs.xorRelayedAddress(a.relayed), attrs.xorMappedAddress(pending.from.address), attrs.lifetime(a.lifetime)],
      key: pending.key,
    });
    a.successResponse = bytes;
    out.event({ type: 'allocation-created', allocationId: a.id, conn: a.client.conn, transport: a.client.transport, client: a.client.address, username: a.username, relayed: a.relayed, lifetime: a.lifetime, at: now });
    return out.actions;
  }

  /** The driver could not bind a relay socket: RFC 8656 §7.2 has 508 for "no relayed address available". */
  onRelayFailed(allocationId: string, now: number): TurnServerAction[] {
    const out = this.begin(now);
    const a = this.byId.get(allocationId);
    const pending = this.pendingAllocates.get(allocationId);
    this.pendingAllocates.delete(allocationId);
    if (!a || !pending) return out.actions;
    this.forget(a);
    if (a.fsm.canMove('deleted')) a.fsm.transition('deleted', 'relay bind failed');
    this.respond(pending.request, pending.from, out, { error: 508, key: pending.key });
    return out.actions;
  }

  /** Expires whatever is due. */
  onTimer(now: number): TurnServerAction[] {
    return this.begin(now).actions;
  }

  /** Deletes every allocation (server stopping); the actions close their relays. */
  close(now: number): TurnServerAction[] {
    const out = this.begin(now);
    for (const a of [...this.byId.values()]) this.deleteAllocation(a, 'server-stopped', out);
    this.cache.clear();
    return out.actions;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /** Every input starts here: stamp the time and expire what is due before looking at anything. */
  private begin(now: number): Out {
    this.currentNow = now;
    const out = new Out(now);
    const due = this.nextDeadline();
    if (due !== undefined && due <= now) this.expireDue(now, out);
    return out;
  }

  private expireDue(now: number, out: Out): void {
    for (const a of [...this.byId.values()]) {
      if (!a.active) continue;
      if (a.expiresAt <= now) {
        this.deleteAllocation(a, 'expired', out);
        continue;
      }
      const gone = a.expireEntries(now);
      for (const ip of gone.permissions) out.event({ type: 'permission', allocationId: a.id, peerIp: ip, state: 'expired', at: now });
      for (const ch of gone.channels) out.event({ type: 'channel', allocationId: a.id, channel: ch.number, peer: ch.peer, state: 'expired', at: now });
    }
    this.deadlineDirty = true;
  }

  private drop(out: Out, reason: DropReason, conn?: string, allocationId?: string): TurnServerAction[] {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
    out.event({ type: 'dropped', reason, ...(conn !== undefined ? { conn } : {}), ...(allocationId !== undefined ? { allocationId } : {}), at: out.now });
    return out.actions;
  }

  private forget(a: ServerAllocation): void {
    if (this.byConn.get(a.client.conn) === a) this.byConn.delete(a.client.conn);
    this.byId.delete(a.id);
    this.deadlineDirty = true;
  }

  private deleteAllocation(a: ServerAllocation, reason: AllocationDeleteReason, out: Out): void {
    const wasOpening = a.fsm.is('opening');
    this.forget(a);
    this.pendingAllocates.delete(a.id);
    if (a.fsm.canMove('deleted')) a.fsm.transition('deleted', reason);
    // An opening allocation has no socket yet; onRelayOpened closes it when it comes.
    if (!wasOpening) {
      this.stats.allocationsDeleted++;
      out.actions.push({ kind: 'close-relay', allocationId: a.id });
      out.event({ type: 'allocation-deleted', allocationId: a.id, reason, counters: { ...a.counters }, at: out.now });
    }
  }

  private respond(req: StunMessage, from: ClientEndpoint, out: Out, opts: ResponseOptions): Uint8Array {
    const bytes = encodeResponse(req, { ...opts, ...(this.software ? { software: this.software } : {}) });
    const code = opts.error ?? 200;
    this.stats.responses[code] = (this.stats.responses[code] ?? 0) + 1;
    if (from.transport === 'udp') this.cache.put(from.conn, transactionKey(req.transactionId), bytes, out.now);
    out.actions.push({ kind: 'send-to-client', conn: from.conn, transport: from.transport, to: from.address, bytes, delayMs: this.knobState.delayMs });
    out.event({ type: 'response', conn: from.conn, method: methodName(req.method), code, reason: opts.error ? (REASON[opts.error] ?? '') : 'Success', at: out.now });
    return bytes;
  }

  // ---- requests ----------------------------------------------------------------------------

  private onRequest(msg: StunMessage, from: ClientEndpoint, out: Out): void {
    const name = methodName(msg.method);
    this.stats.requests[name] = (this.stats.requests[name] ?? 0) + 1;
    if (from.transport === 'udp') {
      const cached = this.cache.get(from.conn, transactionKey(msg.transactionId), out.now);
      if (cached) {
        this.stats.retransmitsAnswered++;
        out.actions.push({ kind: 'send-to-client', conn: from.conn, transport: from.transport, to: from.address, bytes: cached, delayMs: this.knobState.delayMs });
        return;
      }
    }
    if (msg.method === Method.Binding) {
      // A TURN server is also a STUN server (RFC 8656 §5); Binding needs no credentials.
      const unknown = this.unknownAttributes(msg);
      if (unknown.length > 0) this.respond(msg, from, out, { error: 420, unknown });
      else this.respond(msg, from, out, { attributes: [attrs.xorMappedAddress(from.address)] });
      return;
    }
    if (!TURN_METHODS.has(msg.method)) {
      // Connect/ConnectionBind (RFC 6062 TCP allocations) and anything else we do not implement.
      this.respond(msg, from, out, { error: 400 });
      return;
    }
    const auth = this.authenticate(msg, from, out);
    if (!auth) return;
    const unknown = this.unknownAttributes(msg);
    if (unknown.length > 0) {
      this.respond(msg, from, out, { error: 420, unknown, key: auth.key });
      return;
    }
    if (msg.method === Method.Allocate) {
      this.onAllocate(msg, from, auth, out);
      return;
    }
    // RFC 8656 §5: every other request needs the allocation of its 5-tuple, made by the same user.
    const a = this.byConn.get(from.conn);
    if (!a || !a.active) {
      this.respond(msg, from, out, { error: 437, key: auth.key });
      return;
    }
    if (a.username !== auth.username) {
      this.respond(msg, from, out, { error: 441, key: auth.key });
      return;
    }
    if (msg.method === Method.Refresh) this.onRefresh(msg, from, a, auth, out);
    else if (msg.method === Method.CreatePermission) this.onCreatePermission(msg, from, a, auth, out);
    else this.onChannelBind(msg, from, a, auth, out);
  }

  private unknownAttributes(msg: StunMessage): number[] {
    const unknown = new Set<number>();
    for (const a of msg.attributes) if (a.type < 0x8000 && !UNDERSTOOD.has(a.type)) unknown.add(a.type);
    return [...unknown];
  }

  /**
   * Long-term credential checks in the order of RFC 8489 §9.2.4 (MD5 key, no password
   * algorithms). Answers and returns undefined when the request does not pass.
   */
  private authenticate(msg: StunMessage, from: ClientEndpoint, out: Out): Authenticated | undefined {
    const challenge = (code: 401 | 438): undefined => {
      this.respond(msg, from, out, { error: code, attributes: [attrs.realm(this.realm), attrs.nonce(this.nonces.issue(from.address, out.now))] });
      return undefined;
    };
    if (this.knobState.respond401Always) return challenge(401);
    if (!getAttribute(msg, Attr.MESSAGE_INTEGRITY)) return challenge(401);
    const username = textAttribute(msg, Attr.USERNAME);
    const realm = textAttribute(msg, Attr.REALM);
    const nonce = textAttribute(msg, Attr.NONCE);
    if (username === undefined || realm === undefined || nonce === undefined) {
      this.respond(msg, from, out, { error: 400 });
      return undefined;
    }
    const lookup = this.credentials.keyFor(username);
    if (!lookup.ok) return challenge(401);
    // The key is built with our realm: a request signed for another realm fails here, with 401.
    if (checkIntegrity(msg, lookup.key) !== 'valid') return challenge(401);
    if (this.nonces.check(nonce, from.address, out.now) !== 'valid') return challenge(438);
    return { username, key: lookup.key };
  }

  /** RFC 8656 §7.2 (Allocate) and §8.2 (Refresh): the "desired lifetime" in seconds. */
  private desiredLifetime(msg: StunMessage): number {
    const requested = uint32Attribute(msg, Attr.LIFETIME);
    if (requested === undefined) return this.lifetimes.defaultAllocation;
    if (requested === 0) return 0;
    return Math.max(this.lifetimes.defaultAllocation, Math.min(requested, this.lifetimes.maxAllocation));
  }

  private onAllocate(msg: StunMessage, from: ClientEndpoint, auth: Authenticated, out: Out): void {
    const txid = transactionKey(msg.transactionId);
    const existing = this.byConn.get(from.conn);
    if (existing) {
      if (existing.allocateTransaction !== txid) {
        this.respond(msg, from, out, { error: 437, key: auth.key });
      } else if (existing.successResponse) {
        // A retransmission the cache no longer holds: the same answer again (RFC 8656 §5).
        out.actions.push({ kind: 'send-to-client', conn: from.conn, transport: from.transport, to: from.address, bytes: existing.successResponse, delayMs: this.knobState.delayMs });
      } else {
        this.drop(out, 'allocate-in-progress', from.conn, existing.id);
      }
      return;
    }
    const fail = (code: number): void => {
      this.respond(msg, from, out, { error: code, key: auth.key });
    };
    const rt = getAttribute(msg, Attr.REQUESTED_TRANSPORT);
    if (!rt || rt.value.length !== 4) return fail(400);
    if (rt.value[0] !== Protocol.UDP) return fail(442);
    const raf = getAttribute(msg, Attr.REQUESTED_ADDRESS_FAMILY);
    const evenPort = getAttribute(msg, Attr.EVEN_PORT);
    if (getAttribute(msg, Attr.RESERVATION_TOKEN)) {
      // We never hand out reservation tokens, so any token is invalid: 508 (RFC 8656 §7.2 item 5).
      return fail(raf || evenPort || getAttribute(msg, ADDITIONAL_ADDRESS_FAMILY) ? 400 : 508);
    }
    if (raf && getAttribute(msg, ADDITIONAL_ADDRESS_FAMILY)) return fail(400);
    let family: 4 | 6 = 4;
    if (raf) {
      if (raf.value.length !== 4 || (raf.value[0] !== 0x01 && raf.value[0] !== 0x02)) return fail(400);
      family = raf.value[0] === 0x01 ? 4 : 6;
    }
    // RFC 8656 §7.2 item 7: without REQUESTED-ADDRESS-FAMILY the client gets IPv4, or 440.
    if (family !== this.relayFamily) return fail(440);
    // Relay sockets come from the Net with an ephemeral port; we cannot promise an even one.
    if (evenPort) return fail(508);
    if (this.byId.size >= this.maxAllocations) return fail(486);

    const a = new ServerAllocation(`alloc-${this.nextId++}`, from, auth.username, family, txid, this.desiredLifetime(msg) || this.lifetimes.defaultAllocation, () => this.currentNow);
    this.byConn.set(from.conn, a);
    this.byId.set(a.id, a);
    this.pendingAllocates.set(a.id, { request: msg, from, key: auth.key });
    out.actions.push({ kind: 'open-relay', allocationId: a.id, family });
  }

  private onRefresh(msg: StunMessage, from: ClientEndpoint, a: ServerAllocation, auth: Authenticated, out: Out): void {
    const raf = getAttribute(msg, Attr.REQUESTED_ADDRESS_FAMILY);
    if (raf) {
      const family = raf.value.length === 4 && raf.value[0] === 0x01 ? 4 : raf.value.length === 4 && raf.value[0] === 0x02 ? 6 : undefined;
      // RFC 8656 §8.2: a REQUESTED-ADDRESS-FAMILY that does not match the allocation gets 443.
      if (family !== a.family) {
        this.respond(msg, from, out, { error: family === undefined ? 400 : 443, key: auth.key });
        return;
      }
    }
    const desired = this.desiredLifetime(msg);
    if (desired === 0) {
      this.respond(msg, from, out, { attributes: [attrs.lifetime(0)], key: auth.key });
      this.deleteAllocation(a, 'refresh-zero', out);
      return;
    }
    a.lifetime = desired;
    a.expiresAt = out.now + desired * 1000;
    this.deadlineDirty = true;
    this.respond(msg, from, out, { attributes: [attrs.lifetime(desired)], key: auth.key });
    out.event({ type: 'allocation-refreshed', allocationId: a.id, lifetime: desired, at: out.now });
  }

  private onCreatePermission(msg: StunMessage, from: ClientEndpoint, a: ServerAllocation, auth: Authenticated, out: Out): void {
    const peers = xorAddresses(msg, Attr.XOR_PEER_ADDRESS);
    // RFC 8656 §10.2: at least one XOR-PEER-ADDRESS, each of the allocation's family (else 443).
    if (!peers || peers.length === 0) {
      this.respond(msg, from, out, { error: 400, key: auth.key });
      return;
    }
    if (peers.some((p) => familyOf(p.ip) !== a.family)) {
      this.respond(msg, from, out, { error: 443, key: auth.key });
      return;
    }
    const ips = [...new Set(peers.map((p) => canonicalIp(p.ip)))];
    const fresh = ips.filter((ip) => !a.permissions.has(ip)).length;
    if (a.permissions.size + fresh > this.maxPermissions) {
      this.respond(msg, from, out, { error: 508, key: auth.key });
      return;
    }
    for (const ip of ips) this.permit(a, ip, out);
    this.respond(msg, from, out, { key: auth.key });
  }

  private permit(a: ServerAllocation, ip: string, out: Out): void {
    const state = a.permit(ip, out.now + this.lifetimes.permission * 1000);
    this.deadlineDirty = true;
    out.event({ type: 'permission', allocationId: a.id, peerIp: ip, state, at: out.now });
  }

  private onChannelBind(msg: StunMessage, from: ClientEndpoint, a: ServerAllocation, auth: Authenticated, out: Out): void {
    const fail = (code: number): void => {
      this.respond(msg, from, out, { error: code, key: auth.key });
    };
    const cn = getAttribute(msg, Attr.CHANNEL_NUMBER);
    const peers = xorAddresses(msg, Attr.XOR_PEER_ADDRESS);
    // RFC 8656 §12.2: both attributes, a number in 0x4000–0x4FFF, and neither the number nor the
    // peer already bound to something else; any failure is 400.
    if (!cn || cn.value.length !== 4 || !peers || peers.length !== 1) return fail(400);
    const number = (cn.value[0]! << 8) | cn.value[1]!;
    if (!isChannelNumber(number)) return fail(400);
    const peer = canonicalAddress(peers[0]!);
    const byNumber = a.channelByNumber(number, out.now);
    if (byNumber && (byNumber.peer.ip !== peer.ip || byNumber.peer.port !== peer.port)) return fail(400);
    const byPeer = a.channelFor(peer, out.now);
    if (byPeer && byPeer.number !== number) return fail(400);
    if (familyOf(peer.ip) !== a.family) return fail(443);
    if (!a.permissions.has(peer.ip) && a.permissions.size >= this.maxPermissions) return fail(508);
    const state = a.bind(number, peer, out.now + this.lifetimes.channel * 1000);
    this.deadlineDirty = true;
    // A ChannelBind also installs or refreshes the permission for the peer's IP (RFC 8656 §12.2).
    this.permit(a, peer.ip, out);
    this.respond(msg, from, out, { key: auth.key });
    out.event({ type: 'channel', allocationId: a.id, channel: number, peer, state, at: out.now });
  }

  // ---- data from the client ----------------------------------------------------------------

  private onSendIndication(msg: StunMessage, from: ClientEndpoint, out: Out): void {
    const a = this.byConn.get(from.conn);
    // RFC 8656 §5: an indication without an allocation is silently ignored.
    if (!a || !a.active) {
      this.drop(out, 'no-allocation', from.conn);
      return;
    }
    const peers = xorAddresses(msg, Attr.XOR_PEER_ADDRESS);
    const data = getAttribute(msg, Attr.DATA);
    // RFC 8656 §11.2: both attributes are required; DONT-FRAGMENT counts as an unknown
    // comprehension-required attribute, and those discard an indication (RFC 8489 §6.3.2).
    if (!peers || peers.length !== 1 || !data || this.unknownAttributes(msg).length > 0) {
      a.counters.droppedToPeers++;
      this.drop(out, 'bad-send-indication', from.conn, a.id);
      return;
    }
    const peer = canonicalAddress(peers[0]!);
    if (!a.hasPermission(peer.ip, out.now)) {
      a.counters.droppedToPeers++;
      this.drop(out, 'no-permission', from.conn, a.id);
      return;
    }
    this.toPeer(a, peer, data.value, out);
  }

  private onClientChannelData(bytes: Uint8Array, from: ClientEndpoint, out: Out): void {
    const cd = decodeChannelData(bytes);
    // RFC 8656 §12.6: reserved first bytes, short datagrams and unbound channels are discarded.
    if (!cd) {
      this.drop(out, 'malformed', from.conn);
      return;
    }
    const a = this.byConn.get(from.conn);
    if (!a || !a.active) {
      this.drop(out, 'no-allocation', from.conn);
      return;
    }
    const ch = a.channelByNumber(cd.channel, out.now);
    if (!ch) {
      a.counters.droppedToPeers++;
      this.drop(out, 'unknown-channel', from.conn, a.id);
      return;
    }
    // RFC 8656 §12.6: relayed as is; receiving ChannelData refreshes neither binding nor permission.
    this.toPeer(a, ch.peer, cd.data, out);
  }

  private toPeer(a: ServerAllocation, peer: TransportAddress, data: Uint8Array, out: Out): void {
    a.counters.packetsToPeers++;
    a.counters.bytesToPeers += data.length;
    this.stats.packetsToPeers++;
    this.stats.bytesToPeers += data.length;
    // Copy: the input buffer may be reused by the transport once we return.
    out.actions.push({ kind: 'send-to-peer', allocationId: a.id, to: peer, bytes: data.slice() });
  }
}

