import { Buffer } from 'node:buffer';
import * as stunPackage from 'stun';
import type { TransportAddress } from '../common/address';
import { err, ok, type Result } from '../common/result';
import { Attr, HEADER_LENGTH, MAGIC_COOKIE } from './constants';

export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** One attribute as it sat on the wire: type, unpadded value, and where it started. */
export interface RawAttribute {
  readonly type: number;
  readonly value: Uint8Array;
  /** Offset of the attribute header in the message. */
  readonly offset: number;
}

/**
 * A decoded STUN message. `raw` is kept because MESSAGE-INTEGRITY and FINGERPRINT are checked on
 * the bytes as received (RFC 5769's vectors pad with 0x20, so re-encoding would not reproduce them).
 */
export interface StunMessage {
  readonly method: number;
  readonly cls: StunClass;
  readonly transactionId: Uint8Array;
  readonly attributes: readonly RawAttribute[];
  readonly raw: Uint8Array;
  /** Typed values decoded by the stun package, by attribute type (first occurrence). */
  readonly typed: ReadonlyMap<number, unknown>;
}

export interface StunParseError {
  readonly code: 'STUN_PARSE';
  readonly offset: number;
  readonly reason: string;
}

/** Upper bound on what we accept; a STUN message over UDP fits a datagram anyway. */
export const MAX_STUN_MESSAGE = 65535 + HEADER_LENGTH;
export const MAX_ATTRIBUTES = 128;

const CLASS_BITS: Record<StunClass, number> = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 };

export function messageType(method: number, cls: StunClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | CLASS_BITS[cls];
}

export function splitMessageType(type: number): { method: number; cls: StunClass } {
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const c = type & 0x0110;
  const cls: StunClass = c === 0x000 ? 'request' : c === 0x010 ? 'indication' : c === 0x100 ? 'success' : 'error';
  return { method, cls };
}

/**
 * Cheap test used to demultiplex a datagram or stream frame: STUN (RFC 8489 §5: top two bits 0
 * and the magic cookie), as opposed to ChannelData (0x4000–0x4FFF) or RTP/RTCP (0b10).
 */
export function looksLikeStun(bytes: Uint8Array): boolean {
  return (
    bytes.length >= HEADER_LENGTH &&
    (bytes[0]! & 0xc0) === 0 &&
    ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0 === MAGIC_COOKIE
  );
}

function fail(offset: number, reason: string): { ok: false; error: StunParseError } {
  return err({ code: 'STUN_PARSE', offset, reason });
}

/**
 * Decodes a STUN message. Never throws: our own bounds walk runs first so the stun package only
 * ever sees structurally valid input, and anything it still rejects becomes a STUN_PARSE value.
 */
export function decodeStun(bytes: Uint8Array): Result<StunMessage, StunParseError> {
  if (bytes.length < HEADER_LENGTH) return fail(0, `message is ${bytes.length} bytes, shorter than the 20-byte header`);
  if (bytes.length > MAX_STUN_MESSAGE) return fail(0, `message of ${bytes.length} bytes exceeds the limit`);
  if ((bytes[0]! & 0xc0) !== 0) return fail(0, 'first two bits are not zero');
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length % 4 !== 0) return fail(2, `length ${length} is not a multiple of 4`);
  if (length + HEADER_LENGTH !== bytes.length) return fail(2, `length field says ${length + HEADER_LENGTH} bytes, datagram has ${bytes.length}`);
  const cookie = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  if (cookie !== MAGIC_COOKIE) return fail(4, 'no magic cookie (RFC 3489 or not STUN)');

  const attributes: RawAttribute[] = [];
  let off = HEADER_LENGTH;
  let sawIntegrity = false;
  let sawFingerprint = false;
  while (off < bytes.length) {
    if (attributes.length >= MAX_ATTRIBUTES) return fail(off, `more than ${MAX_ATTRIBUTES} attributes`);
    if (off + 4 > bytes.length) return fail(off, 'truncated attribute header');
    const type = (bytes[off]! << 8) | bytes[off + 1]!;
    const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    const padded = (len + 3) & ~3;
    if (off + 4 + padded > bytes.length) return fail(off, `attribute 0x${type.toString(16).padStart(4, '0')} of ${len} bytes overruns the message`);
    // RFC 8489 §14.5/§14.7: only FINGERPRINT may follow MESSAGE-INTEGRITY, nothing follows FINGERPRINT.
    if (sawFingerprint) return fail(off, 'attribute after FINGERPRINT');
    if (sawIntegrity && type !== Attr.FINGERPRINT) {
      off += 4 + padded;
      continue; // ignored per RFC 8489 §14.5
    }
    attributes.push({ type, value: bytes.subarray(off + 4, off + 4 + len), offset: off });
    if (type === Attr.MESSAGE_INTEGRITY) {
      if (len !== 20) return fail(off, `MESSAGE-INTEGRITY of ${len} bytes, expected 20`);
      sawIntegrity = true;
    }
    if (type === Attr.FINGERPRINT) {
      if (len !== 4) return fail(off, `FINGERPRINT of ${len} bytes, expected 4`);
      sawFingerprint = true;
    }
    off += 4 + padded;
  }

  const typed = new Map<number, unknown>();
  try {
    const decoded = stunPackage.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    for (const a of decoded) if (!typed.has(a.type)) typed.set(a.type, a.value);
  } catch (e) {
    return fail(HEADER_LENGTH, `stun package rejected the attributes: ${(e as Error).message}`);
  }

  const { method, cls } = splitMessageType((bytes[0]! << 8) | bytes[1]!);
  return ok({ method, cls, transactionId: bytes.slice(8, 20), attributes, raw: bytes, typed });
}

export function getAttribute(msg: StunMessage, type: number): RawAttribute | undefined {
  return msg.attributes.find((a) => a.type === type);
}

export function transactionKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** An address attribute's value as the stun package decoded it (XOR already undone). */
export function addressAttribute(msg: StunMessage, type: number): TransportAddress | undefined {
  const v = msg.typed.get(type) as { address?: unknown; port?: unknown } | undefined;
  if (!v || typeof v.address !== 'string' || typeof v.port !== 'number') return undefined;
  return { ip: v.address, port: v.port };
}

export function uint32Attribute(msg: StunMessage, type: number): number | undefined {
  const a = getAttribute(msg, type);
  if (!a || a.value.length < 4) return undefined;
  return ((a.value[0]! << 24) | (a.value[1]! << 16) | (a.value[2]! << 8) | a.value[3]!) >>> 0;
}

export function textAttribute(msg: StunMessage, type: number): string | undefined {
  const a = getAttribute(msg, type);
  return a ? new TextDecoder('utf-8', { fatal: false }).decode(a.value) : undefined;
}

export interface StunErrorCode {
  readonly code: number;
  readonly reason: string;
}

/** ERROR-CODE (RFC 8489 §14.8): class × 100 + number, then the reason phrase. */
export function errorCodeAttribute(msg: StunMessage): StunErrorCode | undefined {
  const a = getAttribute(msg, Attr.ERROR_CODE);
  if (!a || a.value.length < 4) return undefined;
  const code = (a.value[2]! & 0x07) * 100 + a.value[3]!;
  return { code, reason: new TextDecoder().decode(a.value.subarray(4)).trim() };
}
