import { getHeader, getHeaders, type HeaderInput, type SipRequest, type SipResponse, sipResponse } from '../../sip/message';

/** Reason phrases for the statuses the lab sends (RFC 3261 §21, RFC 3265 §7.3.2 for 489). */
export const REASON: Readonly<Record<number, string>> = {
  100: 'Trying',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops',
  487: 'Request Terminated',
  489: 'Bad Event',
  500: 'Server Internal Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const SERVER_NAME = 'mediapath-lab';

/** Methods the lab serves as a UAS or proxies; for Allow headers. */
export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, SERVICE, INFO, MESSAGE, UPDATE';

/**
 * Why we refused, for the peer's logs: RFC 3261 §20.43 warn-code 399 (miscellaneous) with our
 * pseudonym. The reason phrase stays the standard one, since some peers (SIPp among them) read
 * words of a free-form phrase as header content; control characters, quotes and backslashes
 * are replaced, the text is clipped.
 */
export function warningHeader(text: string): [string, string] {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f"\\]/g, "'").slice(0, 200);
  return ['Warning', `399 ${SERVER_NAME} "${clean}"`];
}

/**
 * A response built from a request as RFC 3261 §8.2.6.2 says: Via (all of them, in order), From,
 * Call-ID and CSeq copied; To copied with a tag added unless it has one (not on 100, which
 * never creates a dialog). Our extra headers come after, Content-Length is the serializer's.
 */
export function responseFor(
  req: SipRequest,
  status: number,
  opts: { readonly reason?: string; readonly toTag?: string; readonly headers?: HeaderInput; readonly body?: string } = {},
): SipResponse {
  const to = getHeader(req, 'To') ?? '';
  const tagged = status > 100 && opts.toTag !== undefined && !/;\s*tag\s*=/i.test(to) ? `${to};tag=${opts.toTag}` : to;
  const headers: [string, string][] = [
    ...getHeaders(req, 'Via').map((v): [string, string] => ['Via', v]),
    ['From', getHeader(req, 'From') ?? ''],
    ['To', tagged],
    ['Call-ID', getHeader(req, 'Call-ID') ?? ''],
    ['CSeq', getHeader(req, 'CSeq') ?? ''],
    ...(status === 100 ? getHeaders(req, 'Timestamp').map((v): [string, string] => ['Timestamp', v]) : []),
    ['Server', SERVER_NAME],
    ...(opts.headers ?? []).map(([n, v]): [string, string] => [n, v]),
  ];
  return sipResponse(status, opts.reason ?? REASON[status] ?? 'Unknown', headers, opts.body ?? '');
}
