import { concat } from '../net/framing';

/**
 * Splits a TURN-over-TCP/TLS byte stream into messages (RFC 8656 §12.5): a STUN message is
 * 20 + its length field; a ChannelData message is 4 + its length rounded up to 4. The first two
 * bits tell them apart. Anything else means the stream is out of step and cannot be recovered.
 */
export type StreamFrameResult = { readonly frames: Uint8Array[]; readonly error?: string };

export class TurnStreamDeframer {
  private buf: Uint8Array = new Uint8Array(0);
  private broken = false;

  push(chunk: Uint8Array): StreamFrameResult {
    if (this.broken) return { frames: [] };
    this.buf = concat(this.buf, chunk);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const first = this.buf[off]! & 0xc0;
      const len = (this.buf[off + 2]! << 8) | this.buf[off + 3]!;
      let total: number;
      if (first === 0x00) total = 20 + len;
      else if (first === 0x40) total = 4 + ((len + 3) & ~3);
      else {
        const bad = this.buf[off]!;
        this.broken = true;
        this.buf = new Uint8Array(0);
        return { frames, error: `stream out of step: byte 0x${bad.toString(16).padStart(2, '0')} starts neither STUN nor ChannelData` };
      }
      if (this.buf.length - off < total) break;
      frames.push(this.buf.slice(off, off + total));
      off += total;
    }
    this.buf = this.buf.slice(off);
    return { frames };
  }
}
