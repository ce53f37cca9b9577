import { assertNever } from '../common/assert';
import { err, ok, type Result } from '../common/result';
import { formatCandidateValue, formatRemoteCandidates, parseCandidateValue, parseRemoteCandidates, type TcpSyntax } from './candidate';
import type { Connection, Direction, SdpAttribute } from './types';

/**
 * The attribute table: one parser per attribute name we model, and one writer per kind
 * (the shape of sdp-transform's grammar, kept to the lines a Lync audio call uses). A name not
 * in the table is kept as `other` and written back verbatim; a modelled line that does not
 * parse is an error, so a broken candidate is reported rather than silently dropped.
 */
type AttrParser = (value: string | undefined) => Result<SdpAttribute, string>;

const ICE_CHARS_RE = /^[A-Za-z0-9+/]{1,256}$/;

function need(value: string | undefined, name: string): Result<string, string> {
  return value === undefined || value.trim() === '' ? err(`a=${name} needs a value`) : ok(value.trim());
}

function uint(s: string, max: number): number | undefined {
  const n = /^\d{1,10}$/.test(s) ? Number(s) : NaN;
  return n >= 0 && n <= max ? n : undefined;
}

const direction =
  (d: Direction): AttrParser =>
  () =>
    ok({ kind: 'direction', direction: d });

const PARSERS: ReadonlyMap<string, AttrParser> = new Map<string, AttrParser>([
  ['candidate', (v) => candidate(v, 'candidate')],
  ['x-candidate-ipv6', (v) => candidate(v, 'x-candidate-ipv6')],
  [
    'remote-candidates',
    (v) => {
      const r = parseRemoteCandidates(v ?? '');
      return r.ok ? ok({ kind: 'remote-candidates', candidates: r.value }) : r;
    },
  ],
  [
    'remote-candidate',
    (v) => {
      const s = need(v, 'remote-candidate');
      return s.ok ? ok({ kind: 'remote-candidate', username: s.value }) : s;
    },
  ],
  ['ice-ufrag', (v) => iceCred('ice-ufrag', v)],
  ['ice-pwd', (v) => iceCred('ice-pwd', v)],
  [
    'rtpmap',
    (v) => {
      const m = /^(\d{1,3}) ([^/\s]+)\/(\d{1,10})(?:\/(\d{1,3}))?\s*$/.exec(v ?? '');
      if (!m || Number(m[1]) > 127) return err('want "<pt> <encoding>/<clock rate>[/<channels>]"');
      return ok({
        kind: 'rtpmap',
        payloadType: Number(m[1]),
        encoding: m[2]!,
        clockRate: Number(m[3]),
        ...(m[4] !== undefined ? { channels: Number(m[4]) } : {}),
      });
    },
  ],
  [
    'fmtp',
    (v) => {
      const m = /^(\d{1,3}) (.*)$/.exec(v ?? '');
      if (!m || Number(m[1]) > 127) return err('want "<pt> <parameters>"');
      return ok({ kind: 'fmtp', payloadType: Number(m[1]), params: m[2]!.trim() });
    },
  ],
  [
    'rtcp',
    (v) => {
      const t = (v ?? '').trim().split(/\s+/);
      const port = uint(t[0] ?? '', 65535);
      if (port === undefined) return err(`bad RTCP port "${t[0] ?? ''}"`);
      if (t.length === 1) return ok({ kind: 'rtcp', port });
      if (t.length !== 4) return err('want "<port> [IN IP4|IP6 <address>]"');
      const address: Connection = { netType: t[1]!, addrType: t[2]!, address: t[3]! };
      return ok({ kind: 'rtcp', port, address });
    },
  ],
  ['rtcp-mux', () => ok({ kind: 'rtcp-mux' })],
  ['ptime', (v) => packetTime('ptime', v)],
  ['maxptime', (v) => packetTime('maxptime', v)],
  ['sendrecv', direction('sendrecv')],
  ['sendonly', direction('sendonly')],
  ['recvonly', direction('recvonly')],
  ['inactive', direction('inactive')],
  [
    'label',
    (v) => {
      const s = need(v, 'label');
      return s.ok ? ok({ kind: 'label', value: s.value }) : s;
    },
  ],
  [
    'x-ssrc-range',
    (v) => {
      const m = /^(\d{1,10})-(\d{1,10})$/.exec((v ?? '').trim());
      const first = m ? uint(m[1]!, 0xffffffff) : undefined;
      const last = m ? uint(m[2]!, 0xffffffff) : undefined;
      if (first === undefined || last === undefined || last < first) return err('want "<first>-<last>" SSRCs, first <= last');
      return ok({ kind: 'x-ssrc-range', first, last });
    },
  ],
  [
    'x-mediabw',
    (v) => {
      const m = /^(\S+)\s+(\S+)$/.exec((v ?? '').trim());
      if (!m) return err('want "<label> name=value;name=value"');
      const params: [string, string][] = [];
      for (const kv of m[2]!.split(';')) {
        const eq = kv.indexOf('=');
        if (eq <= 0) return err(`bad x-mediabw parameter "${kv}"`);
        params.push([kv.slice(0, eq), kv.slice(eq + 1)]);
      }
      return ok({ kind: 'x-mediabw', label: m[1]!, params });
    },
  ],
]);

function candidate(v: string | undefined, name: 'candidate' | 'x-candidate-ipv6'): Result<SdpAttribute, string> {
  const c = parseCandidateValue(v ?? '');
  return c.ok ? ok({ kind: 'candidate', name, candidate: c.value }) : c;
}

function iceCred(name: 'ice-ufrag' | 'ice-pwd', v: string | undefined): Result<SdpAttribute, string> {
  const s = (v ?? '').trim();
  // RFC 8445 §16.1 asks for 4/22 characters at least; older stacks send fewer, so only the charset is checked.
  if (!ICE_CHARS_RE.test(s)) return err(`${name} must be 1-256 ICE characters`);
  return ok({ kind: name, value: s });
}

function packetTime(kind: 'ptime' | 'maxptime', v: string | undefined): Result<SdpAttribute, string> {
  const s = (v ?? '').trim();
  const ms = /^\d{1,5}(\.\d{1,3})?$/.test(s) ? Number(s) : NaN;
  if (!(ms > 0)) return err(`bad ${kind} "${s}"`);
  return ok({ kind, ms });
}

/** Parses the text after `a=`. */
export function parseAttribute(text: string): Result<SdpAttribute, string> {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text.trim() : text.slice(0, colon);
  const value = colon < 0 ? undefined : text.slice(colon + 1);
  if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name)) return err(`bad attribute name "${name.slice(0, 40)}"`);
  const parser = PARSERS.get(name);
  if (parser) return parser(value);
  return ok(value === undefined ? { kind: 'other', name } : { kind: 'other', name, value });
}

export interface WriteOptions {
  readonly tcpSyntax?: TcpSyntax;
}

/** The text after `a=`. */
export function formatAttribute(a: SdpAttribute, opts: WriteOptions = {}): string {
  switch (a.kind) {
    case 'candidate':
      return `${a.name}:${formatCandidateValue(a.candidate, opts.tcpSyntax)}`;
    case 'remote-candidates':
      return `remote-candidates:${formatRemoteCandidates(a.candidates)}`;
    case 'remote-candidate':
      return `remote-candidate:${a.username}`;
    case 'ice-ufrag':
    case 'ice-pwd':
      return `${a.kind}:${a.value}`;
    case 'rtpmap':
      return `rtpmap:${a.payloadType} ${a.encoding}/${a.clockRate}${a.channels !== undefined ? `/${a.channels}` : ''}`;
    case 'fmtp':
      return `fmtp:${a.payloadType} ${a.params}`;
    case 'rtcp':
      return a.address ? `rtcp:${a.port} ${a.address.netType} ${a.address.addrType} ${a.address.address}` : `rtcp:${a.port}`;
    case 'rtcp-mux':
      return 'rtcp-mux';
    case 'ptime':
    case 'maxptime':
      return `${a.kind}:${a.ms}`;
    case 'direction':
      return a.direction;
    case 'label':
      return `label:${a.value}`;
    case 'x-ssrc-range':
      return `x-ssrc-range:${a.first}-${a.last}`;
    case 'x-mediabw':
      return `x-mediabw:${a.label} ${a.params.map(([k, v]) => `${k}=${v}`).join(';')}`;
    case 'other':
      return a.value === undefined ? a.name : `${a.name}:${a.value}`;
    default:
      return assertNever(a, 'SDP attribute');
  }
}
