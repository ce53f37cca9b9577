import { attributeOf, attributesOf, type IceDialect, type MediaDescription, type SessionDescription } from './types';

/**
 * The two-dialect INVITE body of Lync 2010/2013 ([MS-SIPRE] 3.15.4.1, PROTOCOLS.md §2): a
 * multipart/alternative whose first part is the ICE draft-6 SDP marked
 * `ms-proxy-2007fallback` and whose last part is the ICE v19 (RFC 5245) SDP.
 *
 * Layering: sdp/ may not import sip/, so this module only decides *which* parts, in which
 * order, with which disposition; the MIME framing is sip/multipart.ts (`buildMultipart` takes
 * these objects as they are, `parseMultipart` gives back parts `pickSdpPart` accepts). The
 * session layer joins the two.
 */
export const SDP_CONTENT_TYPE = 'application/sdp';
export const FALLBACK_DISPOSITION = 'session; handling=optional; ms-proxy-2007fallback';
export const SESSION_DISPOSITION = 'session; handling=optional';

/** Same shape as sip/multipart `MimePartSpec`. */
export interface SdpBodyPart {
  readonly contentType: string;
  readonly contentDisposition?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

/** Same shape as sip/multipart `MimePart`. */
export interface ReceivedPart {
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly body: string;
}

/** Draft-6 part first, v19 part last: a proxy or client that knows only one takes its own. */
export function dualDialectParts(draft6Sdp: string, v19Sdp: string): SdpBodyPart[] {
  const encoding = [['Content-Transfer-Encoding', '7bit']] as const;
  return [
    { contentType: SDP_CONTENT_TYPE, headers: encoding, contentDisposition: FALLBACK_DISPOSITION, body: draft6Sdp },
    { contentType: SDP_CONTENT_TYPE, headers: encoding, contentDisposition: SESSION_DISPOSITION, body: v19Sdp },
  ];
}

function header(p: ReceivedPart, name: string): string | undefined {
  return p.headers.find((h) => h.name.toLowerCase() === name)?.value;
}

export function isSdpPart(p: ReceivedPart): boolean {
  return (header(p, 'content-type') ?? 'text/plain').trim().toLowerCase().startsWith(SDP_CONTENT_TYPE);
}

export function isFallbackPart(p: ReceivedPart): boolean {
  return /(^|;)\s*ms-proxy-2007fallback\s*(;|=|$)/i.test(header(p, 'content-disposition') ?? '');
}

/**
 * The SDP part to answer. RFC 2046 §5.1.4: the last alternative is the sender's preferred one,
 * and in a Lync body that is the v19 part; `prefer: 'draft6'` takes the fallback part instead
 * (for a peer that speaks only [MS-ICE]).
 */
export function pickSdpPart(
  parts: readonly ReceivedPart[],
  prefer: IceDialect = 'rfc5245',
): { part: ReceivedPart; index: number; fallback: boolean } | undefined {
  const sdp = parts.map((part, index) => ({ part, index, fallback: isFallbackPart(part) })).filter((x) => isSdpPart(x.part));
  if (sdp.length === 0) return undefined;
  const wanted = prefer === 'draft6' ? sdp.filter((x) => x.fallback) : sdp.filter((x) => !x.fallback);
  return wanted[wanted.length - 1] ?? sdp[sdp.length - 1];
}

/**
 * Which ICE a description speaks (PROTOCOLS.md §2: the 7th token of a candidate line). An SDP
 * with both kinds is malformed; RFC 5245 wins then, because ufrag/pwd make it checkable.
 */
export function detectIceDialect(d: SessionDescription): IceDialect | 'none' {
  let draft6 = false;
  for (const m of d.media) {
    for (const a of attributesOf(m, 'candidate')) {
      if (a.candidate.dialect === 'rfc5245') return 'rfc5245';
      draft6 = true;
    }
    if (attributeOf(m, 'ice-ufrag')) return 'rfc5245';
    if (attributeOf(m, 'remote-candidate')) draft6 = true;
  }
  if (attributeOf(d, 'ice-ufrag')) return 'rfc5245';
  return draft6 ? 'draft6' : 'none';
}

/** RFC 8839 §5.4: ice-ufrag/ice-pwd at media level override the session-level ones. */
export function iceCredentials(d: SessionDescription, m: MediaDescription): { ufrag: string; pwd: string } | undefined {
  const ufrag = attributeOf(m, 'ice-ufrag') ?? attributeOf(d, 'ice-ufrag');
  const pwd = attributeOf(m, 'ice-pwd') ?? attributeOf(d, 'ice-pwd');
  return ufrag && pwd ? { ufrag: ufrag.value, pwd: pwd.value } : undefined;
}
