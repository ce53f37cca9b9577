import { canonicalHeaderName } from './headers';

/**
 * The in-memory SIP message: a start line, an ordered header list and a text body. Header names
 * are canonical long forms (`v` arrives as `Via`); comma lists are already split into one entry
 * per value (RFC 3261 §7.3.1 makes both spellings equivalent), so `getHeaders(m, 'Via')` is the
 * whole Via stack in order. The raw text a peer sent is kept by the transport for the ladder,
 * not here.
 */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

interface SipMessageBase {
  readonly headers: readonly SipHeader[];
  /** Decoded as UTF-8; serialization recomputes Content-Length from its UTF-8 length. */
  readonly body: string;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** What every SIP parser here returns on hostile input: where it broke and why. */
export interface SipParseError {
  readonly code: 'SIP_PARSE';
  /** Byte offset into the input (for a header value: into that value). */
  readonly offset: number;
  readonly reason: string;
}

export function sipParseError(offset: number, reason: string): SipParseError {
  return { code: 'SIP_PARSE', offset, reason };
}

export const SIP_VERSION = 'SIP/2.0';

/** Header pairs as written by callers: `[['Via', '…'], ['Max-Forwards', '70']]`. */
export type HeaderInput = ReadonlyArray<readonly [string, string]>;

function toHeaders(input: HeaderInput): SipHeader[] {
  return input.map(([name, value]) => ({ name: canonicalHeaderName(name), value }));
}

export function sipRequest(method: string, uri: string, headers: HeaderInput, body = ''): SipRequest {
  return { kind: 'request', method, uri, headers: toHeaders(headers), body };
}

export function sipResponse(status: number, reason: string, headers: HeaderInput, body = ''): SipResponse {
  return { kind: 'response', status, reason, headers: toHeaders(headers), body };
}

/** First value of a header (any spelling: `Call-ID`, `call-id`, `i`), or undefined. */
export function getHeader(msg: Pick<SipMessage, 'headers'>, name: string): string | undefined {
  const want = canonicalHeaderName(name).toLowerCase();
  return msg.headers.find((h) => h.name.toLowerCase() === want)?.value;
}

/** Every value of a header, in message order. */
export function getHeaders(msg: Pick<SipMessage, 'headers'>, name: string): string[] {
  const want = canonicalHeaderName(name).toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === want).map((h) => h.value);
}

/**
 * A copy with `name` set to `values`: they take the place of the first existing entry (so a
 * header keeps its position), other entries of that name are dropped; appended when absent.
 */
export function withHeader<M extends SipMessage>(msg: M, name: string, ...values: string[]): M {
  const canonical = canonicalHeaderName(name);
  const want = canonical.toLowerCase();
  const fresh = values.map((value) => ({ name: canonical, value }));
  const out: SipHeader[] = [];
  let placed = false;
  for (const h of msg.headers) {
    if (h.name.toLowerCase() !== want) out.push(h);
    else if (!placed) {
      out.push(...fresh);
      placed = true;
    }
  }
  if (!placed) out.push(...fresh);
  return { ...msg, headers: out };
}

/** A copy with one more entry appended (a second Via goes first: use `prependHeader`). */
export function addHeader<M extends SipMessage>(msg: M, name: string, value: string): M {
  return { ...msg, headers: [...msg.headers, { name: canonicalHeaderName(name), value }] };
}

/** A copy with `value` as the first entry of `name`, before the existing ones (Via, Record-Route). */
export function prependHeader<M extends SipMessage>(msg: M, name: string, value: string): M {
  const canonical = canonicalHeaderName(name);
  const want = canonical.toLowerCase();
  const i = msg.headers.findIndex((h) => h.name.toLowerCase() === want);
  const headers = [...msg.headers];
  headers.splice(i < 0 ? headers.length : i, 0, { name: canonical, value });
  return { ...msg, headers };
}

export function removeHeader<M extends SipMessage>(msg: M, name: string): M {
  const want = canonicalHeaderName(name).toLowerCase();
  return { ...msg, headers: msg.headers.filter((h) => h.name.toLowerCase() !== want) };
}
