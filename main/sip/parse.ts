import { err, ok, type Result } from '../common/result';
import { latin1ToUtf8, toUtf8Bytes, utf8 } from './bytes';
import { canonicalHeaderName, isListHeader, splitHeaderList } from './headers';
import { parseCSeq, parseVia } from './header-values';
import { parseStartLine, type RawHeader, scanHeaderSection } from './header-section';
import { SIP_LIMITS, type SipLimits } from './limits';
import { type SipHeader, type SipMessage, type SipParseError, sipParseError } from './message';

export interface SipParseOptions {
  readonly limits?: SipLimits;
}

/** Headers without which no transaction can match the message (RFC 3261 §8.1.1). */
const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/**
 * Parses one whole SIP message (a datagram, or a frame cut by `SipStreamDeframer`). Never
 * throws: every failure is a `SIP_PARSE` value with the byte offset and the reason.
 *
 * Content-Length: a datagram may carry bytes past it, which are discarded (RFC 3261 §18.3);
 * fewer bytes than it announces is an error; without it the body is the rest of the datagram.
 */
export function parseSipMessage(input: Uint8Array | string, opts: SipParseOptions = {}): Result<SipMessage, SipParseError> {
  const limits = opts.limits ?? SIP_LIMITS;
  const bytes = typeof input === 'string' ? toUtf8Bytes(input) : input;
  if (bytes.length > limits.maxMessageBytes) {
    return err(sipParseError(limits.maxMessageBytes, `message of ${bytes.length} bytes exceeds ${limits.maxMessageBytes}`));
  }
  const section = scanHeaderSection(bytes, limits);
  if (!section.ok) return section;
  const { startLine, startLineOffset, bodyStart } = section.value;
  const start = parseStartLine(startLine, startLineOffset);
  if (!start.ok) return start;

  const headers = expandHeaders(section.value.headers, limits);
  if (!headers.ok) return headers;
  const checked = checkMandatory(headers.value, section.value.headers, start.value, bodyStart);
  if (!checked.ok) return checked;

  const length = contentLength(section.value.headers);
  if (!length.ok) return length;
  const available = bytes.length - bodyStart;
  let bodyBytes: Uint8Array;
  if (length.value === undefined) bodyBytes = bytes.subarray(bodyStart);
  else if (length.value > available) {
    return err(sipParseError(bodyStart, `Content-Length ${length.value} but only ${available} body bytes`));
  } else bodyBytes = bytes.subarray(bodyStart, bodyStart + length.value);

  const common = { headers: headers.value.map((h) => h.header), body: utf8(bodyBytes) };
  return ok(start.value.kind === 'request' ? { ...start.value, ...common } : { ...start.value, ...common });
}

interface PlacedHeader {
  readonly header: SipHeader;
  readonly offset: number;
}

/** Canonical names, comma lists split into entries, UTF-8 restored in values. */
function expandHeaders(raw: readonly RawHeader[], limits: SipLimits): Result<PlacedHeader[], SipParseError> {
  const out: PlacedHeader[] = [];
  const max = limits.maxHeaders;
  for (const h of raw) {
    const name = canonicalHeaderName(h.name);
    // Measured as we would write it (long name, unfolded), so whatever we accept we can send.
    if (name.length + 2 + h.value.length > limits.maxHeaderLineBytes) {
      return err(sipParseError(h.offset, `header longer than ${limits.maxHeaderLineBytes} bytes`));
    }
    const pieces = isListHeader(name) ? splitHeaderList(h.value) : [{ text: h.value, start: 0 }];
    for (const p of pieces) {
      if (out.length >= max) return err(sipParseError(h.offset, `more than ${max} header values`));
      out.push({ header: { name, value: latin1ToUtf8(p.text) }, offset: h.valueOffset + p.start });
    }
  }
  return ok(out);
}

function checkMandatory(
  headers: readonly PlacedHeader[],
  raw: readonly RawHeader[],
  start: { kind: 'request'; method: string } | { kind: 'response' },
  bodyStart: number,
): Result<true, SipParseError> {
  for (const name of MANDATORY) {
    if (!headers.some((h) => h.header.name === name)) {
      // Where the header should have been: the empty line that ends the headers.
      return err(sipParseError(Math.max(0, bodyStart - 2), `missing ${name} header`));
    }
  }
  const top = headers.find((h) => h.header.name === 'Via')!;
  const via = parseVia(top.header.value);
  if (!via.ok) return err(sipParseError(top.offset + via.error.offset, via.error.reason));
  const cseqH = headers.find((h) => h.header.name === 'CSeq')!;
  const cseq = parseCSeq(cseqH.header.value);
  if (!cseq.ok) return err(sipParseError(cseqH.offset, cseq.error.reason));
  if (start.kind === 'request' && cseq.value.method !== start.method) {
    return err(sipParseError(cseqH.offset, `CSeq method ${cseq.value.method} differs from ${start.method}`));
  }
  for (const name of ['Call-ID', 'From', 'To'] as const) {
    if (raw.filter((h) => canonicalHeaderName(h.name) === name).length > 1) {
      const second = raw.filter((h) => canonicalHeaderName(h.name) === name)[1]!;
      return err(sipParseError(second.offset, `more than one ${name} header`));
    }
  }
  return ok(true);
}

/** The declared body length; several Content-Length headers must agree. */
export function contentLength(raw: readonly RawHeader[]): Result<number | undefined, SipParseError> {
  let value: number | undefined;
  for (const h of raw) {
    if (canonicalHeaderName(h.name) !== 'Content-Length') continue;
    if (!/^\d{1,9}$/.test(h.value)) return err(sipParseError(h.valueOffset, `bad Content-Length "${h.value.slice(0, 20)}"`));
    const n = Number(h.value);
    if (value !== undefined && value !== n) return err(sipParseError(h.valueOffset, 'conflicting Content-Length headers'));
    value = n;
  }
  return ok(value);
}
