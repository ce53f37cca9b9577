import { formatAttribute, type WriteOptions } from './attributes';
import type { Bandwidth, Connection, MediaDescription, SessionDescription } from './types';

/**
 * Writes a description in RFC 8866 §5 line order, attributes in their list order, CRLF line
 * ends. `tcpSyntax: 'lync'` writes TCP candidates as TCP-ACT/TCP-PASS for Lync peers.
 */
export function writeSdp(d: SessionDescription, opts: WriteOptions = {}): string {
  const out: string[] = ['v=0'];
  const o = d.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${conn(o.connection)}`);
  out.push(`s=${d.sessionName}`);
  const beforeConnection = d.otherLines.filter((l) => /^[iuep]=/.test(l));
  const afterTiming = d.otherLines.filter((l) => !/^[iuep]=/.test(l));
  out.push(...beforeConnection);
  if (d.connection) out.push(`c=${conn(d.connection)}`);
  out.push(...bandwidths(d.bandwidths));
  out.push(`t=${d.timing.start} ${d.timing.stop}`);
  out.push(...afterTiming);
  for (const a of d.attributes) out.push(`a=${formatAttribute(a, opts)}`);
  for (const m of d.media) out.push(...mediaLines(m, opts));
  return `${out.join('\r\n')}\r\n`;
}

function mediaLines(m: MediaDescription, opts: WriteOptions): string[] {
  const port = m.portCount !== undefined ? `${m.port}/${m.portCount}` : `${m.port}`;
  const out = [`m=${[m.type, port, m.protocol, ...m.formats].join(' ')}`];
  out.push(...m.otherLines.filter((l) => l.startsWith('i=')));
  if (m.connection) out.push(`c=${conn(m.connection)}`);
  out.push(...bandwidths(m.bandwidths));
  out.push(...m.otherLines.filter((l) => !l.startsWith('i=')));
  for (const a of m.attributes) out.push(`a=${formatAttribute(a, opts)}`);
  return out;
}

function conn(c: Connection): string {
  return `${c.netType} ${c.addrType} ${c.address}`;
}

function bandwidths(bs: readonly Bandwidth[]): string[] {
  return bs.map((b) => `b=${b.type}:${b.value}`);
}
