import { getHeader, getHeaders, type HeaderInput, type SipRequest, type SipResponse, sipResponse } from '../../sip/message';
import { reasonPhrase } from '../../sip/reason-phrases';

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
  return sipResponse(status, opts.reason ?? reasonPhrase(status), headers, opts.body ?? '');
}
