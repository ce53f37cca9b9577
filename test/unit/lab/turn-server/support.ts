import { expect } from 'vitest';
import type { TransportAddress } from '../../../../main/common/address';
import { SeededRandom } from '../../../../main/common/random';
import { TurnServerCore, type ClientEndpoint, type TurnServerAction, type TurnServerCoreOptions, type TurnServerEvent } from '../../../../main/lab/turn-server';
import {
  Attr,
  HEADER_LENGTH,
  Method,
  Protocol,
  attrs,
  checkFingerprint,
  checkIntegrity,
  decodeStun,
  encodeStun,
  errorCodeAttribute,
  longTermKey,
  signStun,
  textAttribute,
  type AttributeSpec,
  type StunMessage,
} from '../../../../main/stun';

export const REALM = 'lab.test';
export const USERS = { alice: 'alicepw', bob: 'bobpw' } as const;
export const WALL = Date.UTC(2026, 0, 1);
export const RELAY_IP = '192.0.2.1';

export function makeCore(over: Partial<TurnServerCoreOptions> = {}): TurnServerCore {
  return new TurnServerCore({ realm: REALM, auth: { kind: 'long-term', users: USERS }, wallNow: () => WALL, random: new SeededRandom(7), ...over });
}

export function udpClient(ip: string, port: number): ClientEndpoint {
  return { transport: 'udp', conn: `udp|${ip}:${port}`, address: { ip, port } };
}

export function tcpClient(ip: string, port: number, n = 1): ClientEndpoint {
  return { transport: 'tcp', conn: `tcp|${n}|${ip}:${port}`, address: { ip, port } };
}

export function clientSends(actions: readonly TurnServerAction[]): Array<Extract<TurnServerAction, { kind: 'send-to-client' }>> {
  return actions.filter((a): a is Extract<TurnServerAction, { kind: 'send-to-client' }> => a.kind === 'send-to-client');
}

export function peerSends(actions: readonly TurnServerAction[]): Array<Extract<TurnServerAction, { kind: 'send-to-peer' }>> {
  return actions.filter((a): a is Extract<TurnServerAction, { kind: 'send-to-peer' }> => a.kind === 'send-to-peer');
}

export function events(actions: readonly TurnServerAction[]): TurnServerEvent[] {
  return actions.flatMap((a) => (a.kind === 'event' ? [a.event] : []));
}

export function kinds(actions: readonly TurnServerAction[]): string[] {
  return actions.filter((a) => a.kind !== 'event').map((a) => a.kind);
}

/** The single STUN message the core sent to the client among `actions`. */
export function onlyResponse(actions: readonly TurnServerAction[]): StunMessage {
  const sends = clientSends(actions);
  expect(sends).toHaveLength(1);
  const r = decodeStun(sends[0]!.bytes);
  if (!r.ok) throw new Error(`response does not decode: ${r.error.reason}`);
  expect(checkFingerprint(r.value)).toBe('valid');
  return r.value;
}

export function codeOf(msg: StunMessage): number {
  return msg.cls === 'success' ? 200 : (errorCodeAttribute(msg)?.code ?? -1);
}

/** Appends a raw attribute (the encoder refuses duplicates, which CreatePermission may carry). */
export function appendAttribute(msg: Uint8Array, type: number, value: Uint8Array): Uint8Array {
  const padded = (value.length + 3) & ~3;
  const out = new Uint8Array(msg.length + 4 + padded);
  out.set(msg);
  out.set([type >>> 8, type & 0xff, value.length >>> 8, value.length & 0xff], msg.length);
  out.set(value, msg.length + 4);
  const body = out.length - HEADER_LENGTH;
  out[2] = body >>> 8;
  out[3] = body & 0xff;
  return out;
}

let txSeq = 1;
export function txid(): Uint8Array {
  const t = new Uint8Array(12);
  new DataView(t.buffer).setUint32(8, txSeq++);
  return t;
}

/**
 * A scripted TURN client for the core: it does the 401 dance once, then signs every request
 * with the long-term key, as the engine's client does.
 */
export class CoreClient {
  nonce: string | undefined;
  realm = REALM;
  lastActions: TurnServerAction[] = [];

  constructor(
    readonly core: TurnServerCore,
    readonly from: ClientEndpoint,
    readonly username = 'alice',
    readonly password: string = USERS.alice,
  ) {}

  get key(): Uint8Array {
    return longTermKey(this.username, this.realm, this.password);
  }

  /** Encodes a signed request (or unsigned with `sign: false`). */
  encode(method: number, attributes: readonly AttributeSpec[], opts: { sign?: boolean; id?: Uint8Array; extra?: Array<[number, Uint8Array]> } = {}): Uint8Array {
    const sign = opts.sign ?? true;
    const auth = sign && this.nonce ? [attrs.username(this.username), attrs.realm(this.realm), attrs.nonce(this.nonce)] : [];
    let bytes = encodeStun({ method, cls: 'request', transactionId: opts.id ?? txid(), attributes: [...attributes, ...auth] });
    for (const [t, v] of opts.extra ?? []) bytes = appendAttribute(bytes, t, v);
    return signStun(bytes, { ...(sign && this.nonce ? { integrityKey: this.key } : {}), fingerprint: true });
  }

  /** Sends bytes and returns the actions. */
  send(bytes: Uint8Array, now: number): TurnServerAction[] {
    this.lastActions = this.core.onPacket(bytes, this.from, now);
    return this.lastActions;
  }

  /** Gets a nonce with an unsigned request (401), like a first request per RFC 8489 §9.2.3.1. */
  challenge(now: number): StunMessage {
    const res = onlyResponse(this.send(this.encode(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], { sign: false }), now));
    expect(codeOf(res)).toBe(401);
    this.nonce = textAttribute(res, Attr.NONCE);
    this.realm = textAttribute(res, Attr.REALM) ?? REALM;
    return res;
  }

  /** A signed request; returns the response if one was sent synchronously. */
  request(method: number, attributes: readonly AttributeSpec[], now: number, opts: { id?: Uint8Array; extra?: Array<[number, Uint8Array]> } = {}): StunMessage | undefined {
    const actions = this.send(this.encode(method, attributes, opts), now);
    const sends = clientSends(actions);
    if (sends.length === 0) return undefined;
    return onlyResponse(actions);
  }

  /** Allocate end to end: 401, signed Allocate, relay opened at `relayed`. Returns the success. */
  allocate(now: number, relayed: TransportAddress, attributes: readonly AttributeSpec[] = [attrs.requestedTransport(Protocol.UDP)]): { response: StunMessage; allocationId: string } {
    if (!this.nonce) this.challenge(now);
    const actions = this.send(this.encode(Method.Allocate, attributes), now);
    const open = actions.find((a) => a.kind === 'open-relay');
    if (!open || open.kind !== 'open-relay') throw new Error(`no open-relay: ${JSON.stringify(kinds(actions))} ${JSON.stringify(events(actions))}`);
    expect(clientSends(actions)).toHaveLength(0);
    this.lastActions = this.core.onRelayOpened(open.allocationId, relayed, now);
    const response = onlyResponse(this.lastActions);
    expect(checkIntegrity(response, this.key)).toBe('valid');
    return { response, allocationId: open.allocationId };
  }
}

export function peerFrom(ip: string, port: number): TransportAddress {
  return { ip, port };
}
