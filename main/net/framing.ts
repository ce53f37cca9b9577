import { MediapathError } from '../common/errors';

/**
 * RFC 4571 framing: each datagram on a stream is preceded by a 16-bit length. Used by ICE-TCP
 * (RFC 6544) for STUN checks and RTP. Sans-IO: bytes in, whole frames out, whatever the chunking.
 */
export const RFC4571_MAX_FRAME = 0xffff;

export function encodeRfc4571(frame: Uint8Array): Uint8Array {
  if (frame.length > RFC4571_MAX_FRAME) {
    throw new MediapathError('FRAME_TOO_LARGE', `RFC 4571 frame of ${frame.length} bytes exceeds 65535`, {
      layer: 'net',
    });
  }
  const out = new Uint8Array(frame.length + 2);
  out[0] = frame.length >>> 8;
  out[1] = frame.length & 0xff;
  out.set(frame, 2);
  return out;
}

/** Accumulates stream chunks and returns complete frames; partial input waits for more. */
export class Rfc4571Deframer {
  private buf: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = concat(this.buf, chunk);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (this.buf.length - off >= 2) {
      const len = (this.buf[off]! << 8) | this.buf[off + 1]!;
      if (this.buf.length - off - 2 < len) break;
      frames.push(this.buf.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.buf = this.buf.slice(off);
    return frames;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
