import { isToken, splitOutside } from './headers';
import { type SipParseError, sipParseError } from './message';
import { err, ok, type Result } from '../common/result';

/**
 * `;name=value` parameters of headers and URIs. Names are lower-cased (they are
 * case-insensitive, RFC 3261 §7.3.1 and §19.1.4); values stay as written, quotes included, so
 * a header survives a round trip byte for byte; use `unquote` to read a quoted value. A flag
 * parameter (`lr`, `rport`, `gruu`) has the value `null`. The record has no prototype, so a
 * parameter named `__proto__` is only a name.
 */
export type Params = Readonly<Record<string, string | null>>;

export function emptyParams(): Record<string, string | null> {
  return Object.create(null) as Record<string, string | null>;
}

/**
 * Parses the text after the first `;` of a parameter list. `base` is added to error offsets so
 * they point into the caller's string. The first of two same-named parameters wins.
 */
export function parseParams(text: string, base = 0): Result<Params, SipParseError> {
  const params = emptyParams();
  for (const piece of splitOutside(text, ';', false)) {
    if (piece.text === '') continue; // tolerate `;;` and a trailing `;`
    const eq = piece.text.indexOf('=');
    const name = (eq < 0 ? piece.text : piece.text.slice(0, eq)).trim();
    if (!isToken(name)) return err(sipParseError(base + piece.start, `bad parameter name "${clip(name)}"`));
    const value = eq < 0 ? null : piece.text.slice(eq + 1).trim();
    if (value !== null && value.startsWith('"') && !isClosedQuote(value)) {
      return err(sipParseError(base + piece.start + eq + 1, `unterminated quoted value of "${clip(name)}"`));
    }
    const key = name.toLowerCase();
    if (!(key in params)) params[key] = value;
  }
  return ok(params);
}

function isClosedQuote(v: string): boolean {
  if (v.length < 2 || !v.endsWith('"')) return false;
  let escaped = false;
  for (let i = 1; i < v.length - 1; i++) {
    if (escaped) escaped = false;
    else if (v[i] === '\\') escaped = true;
    else if (v[i] === '"') return false;
  }
  return !escaped;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of Object.entries(params)) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** Keeps error text printable and short when it quotes hostile input. */
export function clip(s: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f-\uffff]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
