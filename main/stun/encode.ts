import { Buffer } from 'node:buffer';
import * as stunPackage from 'stun';
import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { Attr, FINGERPRINT_XOR, HEADER_LENGTH } from './constants';
import { crc32 } from './crc32';
import { hmacSha1 } from './integrity';
import { messageType, type StunClass } from './message';

/** What an attribute to send carries; the builders in `attrs` make these. */
export type AttributeSpec =
  | { readonly type: number; readonly kind: 'address' | 'xor-address'; readonly address: TransportAddress }
  | { readonly type: number; readonly kind: 'uint32'; readonly value: number }
  | { readonly type: number; readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly type: number; readonly kind: 'error'; readonly code: number; readonly reason: string };

export interface StunMessageSpec {
  readonly method: number;
  readonly cls: StunClass;
  readonly transactionId: Uint8Array;
  readonly attributes?: readonly AttributeSpec[];
}

export interface EncodeOptions {
  /** Adds MESSAGE-INTEGRITY (HMAC-SHA1) with this key: short-term password or long-term MD5 key. */
  readonly integrityKey?: Uint8Array;
  readonly fingerprint?: boolean;
}

const utf8 = new TextEncoder();

/** Builders for the attributes we send (RFC 8489, RFC 8656, RFC 8445). */
export const attrs = {
  username: (s: string): AttributeSpec => ({ type: Attr.USERNAME, kind: 'bytes', value: utf8.encode(s) }),
  realm: (s: string): AttributeSpec => ({ type: Attr.REALM, kind: 'bytes', value: utf8.encode(s) }),
  nonce: (s: string): AttributeSpec => ({ type: Attr.NONCE, kind: 'bytes', value: utf8.encode(s) }),
  software: (s: string): AttributeSpec => ({ type: Attr.SOFTWARE, kind: 'bytes', value: utf8.encode(s) }),
  lifetime: (seconds: number): AttributeSpec => ({ type: Attr.LIFETIME, kind: 'uint32', value: seconds >>> 0 }),
  /** RFC 8656 §18.8: protocol number in the first byte, then RFFU. */
  requestedTransport: (protocol: number): AttributeSpec => ({ type: Attr.REQUESTED_TRANSPORT, kind: 'uint32', value: (protocol << 24) >>> 0 }),
  /** RFC 8656 §18.1: channel number in the first two bytes, then RFFU. */
  channelNumber: (n: number): AttributeSpec => ({ type: Attr.CHANNEL_NUMBER, kind: 'uint32', value: (n << 16) >>> 0 }),
  xorPeerAddress: (a: TransportAddress): AttributeSpec => ({ type: Attr.XOR_PEER_ADDRESS, kind: 'xor-address', address: a }),
  xorMappedAddress: (a: TransportAddress): AttributeSpec => ({ type: Attr.XOR_MAPPED_ADDRESS, kind: 'xor-address', address: a }),
  xorRelayedAddress: (a: TransportAddress): AttributeSpec => ({ type: Attr.XOR_RELAYED_ADDRESS, kind: 'xor-address', address: a }),
  mappedAddress: (a: TransportAddress): AttributeSpec => ({ type: Attr.MAPPED_ADDRESS, kind: 'address', address: a }),
  data: (b: Uint8Array): AttributeSpec => ({ type: Attr.DATA, kind: 'bytes', value: b }),
  errorCode: (code: number, reason: string): AttributeSpec => ({ type: Attr.ERROR_CODE, kind: 'error', code, reason }),
  priority: (p: number): AttributeSpec => ({ type: Attr.PRIORITY, kind: 'uint32', value: p >>> 0 }),
  useCandidate: (): AttributeSpec => ({ type: Attr.USE_CANDIDATE, kind: 'bytes', value: new Uint8Array(0) }),
  iceControlling: (tieBreaker: bigint): AttributeSpec => ({ type: Attr.ICE_CONTROLLING, kind: 'bytes', value: u64(tieBreaker) }),
  iceControlled: (tieBreaker: bigint): AttributeSpec => ({ type: Attr.ICE_CONTROLLED, kind: 'bytes', value: u64(tieBreaker) }),
  raw: (type: number, value: Uint8Array): AttributeSpec => ({ type, kind: 'bytes', value }),
};

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v));
  return b;
}

// Attribute types the stun package knows how to encode; others we append ourselves.
const packageKnown = new Set<number>(
  Object.entries(stunPackage.constants)
    .filter(([k]) => k.startsWith('STUN_ATTR_'))
    .map(([, v]) => v),
);

function rawAttribute(type: number, value: Uint8Array): Uint8Array {
  const padded = (value.length + 3) & ~3;
  const out = new Uint8Array(4 + padded);
  out[0] = type >>> 8;
  out[1] = type & 0xff;
  out[2] = value.length >>> 8;
  out[3] = value.length & 0xff;
  out.set(value, 4);
  return out;
}

function setLength(msg: Uint8Array, bodyLength: number): void {
  msg[2] = bodyLength >>> 8;
  msg[3] = bodyLength & 0xff;
}

/**
 * Encodes a STUN message: header and typed attributes through the stun package, then any
 * attribute it does not know, then MESSAGE-INTEGRITY and FINGERPRINT computed here on the final
 * bytes (RFC 8489 §14.5, §14.7) so that what we sign is exactly what goes on the wire.
 */
export function encodeStun(spec: StunMessageSpec, opts: EncodeOptions = {}): Uint8Array {
  if (spec.transactionId.length !== 12) {
    throw new MediapathError('INVALID_ARGUMENT', `STUN transaction id must be 12 bytes, got ${spec.transactionId.length}`, { layer: 'stun' });
  }
  const m = stunPackage.createMessage(messageType(spec.method, spec.cls), Buffer.from(spec.transactionId));
  const extra: Uint8Array[] = [];
  for (const a of spec.attributes ?? []) {
    if (!packageKnown.has(a.type)) {
      if (a.kind !== 'bytes') throw new MediapathError('INVALID_ARGUMENT', `attribute 0x${a.type.toString(16)} must be raw bytes`, { layer: 'stun' });
      extra.push(rawAttribute(a.type, a.value));
      continue;
    }
    let added: unknown;
    switch (a.kind) {
      case 'address':
      case 'xor-address':
        added = m.addAttribute(a.type, a.address.ip, a.address.port);
        break;
      case 'uint32':
        added = m.addAttribute(a.type, a.value);
        break;
      case 'bytes':
        added = m.addAttribute(a.type, Buffer.from(a.value.buffer, a.value.byteOffset, a.value.byteLength));
        break;
      case 'error':
        added = m.addAttribute(a.type, a.code, a.reason);
        break;
    }
    if (added === undefined) throw new MediapathError('INVALID_ARGUMENT', `duplicate STUN attribute 0x${a.type.toString(16)}`, { layer: 'stun' });
  }
  const base = new Uint8Array(stunPackage.encode(m));
  const extraLen = extra.reduce((n, x) => n + x.length, 0);
  const body = new Uint8Array(base.length + extraLen);
  body.set(base, 0);
  let off = base.length;
  for (const x of extra) {
    body.set(x, off);
    off += x.length;
  }
  setLength(body, off - HEADER_LENGTH);
  return signStun(body, opts);
}

/**
 * Appends MESSAGE-INTEGRITY and/or FINGERPRINT to an encoded message, fixing the length field
 * as RFC 8489 §14.5 and §14.7 require at each step.
 */
export function signStun(message: Uint8Array, opts: EncodeOptions): Uint8Array {
  const tailLen = (opts.integrityKey ? 24 : 0) + (opts.fingerprint ? 8 : 0);
  const out = new Uint8Array(message.length + tailLen);
  out.set(message, 0);
  let off = message.length;
  if (opts.integrityKey) {
    // The length covers up to and including MESSAGE-INTEGRITY while hashing.
    setLength(out, off + 24 - HEADER_LENGTH);
    const mac = hmacSha1(opts.integrityKey, out.subarray(0, off));
    out.set(rawAttribute(Attr.MESSAGE_INTEGRITY, mac), off);
    off += 24;
  }
  if (opts.fingerprint) {
    setLength(out, off + 8 - HEADER_LENGTH);
    const fp = (crc32(out.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0;
    out.set(rawAttribute(Attr.FINGERPRINT, new Uint8Array([fp >>> 24, (fp >>> 16) & 0xff, (fp >>> 8) & 0xff, fp & 0xff])), off);
    off += 8;
  }
  setLength(out, off - HEADER_LENGTH);
  return out;
}
