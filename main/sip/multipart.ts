import { MediapathError } from '../common/errors';
import { err, ok, type Result } from '../common/result';
import type { RandomSource } from '../common/random';
import { canonicalHeaderName, isToken, splitOutside, unquote } from './headers';
import { SIP_LIMITS, type SipLimits } from './limits';
import { type SipHeader, type SipParseError, sipParseError } from './message';
import { clip, emptyParams, type Params, parseParams } from './params';

/**
 * MIME multipart bodies (RFC 2046 §5.1) as Lync sends them: an INVITE whose body is
 * multipart/alternative with an ICE draft-6 SDP part (Content-Disposition `session;
 * handling=optional; ms-proxy-2007fallback`) and an ICE v19 part last ([MS-SIPRE] 3.15.4.1).
 * This module is generic MIME; which SDP goes in which part is sdp/'s business, and it hands
 * parts over as plain `MimePartSpec` objects (sdp may not import sip: DESIGN.md layering).
 * Offsets in errors are character offsets into the body string.
 */
export interface MimePart {
  readonly headers: readonly SipHeader[];
  readonly body: string;
}

export interface MultipartBody {
  readonly subtype: string;
  readonly boundary: string;
  readonly parts: readonly MimePart[];
}

/** What a caller supplies to build one part. */
export interface MimePartSpec {
  readonly contentType: string;
  readonly contentDisposition?: string;
  /** Extra part headers (Content-ID, Content-Transfer-Encoding…), written after Content-Type. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export interface ParsedContentType {
  /** Lower-cased `type/subtype`. */
  readonly mediaType: string;
  readonly params: Params;
}

export function parseContentType(value: string): Result<ParsedContentType, SipParseError> {
  const [head, ...rest] = splitOutside(value, ';', false);
  const mediaType = (head?.text ?? '').toLowerCase();
  const slash = mediaType.indexOf('/');
  if (slash <= 0 || !isToken(mediaType.slice(0, slash)) || !isToken(mediaType.slice(slash + 1))) {
    return err(sipParseError(0, `bad media type "${clip(mediaType)}"`));
  }
  if (rest.length === 0) return ok({ mediaType, params: emptyParams() });
  const semi = value.indexOf(';');
  const params = parseParams(value.slice(semi + 1), semi + 1);
  return params.ok ? ok({ mediaType, params: params.value }) : params;
}

export interface ContentDisposition {
  /** Lower-cased disposition type: `session`, `render`, `signal`… */
  readonly type: string;
  readonly params: Params;
}

/** RFC 3261 §20.11 (`session; handling=optional; ms-proxy-2007fallback`). */
export function parseContentDisposition(value: string): Result<ContentDisposition, SipParseError> {
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (!isToken(type)) return err(sipParseError(0, `bad disposition type "${clip(type)}"`));
  if (semi < 0) return ok({ type, params: emptyParams() });
  const params = parseParams(value.slice(semi + 1), semi + 1);
  return params.ok ? ok({ type, params: params.value }) : params;
}

/** `Content-Type` of a part, lower-cased without parameters; `text/plain` when absent (RFC 2046 §5.1). */
export function partMediaType(part: MimePart): string {
  const h = part.headers.find((x) => x.name === 'Content-Type');
  if (!h) return 'text/plain';
  const ct = parseContentType(h.value);
  return ct.ok ? ct.value.mediaType : '';
}

export function partHeader(part: MimePart, name: string): string | undefined {
  const want = canonicalHeaderName(name);
  return part.headers.find((h) => h.name === want)?.value;
}

const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

export function parseMultipart(
  body: string,
  contentType: string,
  limits: SipLimits = SIP_LIMITS,
): Result<MultipartBody, SipParseError> {
  const ct = parseContentType(contentType);
  if (!ct.ok) return ct;
  if (!ct.value.mediaType.startsWith('multipart/')) return err(sipParseError(0, `not multipart: ${ct.value.mediaType}`));
  const rawBoundary = ct.value.params['boundary'];
  const boundary = rawBoundary ? unquote(rawBoundary) : '';
  if (!BOUNDARY_RE.test(boundary)) return err(sipParseError(0, 'missing or bad boundary parameter'));
  const dash = `--${boundary}`;

  // The first delimiter may open the body or follow a preamble line (RFC 2046 §5.1.1).
  let at = body.startsWith(dash) ? 0 : lineStartIndexOf(body, dash, 0);
  if (at < 0) return err(sipParseError(0, 'no boundary delimiter in body'));
  const parts: MimePart[] = [];
  while (true) {
    let p = at + dash.length;
    if (body.startsWith('--', p)) return ok({ subtype: ct.value.mediaType.slice(10), boundary, parts });
    const eol = body.indexOf('\n', p);
    if (eol < 0) return err(sipParseError(p, 'boundary line not ended'));
    if (body.slice(p, eol).replace(/[ \t\r]/g, '') !== '') return err(sipParseError(p, 'text after boundary delimiter'));
    p = eol + 1;
    const next = lineStartIndexOf(body, dash, p);
    if (next < 0) return err(sipParseError(p, 'multipart part without a closing boundary'));
    if (parts.length >= limits.maxMultipartParts) {
      return err(sipParseError(p, `more than ${limits.maxMultipartParts} parts`));
    }
    // The CRLF before a delimiter belongs to the delimiter, not to the part.
    const partEnd = body[next - 2] === '\r' ? next - 2 : next - 1;
    const part = parsePart(body.slice(p, Math.max(p, partEnd)), p);
    if (!part.ok) return part;
    parts.push(part.value);
    at = next;
  }
}

/** Index of `needle` at the start of a line at or after `from`, or -1. */
function lineStartIndexOf(s: string, needle: string, from: number): number {
  const i = s.indexOf(`\n${needle}`, Math.max(0, from - 1));
  return i < 0 ? -1 : i + 1;
}

function parsePart(text: string, base: number): Result<MimePart, SipParseError> {
  const headers: SipHeader[] = [];
  let pos = 0;
  while (true) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(pos, lineEnd).replace(/\r$/, '');
    if (line === '') {
      return ok({ headers, body: nl < 0 ? '' : text.slice(nl + 1) });
    }
    if (line[0] === ' ' || line[0] === '\t') {
      const prev = headers.pop();
      if (!prev) return err(sipParseError(base + pos, 'continuation line before any part header'));
      headers.push({ name: prev.name, value: `${prev.value} ${line.trim()}` });
    } else {
      const colon = line.indexOf(':');
      const name = colon < 0 ? '' : line.slice(0, colon).trim();
      if (!isToken(name)) return err(sipParseError(base + pos, `bad part header "${clip(line)}"`));
      if (headers.length >= 32) return err(sipParseError(base + pos, 'too many part headers'));
      headers.push({ name: canonicalHeaderName(name), value: line.slice(colon + 1).trim() });
    }
    if (nl < 0) return ok({ headers, body: '' });
    pos = nl + 1;
  }
}

/** A boundary nobody will find in an SDP body: 24 random hex digits after a fixed prefix. */
export function makeBoundary(random: RandomSource): string {
  const hex = Array.from(random.bytes(12), (b) => b.toString(16).padStart(2, '0')).join('');
  return `----=_NextPart_${hex}`;
}

export function buildMultipart(
  parts: readonly MimePartSpec[],
  opts: { readonly subtype: 'alternative' | 'mixed' | 'related'; readonly boundary: string },
): { contentType: string; body: string } {
  if (!BOUNDARY_RE.test(opts.boundary)) {
    throw new MediapathError('INVALID_ARGUMENT', `bad MIME boundary "${opts.boundary}"`, { layer: 'sip' });
  }
  let body = '';
  for (const p of parts) {
    if (p.body.includes(`--${opts.boundary}`)) {
      throw new MediapathError('INVALID_ARGUMENT', 'a part body contains the MIME boundary', { layer: 'sip' });
    }
    body += `--${opts.boundary}\r\nContent-Type: ${p.contentType}\r\n`;
    for (const [k, v] of p.headers ?? []) body += `${canonicalHeaderName(k)}: ${v}\r\n`;
    if (p.contentDisposition !== undefined) body += `Content-Disposition: ${p.contentDisposition}\r\n`;
    body += `\r\n${p.body}\r\n`;
  }
  body += `--${opts.boundary}--\r\n`;
  return { contentType: `multipart/${opts.subtype};boundary="${opts.boundary}"`, body };
}
