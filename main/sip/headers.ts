/**
 * Header names: compact forms, canonical spelling, and which headers are comma lists.
 * Names are case-insensitive (RFC 3261 §7.3.1); we store the canonical long form so lookups and
 * the ladder view agree. Unknown names (Lync's `ms-keep-alive`, `Ms-Conversation-ID`…) keep the
 * spelling they arrived with.
 */

/** RFC 3261 §7.3.3 and the registry of compact forms (IANA "Header Fields", RFC 3515, 3841, 3892, 4028, 6665). */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const KNOWN = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact',
  'Content-Disposition', 'Content-Encoding', 'Content-ID', 'Content-Language', 'Content-Length',
  'Content-Transfer-Encoding', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Event', 'Expires',
  'From', 'History-Info', 'Identity', 'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires',
  'Min-SE', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route',
  'Refer-To', 'Referred-By', 'Reject-Contact', 'Reply-To', 'Request-Disposition', 'Require',
  'Retry-After', 'Route', 'RSeq', 'Security-Client', 'Security-Server', 'Security-Verify', 'Server',
  'Service-Route', 'Session-Expires', 'Subject', 'Subscription-State', 'Supported', 'Timestamp',
  'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
];

const CANONICAL: ReadonlyMap<string, string> = new Map(KNOWN.map((n) => [n.toLowerCase(), n]));

/**
 * Headers whose grammar is `#element` (a comma list), so `Via: a, b` is two Vias. The auth
 * headers, Date, Retry-After and the like contain commas that are not list separators and are
 * never split (RFC 3261 §7.3.1 last paragraph).
 */
const LIST_HEADERS: ReadonlySet<string> = new Set(
  [
    'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
    'Allow-Events', 'Call-Info', 'Contact', 'Content-Encoding', 'Content-Language', 'Error-Info',
    'History-Info', 'In-Reply-To', 'P-Asserted-Identity', 'Path', 'Proxy-Require', 'Reason',
    'Record-Route', 'Reject-Contact', 'Require', 'Route', 'Security-Client', 'Security-Server',
    'Security-Verify', 'Service-Route', 'Supported', 'Unsupported', 'Via', 'Warning',
  ].map((n) => n.toLowerCase()),
);

export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? CANONICAL.get(lower) ?? name;
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(canonicalHeaderName(name).toLowerCase());
}

/** RFC 3261 §25.1 `token` characters. */
export const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

export interface Piece {
  readonly text: string;
  /** Index of `text`'s first character in the scanned string (after trimming). */
  readonly start: number;
}

/**
 * Splits `text` on `sep` where it is not inside a quoted-string (with `\` escapes) or, when
 * `angles` is set, inside `<…>` (a URI in a name-addr may carry commas and semicolons).
 * Pieces are trimmed of linear white space; empty pieces are kept so callers can decide.
 */
export function splitOutside(text: string, sep: string, angles: boolean): Piece[] {
  const out: Piece[] = [];
  let inQuote = false;
  let inAngle = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (angles && ch === '<') inAngle = true;
    else if (angles && ch === '>') inAngle = false;
    else if (ch === sep && !inAngle) {
      out.push(trimmed(text, from, i));
      from = i + 1;
    }
  }
  out.push(trimmed(text, from, text.length));
  return out;
}

function trimmed(text: string, from: number, to: number): Piece {
  let a = from;
  let b = to;
  while (a < b && isLws(text.charCodeAt(a))) a++;
  while (b > a && isLws(text.charCodeAt(b - 1))) b--;
  return { text: text.slice(a, b), start: a };
}

function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Splits a list header's value into its elements; empty elements (`a, , b`) are dropped. */
export function splitHeaderList(value: string): Piece[] {
  const pieces = splitOutside(value, ',', true).filter((p) => p.text.length > 0);
  return pieces.length > 0 ? pieces : [{ text: '', start: 0 }];
}

/** Removes the quotes and `\` escapes of a quoted-string; a token comes back unchanged. */
export function unquote(s: string): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Writes `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
