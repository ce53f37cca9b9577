/**
 * What must never be printed: passwords, MRAS credentials, digest responses, shared secrets.
 * Both the logger (by key) and raw protocol text (by pattern) go through here.
 */
export const REDACTED = '«redacted»';

/** Object keys whose values are secrets, wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'password',
  'pwd',
  'secret',
  'sharedSecret',
  'credential',
  'key',
  'hmacKey',
  'authorization',
  'proxyAuthorization',
  'response',
  'icePwd',
] as const;

const TEXT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // SIP digest: keep the scheme and other params readable, hide the proof.
  [/(\bresponse\s*=\s*)"?[0-9a-fA-F]+"?/g, `$1"${REDACTED}"`],
  // MRAS XML credentials.
  [/(<password>)[^<]*(<\/password>)/g, `$1${REDACTED}$2`],
  // SDP ICE passwords (RFC 8445 and draft-6 carry them on these lines).
  [/(a=ice-pwd:)\S+/g, `$1${REDACTED}`],
  // Command lines and URLs.
  [/(--(?:password|secret|static-auth-secret)[= ])\S+/g, `$1${REDACTED}`],
  [/(static-auth-secret=)\S+/g, `$1${REDACTED}`],
  // MRAS credentials with a namespace prefix or attributes (`<m:password>`), which the plain
  // pattern above misses.
  [/(<(?:[\w.-]+:)?password\b[^>]*>)[^<]*(<\/(?:[\w.-]+:)?password>)/gi, `$1${REDACTED}$2`],
  // Draft-6 candidate lines carry the per-candidate password as their third token ([MS-ICE]).
  [/(a=candidate:\S+ \d+ )\S+( (?:UDP|TCP) [01]\.\d+ )/gi, `$1${REDACTED}$2`],
  // SDES SRTP master keys (RFC 4568 §6.1 `inline:`), in a=crypto and Lync's a=cryptoscale.
  [/(\binline:)[^|\s]+/g, `$1${REDACTED}`],
];

export function redactText(text: string): string {
  let out = text;
  for (const [re, rep] of TEXT_PATTERNS) out = out.replace(re, rep);
  return out;
}

const secretKeySet = new Set<string>(SECRET_KEYS.map((k) => k.toLowerCase()));

/** Deep copy with secret-named keys replaced; bounded depth so a cycle cannot hang us. */
export function redactObject<T>(value: T, depth = 8): T {
  if (depth < 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactObject(v, depth - 1)) as T;
  if (value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = secretKeySet.has(k.toLowerCase()) ? REDACTED : redactObject(v, depth - 1);
  }
  return out as T;
}
