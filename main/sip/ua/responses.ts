import { getHeader, type SipMessage, type SipRequest, type SipResponse, sipResponse } from '../message';
import { reasonPhrase } from '../reason-phrases';

export { reasonPhrase };

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
