/**
 * Byte/text helpers for the codec. Header sections are decoded one byte per character (ISO
 * 8859-1) so that a character index is a byte offset: errors then name the exact byte, and
 * Content-Length arithmetic stays in bytes. Values that carry UTF-8 (display names) are
 * re-decoded afterwards.
 */
import { Buffer } from 'node:buffer';

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/**
 * ISO 8859-1, one character per byte. Not TextDecoder('latin1'): the Encoding Standard maps that
 * label to windows-1252, which would not give back the byte from the character code.
 */
export function latin1(bytes: Uint8Array, from = 0, to = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', from, to);
}

/** Re-reads a byte-per-character string as UTF-8 (only when it has non-ASCII bytes). */
export function latin1ToUtf8(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s;
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return utf8Decoder.decode(b);
}

export function utf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function toUtf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
