import { latin1, latin1ToUtf8, toUtf8Bytes } from './bytes';
import { canonicalHeaderName, isListHeader, splitHeaderList } from './headers';
import { parseCSeq, parseVia } from './header-values';
import { parseStartLine, type RawHeader, scanHeaderSection } from './header-section';
import { SIP_LIMITS, type SipLimits } from './limits';
import type { SipParseError } from './message';
import { clip } from './params';
import { parseSipMessage } from './parse';

/**
 * The answer to a request we could not parse. RFC 3261 §8.2 (and §16.3 for proxies) answers a
 * malformed request with 400, but only when a response can be built and routed: the start line
 * must name a request (never answer a response, and never an ACK, §17.2.3), the top Via must
 * parse (it is where the response goes, §18.2.2) and From, To, Call-ID and CSeq must exist to
 * be copied (§8.2.6.2). Anything less is dropped: returns undefined and the caller logs it.
 */
export function badRequestFor(
  raw: Uint8Array | string,
  error: SipParseError,
  opts: { readonly toTag?: string; readonly limits?: SipLimits } = {},
): string | undefined {
  const limits = opts.limits ?? SIP_LIMITS;
  const bytes = typeof raw === 'string' ? toUtf8Bytes(raw) : raw;
  if (bytes.length > limits.maxMessageBytes) return undefined;
  const headerEnd = findHeaderEnd(bytes);
  const section = scanHeaderSection(bytes, limits, headerEnd);
  // A broken header line stops the strict scan; fall back to the lines before it.
  const scanned = section.ok ? section.value : lenientScan(bytes, headerEnd, limits);
  if (!scanned) return undefined;
  const start = parseStartLine(scanned.startLine, 0);
  if (!start.ok || start.value.kind !== 'request' || start.value.method === 'ACK') return undefined;

  const values = (name: string): string[] =>
    scanned.headers
      .filter((h) => canonicalHeaderName(h.name) === name)
      .flatMap((h) => (isListHeader(name) ? splitHeaderList(h.value).map((p) => p.text) : [h.value]))
      .map(latin1ToUtf8);
  const vias = values('Via');
  const from = values('From')[0];
  const to = values('To')[0];
  const callId = values('Call-ID')[0];
  const cseq = values('CSeq')[0];
  if (vias.length === 0 || !parseVia(vias[0]!).ok || !from || !to || !callId || !cseq) return undefined;
  // A CSeq the client cannot match its transaction to makes the answer useless (§17.1.3).
  if (!parseCSeq(cseq).ok) return undefined;

  const tag = opts.toTag ?? fnv1a(`${callId}\u0000${cseq}`);
  const toWithTag = /;\s*tag=/i.test(to) ? to : `${to};tag=${tag}`;
  const warning = clip(`${error.reason} at byte ${error.offset}`, 120).replace(/["\\]/g, "'");
  const lines = [
    'SIP/2.0 400 Bad Request',
    ...vias.map((v) => `Via: ${v}`),
    `From: ${from}`,
    `To: ${toWithTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
    // RFC 3261 §20.43: 399 is the miscellaneous warning; the agent is a pseudonym.
    `Warning: 399 mediapath "${warning}"`,
    'Content-Length: 0',
  ];
  const text = `${lines.join('\r\n')}\r\n\r\n`;
  // Copied headers may still be unusable (over-long, a second bad Via): never send what we
  // would refuse ourselves.
  return parseSipMessage(text, { limits }).ok ? text : undefined;
}

function findHeaderEnd(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return bytes.length;
}

/** Line-by-line read that skips lines it cannot understand instead of stopping. */
/**
 * The header lines of a section whose strict scan failed, skipping lines that are no header (no
 * colon), so what is still readable can be used: the 400's headers here, the Content-Length that
 * frames the message on a stream (deframer.ts). Offsets are not kept.
 */
export function lenientScan(
  bytes: Uint8Array,
  end: number,
  limits: SipLimits,
): { startLine: string; headers: RawHeader[] } | undefined {
  const text = latin1(bytes, 0, end);
  const lines = text.replace(/^[\r\n]+/, '').split(/\r?\n/);
  const startLine = lines.shift();
  if (startLine === undefined) return undefined;
  const headers: RawHeader[] = [];
  for (const line of lines) {
    if (line === '' || headers.length >= limits.maxHeaders) break;
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      const prev = headers.pop()!;
      headers.push({ ...prev, value: `${prev.value} ${line.trim()}` });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim(), offset: 0, valueOffset: 0 });
  }
  return { startLine, headers };
}

/** A stable tag for the same bad request, so its retransmissions get the same answer. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
