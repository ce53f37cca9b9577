import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Attr, FINGERPRINT_XOR, HEADER_LENGTH } from './constants';
import { crc32 } from './crc32';
import { getAttribute, type StunMessage } from './message';

export function hmacSha1(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha1', key).update(data).digest());
}

/** Short-term credential key (RFC 8489 §9.1.1): the password itself (OpaqueString-prepared). */
export function shortTermKey(password: string): Uint8Array {
  return new TextEncoder().encode(password.normalize('NFKC'));
}

/** Long-term credential key (RFC 8489 §9.2.2, MD5 variant): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return new Uint8Array(createHash('md5').update(`${username}:${realm}:${password}`).digest());
}

export type IntegrityCheck = 'valid' | 'invalid' | 'absent';

/**
 * Checks MESSAGE-INTEGRITY on the received bytes (RFC 8489 §14.5): HMAC over everything before
 * the attribute, with the header length rewritten to end just after it.
 */
export function checkIntegrity(msg: StunMessage, key: Uint8Array): IntegrityCheck {
  const mi = getAttribute(msg, Attr.MESSAGE_INTEGRITY);
  if (!mi) return 'absent';
  const covered = msg.raw.slice(0, mi.offset);
  const len = mi.offset + 24 - HEADER_LENGTH;
  covered[2] = len >>> 8;
  covered[3] = len & 0xff;
  const want = hmacSha1(key, covered);
  return want.length === mi.value.length && timingSafeEqual(want, mi.value) ? 'valid' : 'invalid';
}

/** Checks FINGERPRINT (RFC 8489 §14.7): CRC-32 of everything before it, XOR 0x5354554e. */
export function checkFingerprint(msg: StunMessage, table?: Uint32Array): IntegrityCheck {
  const fp = getAttribute(msg, Attr.FINGERPRINT);
  if (!fp) return 'absent';
  const got = ((fp.value[0]! << 24) | (fp.value[1]! << 16) | (fp.value[2]! << 8) | fp.value[3]!) >>> 0;
  return ((crc32(msg.raw.subarray(0, fp.offset), table) ^ FINGERPRINT_XOR) >>> 0) === got ? 'valid' : 'invalid';
}
