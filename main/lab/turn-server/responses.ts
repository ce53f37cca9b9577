import { Attr, HEADER_LENGTH, Method, attrs, encodeStun, signStun, type AttributeSpec, type StunMessage } from '../../stun';

/** Reason phrases (RFC 8489 §14.8, RFC 8656 §19). */
export const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  486: 'Allocation Quota Reached',
  508: 'Insufficient Capacity',
};

const METHOD_NAMES = new Map<number, string>(Object.entries(Method).map(([name, value]) => [value, name]));

export function methodName(method: number): string {
  return METHOD_NAMES.get(method) ?? `0x${method.toString(16).padStart(3, '0')}`;
}

export interface ResponseOptions {
  /** Success when absent. */
  readonly error?: number;
  readonly attributes?: readonly AttributeSpec[];
  /** Attribute types for UNKNOWN-ATTRIBUTES (RFC 8489 §14.9), with a 420. */
  readonly unknown?: readonly number[];
  /** Signs the response (MESSAGE-INTEGRITY) with the key that authenticated the request. */
  readonly key?: Uint8Array;
  readonly software?: string;
}

/**
 * Encodes the response to `req`: same method and transaction id, the attributes asked for,
 * SOFTWARE (RFC 8656 §5 wants it on Allocate and Refresh responses; it costs nothing on the
 * rest), then MESSAGE-INTEGRITY when the request was authenticated and always FINGERPRINT.
 */
export function encodeResponse(req: StunMessage, opts: ResponseOptions): Uint8Array {
  const attributes: AttributeSpec[] = [];
  if (opts.error !== undefined) attributes.push(attrs.errorCode(opts.error, REASON[opts.error] ?? 'Error'));
  attributes.push(...(opts.attributes ?? []));
  if (opts.software) attributes.push(attrs.software(opts.software));
  let bytes = encodeStun({ method: req.method, cls: opts.error === undefined ? 'success' : 'error', transactionId: req.transactionId, attributes });
  // The stun package encodes UNKNOWN-ATTRIBUTES from a number list our AttributeSpec cannot
  // carry, so the raw attribute is appended here, before signing.
  if (opts.unknown && opts.unknown.length > 0) bytes = appendRaw(bytes, Attr.UNKNOWN_ATTRIBUTES, uint16List(opts.unknown));
  return signStun(bytes, { ...(opts.key ? { integrityKey: opts.key } : {}), fingerprint: true });
}

function uint16List(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    out[i * 2] = (v >>> 8) & 0xff;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function appendRaw(msg: Uint8Array, type: number, value: Uint8Array): Uint8Array {
  const padded = (value.length + 3) & ~3;
  const out = new Uint8Array(msg.length + 4 + padded);
  out.set(msg, 0);
  out[msg.length] = type >>> 8;
  out[msg.length + 1] = type & 0xff;
  out[msg.length + 2] = value.length >>> 8;
  out[msg.length + 3] = value.length & 0xff;
  out.set(value, msg.length + 4);
  const body = out.length - HEADER_LENGTH;
  out[2] = body >>> 8;
  out[3] = body & 0xff;
  return out;
}
