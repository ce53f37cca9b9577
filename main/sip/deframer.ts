import { concat } from '../net/framing';
import { lenientScan } from './bad-request';
import { parseStartLine, type RawHeader, scanHeaderSection } from './header-section';
import { SIP_LIMITS, type SipLimits } from './limits';
import { type SipParseError, sipParseError } from './message';
import { contentLength } from './parse';

export type DeframedItem =
  | { readonly kind: 'message'; readonly bytes: Uint8Array }
  /** RFC 5626 §4.4.1 keep-alive ping: a double CRLF between messages. */
  | { readonly kind: 'ping' }
  /**
   * RFC 5626 §4.4.1 pong: a single CRLF between messages. A lone CRLF at the end of what has
   * arrived is reported at once (the pinging side waits for it), so a ping cut between two
   * reads shows up as two pongs; answering those is harmless.
   */
  | { readonly kind: 'pong' }
  /** The stream cannot be resynchronised: the transport should close the connection. */
  | { readonly kind: 'error'; readonly error: SipParseError };

/**
 * Cuts a SIP byte stream (TCP, TLS) into whole messages, whatever the chunking. On a stream,
 * Content-Length is the only frame boundary, so a message without it is an error (RFC 3261
 * §18.3). Error offsets count bytes from the start of the stream. Sans-IO: bytes in, items out.
 *
 * A request with a broken header line is still framed when its start line parses and a
 * Content-Length can be read from its other lines: the empty line and that length bound it, so it
 * is handed on whole as a `message` (whose parse fails, and the transport answers 400 as RFC 3261
 * §8.2 / §21.4.1 asks) and the stream goes on. A response, or a request without a readable
 * Content-Length, still loses the stream: nobody could answer it, or its end is unknown.
 */
export class SipStreamDeframer {
  // 'headers': waiting for the empty line; 'body': waiting for `need` bytes; 'failed': terminal.
  private state: 'headers' | 'body' | 'failed' = 'headers';
  private buf: Uint8Array = new Uint8Array(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  /** Where the next search for the empty line resumes (bytes already searched are not rescanned). */
  private scanFrom = 0;
  private need = 0;

  constructor(private readonly limits: SipLimits = SIP_LIMITS) {}

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): DeframedItem[] {
    if (this.state === 'failed') return [];
    this.buf = concat(this.buf, chunk);
    const out: DeframedItem[] = [];
    while (true) {
      if (this.state === 'headers') {
        const keepalive = this.keepalive();
        if (keepalive === 'wait') break;
        if (keepalive) {
          out.push({ kind: keepalive });
          continue;
        }
        const end = this.headerEnd();
        if (end < 0) {
          if (this.buf.length > this.limits.maxMessageBytes) this.fail(out, this.limits.maxMessageBytes, 'headers exceed the message size limit');
          break;
        }
        const section = scanHeaderSection(this.buf, this.limits, end);
        let headers: readonly RawHeader[];
        if (section.ok) {
          headers = section.value.headers;
        } else {
          const salvaged = this.salvageRequest(end);
          if (!salvaged) {
            this.fail(out, section.error.offset, section.error.reason);
            break;
          }
          headers = salvaged;
        }
        const length = contentLength(headers);
        if (!length.ok) {
          this.fail(out, length.error.offset, length.error.reason);
          break;
        }
        if (length.value === undefined) {
          this.fail(out, 0, 'missing Content-Length on a stream transport (RFC 3261 §18.3)');
          break;
        }
        if (end + length.value > this.limits.maxMessageBytes) {
          this.fail(out, 0, `message of ${end + length.value} bytes exceeds ${this.limits.maxMessageBytes}`);
          break;
        }
        this.need = end + length.value;
        this.state = 'body';
      }
      if (this.state === 'body') {
        if (this.buf.length < this.need) break;
        out.push({ kind: 'message', bytes: this.buf.slice(0, this.need) });
        this.consume(this.need);
        this.state = 'headers';
        continue;
      }
      break;
    }
    return out;
  }

  /** CRLFs between messages: 'ping' / 'pong' consumed, 'wait' for a split `\r\n\r`, or none. */
  private keepalive(): 'ping' | 'pong' | 'wait' | undefined {
    const b = this.buf;
    if (b.length === 0) return 'wait';
    if (b[0] === 0x0a) {
      this.consume(1); // a stray LF: nothing to answer, just skip it
      return this.keepalive();
    }
    if (b[0] !== 0x0d) return undefined;
    if (b.length < 2) return 'wait';
    if (b[1] !== 0x0a) return undefined; // a lone CR is not ours to interpret: let the scan fail on it
    if (b.length >= 4 && b[2] === 0x0d && b[3] === 0x0a) {
      this.consume(4);
      return 'ping';
    }
    if (b.length === 3 && b[2] === 0x0d) return 'wait';
    this.consume(2);
    return 'pong';
  }

  /** The readable header lines of a request whose section did not scan, or undefined (not a request). */
  private salvageRequest(end: number): readonly RawHeader[] | undefined {
    const scanned = lenientScan(this.buf, end, this.limits);
    if (!scanned) return undefined;
    const start = parseStartLine(scanned.startLine, 0);
    return start.ok && start.value.kind === 'request' ? scanned.headers : undefined;
  }

  /** Offset just past the empty line ending the headers, or -1. */
  private headerEnd(): number {
    const b = this.buf;
    for (let i = Math.max(0, this.scanFrom); i < b.length; i++) {
      if (b[i] !== 0x0a) continue;
      if (b[i + 1] === 0x0a) return i + 2;
      if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
    }
    this.scanFrom = Math.max(0, b.length - 2);
    return -1;
  }

  private consume(n: number): void {
    this.buf = this.buf.slice(n);
    this.base += n;
    this.scanFrom = 0;
  }

  private fail(out: DeframedItem[], offset: number, reason: string): void {
    this.state = 'failed';
    out.push({ kind: 'error', error: sipParseError(this.base + offset, reason) });
    this.buf = new Uint8Array(0);
  }
}
