import { getHeader, type SipMessage } from '../message';
import { BRANCH_MAGIC_COOKIE, parseCSeq, parseNameAddr, parseVia } from '../header-values';
import { formatHostPort } from '../uri';

/**
 * Transaction matching. Client side (RFC 3261 §17.1.3): the top Via branch and the CSeq method.
 * Server side (§17.2.3): branch, sent-by and method, with ACK matching its INVITE. A request
 * without the magic cookie (an RFC 2543 peer) falls back to Call-ID, CSeq, From tag and the top
 * Via (§17.2.3's older rule, simplified: we never proxy, so To-tag subtleties do not arise).
 */
export function clientKey(msg: SipMessage): string | undefined {
  const via = parseVia(getHeader(msg, 'Via') ?? '');
  const cseq = parseCSeq(getHeader(msg, 'CSeq') ?? '');
  if (!via.ok || !cseq.ok || !via.value.branch) return undefined;
  return `${via.value.branch}|${cseq.value.method}`;
}

export function serverKey(msg: SipMessage, methodOverride?: string): string | undefined {
  const viaText = getHeader(msg, 'Via') ?? '';
  const via = parseVia(viaText);
  const cseq = parseCSeq(getHeader(msg, 'CSeq') ?? '');
  if (!via.ok || !cseq.ok) return undefined;
  const method = methodOverride ?? (cseq.value.method === 'ACK' ? 'INVITE' : cseq.value.method);
  const branch = via.value.branch;
  if (branch?.startsWith(BRANCH_MAGIC_COOKIE)) {
    return `${branch}|${formatHostPort(via.value.host, via.value.port).toLowerCase()}|${method}`;
  }
  const from = parseNameAddr(getHeader(msg, 'From') ?? '');
  const fromTag = from.ok ? (from.value.params['tag'] ?? '') : '';
  return `2543|${getHeader(msg, 'Call-ID') ?? ''}|${cseq.value.seq}|${fromTag}|${viaText}|${method}`;
}
