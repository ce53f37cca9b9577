import { err, ok, type Result } from '../common/result';
import { isToken, quote, unquote } from './headers';
import { type SipParseError, sipParseError } from './message';
import { clip, emptyParams, formatParams, type Params, parseParams } from './params';
import { formatHostPort, parseHostPortPart } from './uri';

/** One Via entry (RFC 3261 §20.42); `branch`, `rport` and `received` are views of `params`. */
export interface Via {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
  readonly branch?: string;
  /** RFC 3581: `true` when present without a value (a request asking for it). */
  readonly rport?: number | true;
  readonly received?: string;
}

const VIA_PROTOCOL_RE = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(\S+)\s*$/i;

export function parseVia(value: string): Result<Via, SipParseError> {
  const semi = firstUnquoted(value, ';');
  const head = value.slice(0, semi);
  const m = VIA_PROTOCOL_RE.exec(head.trim());
  if (!m) return err(sipParseError(0, `bad Via "${clip(value)}"`));
  const transport = m[1]!.toUpperCase();
  const sentBy = m[2]!;
  const hp = parseHostPortPart(sentBy, head.indexOf(sentBy));
  if (!hp.ok) return hp;
  let params: Params = emptyParams();
  if (semi < value.length) {
    const p = parseParams(value.slice(semi + 1), semi + 1);
    if (!p.ok) return p;
    params = p.value;
  }
  let rport: number | true | undefined;
  if ('rport' in params) {
    const raw = params['rport'];
    if (raw === null || raw === undefined) rport = true;
    else if (/^\d{1,5}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 65535) rport = Number(raw);
    else return err(sipParseError(value.indexOf('rport'), `bad rport "${clip(raw)}"`));
  }
  const branch = params['branch'];
  const received = params['received'];
  return ok({
    transport,
    host: hp.value.host,
    ...(hp.value.port !== undefined ? { port: hp.value.port } : {}),
    params,
    ...(typeof branch === 'string' ? { branch } : {}),
    ...(rport !== undefined ? { rport } : {}),
    ...(typeof received === 'string' ? { received } : {}),
  });
}

export interface ViaInput {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly branch: string;
  /** Ask for RFC 3581 symmetric response routing. */
  readonly rport?: boolean;
  readonly params?: Params;
}

export function formatVia(v: ViaInput): string {
  const extra = v.params ? formatParams(v.params) : '';
  return `SIP/2.0/${v.transport.toUpperCase()} ${formatHostPort(v.host, v.port)};branch=${v.branch}${v.rport ? ';rport' : ''}${extra}`;
}

/** RFC 3261 §8.1.1.7: branches we mint start with the magic cookie, so peers know they are unique. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** A name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route. */
export interface NameAddr {
  readonly displayName?: string;
  /** The URI text, unparsed (use `parseSipUri` when its parts matter). */
  readonly uri: string;
  readonly params: Params;
  /** Written with `<…>` (always true for us on output: it is never wrong). */
  readonly bracketed: boolean;
}

export function parseNameAddr(value: string): Result<NameAddr, SipParseError> {
  const text = value.trim();
  const lead = value.indexOf(text);
  let displayName: string | undefined;
  let i = 0;
  if (text.startsWith('"')) {
    const end = closingQuote(text, 0);
    if (end < 0) return err(sipParseError(lead, 'unterminated display name'));
    displayName = unquote(text.slice(0, end + 1));
    i = end + 1;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '<') return err(sipParseError(lead + i, 'expected "<" after display name'));
  } else {
    const lt = text.indexOf('<');
    if (lt >= 0) {
      const name = text.slice(0, lt).trim();
      if (name !== '' && !name.split(/\s+/).every(isToken)) {
        return err(sipParseError(lead, `bad display name "${clip(name)}"`));
      }
      if (name !== '') displayName = name;
      i = lt;
    }
  }
  if (text[i] === '<') {
    const gt = text.indexOf('>', i);
    if (gt < 0) return err(sipParseError(lead + i, 'missing ">" after URI'));
    const uri = text.slice(i + 1, gt).trim();
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) return err(sipParseError(lead + i + 1, `bad URI "${clip(uri)}"`));
    const rest = text.slice(gt + 1).trim();
    const p = paramsAfter(rest, lead + gt + 1);
    if (!p.ok) return p;
    return ok({ ...(displayName !== undefined ? { displayName } : {}), uri, params: p.value, bracketed: true });
  }
  // addr-spec: parameters after the first ';' belong to the header, not the URI (RFC 3261 §20.10).
  const semi = text.indexOf(';');
  const uri = semi < 0 ? text : text.slice(0, semi);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s,?]+$/.test(uri)) return err(sipParseError(lead, `bad URI "${clip(uri)}"`));
  const p = paramsAfter(semi < 0 ? '' : text.slice(semi), lead + Math.max(semi, 0));
  if (!p.ok) return p;
  return ok({ uri, params: p.value, bracketed: false });
}

/** A Contact value: a name-addr, or `*` (all bindings: REGISTER with Expires 0, RFC 3261 §10.2.2). */
export function parseContact(value: string): Result<NameAddr | '*', SipParseError> {
  return value.trim() === '*' ? ok('*') : parseNameAddr(value);
}

function paramsAfter(rest: string, base: number): Result<Params, SipParseError> {
  if (rest === '') return ok(emptyParams());
  if (!rest.startsWith(';')) return err(sipParseError(base, `unexpected "${clip(rest)}" after URI`));
  return parseParams(rest.slice(1), base + 1);
}

export function formatNameAddr(n: { displayName?: string; uri: string; params?: Params }): string {
  const name =
    n.displayName === undefined ? '' : n.displayName.split(' ').every(isToken) ? `${n.displayName} ` : `${quote(n.displayName)} `;
  return `${name}<${n.uri}>${n.params ? formatParams(n.params) : ''}`;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export function parseCSeq(value: string): Result<CSeq, SipParseError> {
  const m = /^\s*(\d{1,10})\s+(\S+)\s*$/.exec(value);
  if (!m || !isToken(m[2]!)) return err(sipParseError(0, `bad CSeq "${clip(value)}"`));
  const seq = Number(m[1]);
  // RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31.
  if (seq >= 2 ** 31) return err(sipParseError(0, `CSeq number ${seq} is not below 2^31`));
  return ok({ seq, method: m[2]! });
}

function firstUnquoted(s: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ch) return i;
  }
  return s.length;
}

function closingQuote(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}
