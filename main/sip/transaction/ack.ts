import { getHeader, getHeaders, type SipRequest, type SipResponse, sipRequest } from '../message';
import { parseCSeq } from '../header-values';

/**
 * The ACK an INVITE client transaction sends for a 3xx-6xx final response (RFC 3261
 * §17.1.1.3): same Request-URI, Call-ID, From and CSeq number; To from the response (it has the
 * tag); only the top Via; the request's Route set.
 */
export function ackForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const cseq = parseCSeq(getHeader(invite, 'CSeq') ?? '');
  const seq = cseq.ok ? cseq.value.seq : 0;
  const headers: [string, string][] = [
    ['Via', getHeader(invite, 'Via') ?? ''],
    ['Max-Forwards', '70'],
    ['From', getHeader(invite, 'From') ?? ''],
    ['To', getHeader(response, 'To') ?? getHeader(invite, 'To') ?? ''],
    ['Call-ID', getHeader(invite, 'Call-ID') ?? ''],
    ['CSeq', `${seq} ACK`],
    ...getHeaders(invite, 'Route').map((r): [string, string] => ['Route', r]),
  ];
  return sipRequest('ACK', invite.uri, headers);
}
