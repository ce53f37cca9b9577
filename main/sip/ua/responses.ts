import { getHeader, type SipMessage, type SipRequest, type SipResponse, sipResponse } from '../message';

/** RFC 3261 §21 reason phrases for the codes a user agent sends. */
const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
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
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Failure');
}

/** A message body with its type, as offers and answers travel. */
export interface SipBody {
  readonly body: string;
  readonly contentType: string;
}

/** The body of a message, if it has one. */
export function bodyOf(msg: SipMessage): SipBody | undefined {
  if (msg.body === '') return undefined;
  return { body: msg.body, contentType: getHeader(msg, 'Content-Type') ?? 'application/octet-stream' };
}

export interface ResponseInput {
  readonly reason?: string;
  /** Our tag for the To header, when the request's To has none (§8.2.6.2). */
  readonly toTag?: string;
  readonly contact?: string;
  /** Copy Record-Route: dialog-creating 18x/2xx to INVITE (§12.1.1). */
  readonly recordRoute?: boolean;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: SipBody;
}

/**
 * A response to `req` (RFC 3261 §8.2.6): Via (all, in order), From, Call-ID and CSeq copied,
 * To copied with our tag added when it has none, Timestamp echoed for 100 (§8.2.6.1).
 */
export function responseTo(req: SipRequest, status: number, input: ResponseInput = {}): SipResponse {
  const copy = (name: string): [string, string][] => req.headers.filter((h) => h.name === name).map((h): [string, string] => [name, h.value]);
  const to = getHeader(req, 'To') ?? '';
  const toValue = input.toTag !== undefined && status > 100 && !/;\s*tag=/i.test(to) ? `${to};tag=${input.toTag}` : to;
  const headers: [string, string][] = [
    ...copy('Via'),
    ...(input.recordRoute ? copy('Record-Route') : []),
    ...copy('From'),
    ['To', toValue],
    ...copy('Call-ID'),
    ...copy('CSeq'),
    ...(status === 100 ? copy('Timestamp') : []),
    ...(input.contact !== undefined ? [['Contact', input.contact] as [string, string]] : []),
    ...(input.headers ?? []).map(([k, v]): [string, string] => [k, v]),
    ...(input.body ? [['Content-Type', input.body.contentType] as [string, string]] : []),
  ];
  return sipResponse(status, input.reason ?? reasonPhrase(status), headers, input.body?.body ?? '');
}
