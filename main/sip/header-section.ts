import { err, ok, type Result } from '../common/result';
import { latin1 } from './bytes';
import { isToken } from './headers';
import { type SipParseError, sipParseError } from './message';
import { clip } from './params';
import type { SipLimits } from './limits';

/** A header line as written, after unfolding; offsets are bytes into the scanned input. */
export interface RawHeader {
  readonly name: string;
  readonly value: string;
  readonly offset: number;
  readonly valueOffset: number;
}

export interface HeaderSection {
  readonly startLine: string;
  readonly startLineOffset: number;
  readonly headers: readonly RawHeader[];
  /** Offset of the first body byte (just after the empty line). */
  readonly bodyStart: number;
}

/**
 * Reads the start line and header lines up to the empty line. Lines end in CRLF; a bare LF is
 * accepted too (robustness; RFC 3261 §7 requires CRLF). A line starting with SP or HTAB
 * continues the previous header (RFC 3261 §7.3.1): the line break and leading white space become
 * one SP. Leading CRLFs before the start line are skipped (RFC 3261 §7.5).
 */
export function scanHeaderSection(
  bytes: Uint8Array,
  limits: SipLimits,
  end = bytes.length,
): Result<HeaderSection, SipParseError> {
  let pos = 0;
  while (pos < end && (bytes[pos] === 0x0d || bytes[pos] === 0x0a)) pos++;
  if (pos >= end) return err(sipParseError(pos, 'empty message'));
  // Decode once, one character per byte, so string indexes are byte offsets.
  const text = latin1(bytes, 0, end);
  const startLineOffset = pos;
  let startLine: string | undefined;
  const headers: { name: string; value: string; offset: number; valueOffset: number }[] = [];
  while (true) {
    const lf = text.indexOf('\n', pos);
    if (lf < 0) return err(sipParseError(end, 'headers are not ended by an empty line'));
    const lineEnd = lf > pos && text.charCodeAt(lf - 1) === 0x0d ? lf - 1 : lf;
    if (lineEnd - pos > limits.maxHeaderLineBytes) {
      return err(sipParseError(pos, `line longer than ${limits.maxHeaderLineBytes} bytes`));
    }
    const line = text.slice(pos, lineEnd);
    if (startLine === undefined) {
      startLine = line;
    } else if (line === '') {
      return ok({ startLine, startLineOffset, headers, bodyStart: lf + 1 });
    } else if (line[0] === ' ' || line[0] === '\t') {
      const prev = headers[headers.length - 1];
      if (!prev) return err(sipParseError(pos, 'continuation line before any header'));
      prev.value = `${prev.value} ${line.trim()}`.trim();
      if (prev.value.length > limits.maxHeaderLineBytes) {
        return err(sipParseError(prev.offset, `header longer than ${limits.maxHeaderLineBytes} bytes after unfolding`));
      }
    } else {
      const colon = line.indexOf(':');
      if (colon < 0) return err(sipParseError(pos, `header line without ":" ("${clip(line)}")`));
      const name = line.slice(0, colon).replace(/[ \t]+$/, '');
      if (!isToken(name)) return err(sipParseError(pos, `bad header name "${clip(name)}"`));
      if (headers.length >= limits.maxHeaders) {
        return err(sipParseError(pos, `more than ${limits.maxHeaders} headers`));
      }
      const rawValue = line.slice(colon + 1);
      const lead = rawValue.length - rawValue.replace(/^[ \t]+/, '').length;
      headers.push({ name, value: rawValue.trim(), offset: pos, valueOffset: pos + colon + 1 + lead });
    }
    pos = lf + 1;
  }
}

/** Start line of a request: `METHOD SP Request-URI SP SIP/2.0` (RFC 3261 §7.1). */
export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

export function parseStartLine(line: string, base: number): Result<StartLine, SipParseError> {
  if (/^SIP\//i.test(line)) {
    const m = /^SIP\/2\.0 (\d{3})(?: (.*))?$/i.exec(line);
    if (!m) {
      const bad = /^SIP\/2\.0 /i.test(line) ? base + 8 : base;
      return err(sipParseError(bad, `bad status line "${clip(line)}"`));
    }
    const status = Number(m[1]);
    if (status < 100 || status > 699) return err(sipParseError(base + 8, `status code ${status} out of range`));
    return ok({ kind: 'response', status, reason: (m[2] ?? '').trim() });
  }
  const sp1 = line.indexOf(' ');
  const method = sp1 < 0 ? line : line.slice(0, sp1);
  if (!isToken(method)) return err(sipParseError(base, `bad method "${clip(method)}"`));
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) return err(sipParseError(base + line.length, 'request line needs METHOD URI SIP/2.0'));
  const uri = line.slice(sp1 + 1, sp2);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return err(sipParseError(base + sp1 + 1, `bad Request-URI "${clip(uri)}"`));
  const version = line.slice(sp2 + 1);
  if (version.toUpperCase() !== 'SIP/2.0') {
    return err(sipParseError(base + sp2 + 1, `unsupported version "${clip(version)}"`));
  }
  return ok({ kind: 'request', method, uri });
}
