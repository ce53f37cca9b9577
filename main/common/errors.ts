import type { TransportAddress } from './address';

/** Stable error codes: tests, reports and the UI match on these, never on messages. */
export type ErrorCode =
  // generic
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'INTERNAL'
  // net
  | 'NET_BIND_FAILED'
  | 'NET_CONNECT_FAILED'
  | 'NET_TLS_FAILED'
  | 'NET_SOCKET_ERROR'
  | 'NET_RESOLVE_FAILED'
  | 'FRAME_TOO_LARGE'
  // stun
  | 'STUN_PARSE'
  | 'STUN_TIMEOUT'
  | 'STUN_BAD_INTEGRITY'
  | 'STUN_BAD_FINGERPRINT'
  | 'STUN_ERROR_RESPONSE'
  | 'STUN_TRANSPORT_CLOSED'
  // turn
  | 'TURN_AUTH_FAILED'
  | 'TURN_TIMEOUT'
  | 'TURN_ALLOCATION_MISMATCH'
  | 'TURN_ALLOCATION_FAILED'
  | 'TURN_REFRESH_FAILED'
  | 'TURN_PERMISSION_FAILED'
  | 'TURN_CHANNEL_FAILED'
  | 'TURN_STALE_NONCE_LOOP'
  | 'TURN_BAD_RESPONSE'
  | 'TURN_NOT_ALLOCATED'
  // higher layers add theirs here
  | 'SIP_PARSE'
  | 'SIP_TIMEOUT'
  | 'SDP_PARSE'
  | 'MRAS_FAILED'
  | 'SCENARIO_INVALID'
  // media: RTP/RTCP parsers
  | 'RTP_PARSE'
  | 'RTCP_PARSE'
  // lab: coturn runner
  | 'LAB_COTURN_MISSING'
  | 'LAB_COTURN_START_FAILED'
  | 'LAB_CERT_FAILED'
  // cli
  | 'CLI_USAGE'
  // sip digest, mras XML
  | 'SIP_AUTH_FAILED'
  | 'SIP_AUTH_UNSUPPORTED'
  | 'MRAS_PARSE'
  // ice: connectivity checks (non-symmetric response, error answer, failed nomination)
  | 'ICE_CHECK_FAILED'
  | 'ICE_CHECK_ERROR_RESPONSE'
  // sdp offer/answer
  | 'SDP_NEGOTIATION_FAILED'
  // mras client: no answer to SERVICE within its bound
  | 'MRAS_TIMEOUT'
  // sip user agent: a request answered with a final non-2xx (the response is in detail.response)
  | 'SIP_REJECTED'
  // session: a saved Timeline (JSON Lines) that does not load
  | 'TIMELINE_INVALID'
  // api: a method the engine does not offer yet, one run at a time, the serve bridge failing to start
  | 'NOT_IMPLEMENTED'
  | 'API_BUSY'
  | 'SERVE_FAILED'
  // api engine session: no registered account, no call of that id, secrets that cannot be kept safely
  | 'API_NOT_REGISTERED'
  | 'API_NO_SUCH_CALL'
  | 'SECRET_STORE_UNAVAILABLE'
  // lab: Debian's kamailio (the interop registrar/proxy) not installed, or not coming up
  | 'LAB_KAMAILIO_MISSING'
  | 'LAB_KAMAILIO_START_FAILED';

export type Layer =
  | 'common'
  | 'net'
  | 'stun'
  | 'turn'
  | 'ice'
  | 'sip'
  | 'sdp'
  | 'mras'
  | 'media'
  | 'session'
  | 'lab'
  | 'cli'
  | 'api';

export interface ErrorDetail {
  readonly layer: Layer;
  readonly peer?: TransportAddress;
  /** Protocol error carried by a failed transaction (e.g. STUN ERROR-CODE), kept for the report. */
  readonly response?: { readonly code?: number; readonly reason?: string; readonly [k: string]: unknown };
}

/** The plain-data form of an error: what reports, JSON output and IPC carry. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  readonly layer?: Layer;
  readonly peer?: TransportAddress;
  readonly response?: ErrorDetail['response'];
}

export class MediapathError extends Error {
  override readonly name = 'MediapathError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: ErrorDetail,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.detail?.layer ? { layer: this.detail.layer } : {}),
      ...(this.detail?.peer ? { peer: this.detail.peer } : {}),
      ...(this.detail?.response ? { response: this.detail.response } : {}),
    };
  }
}

/** Any thrown value as ErrorInfo, so nothing unexpected crosses a boundary as a raw exception. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof MediapathError) return e.toInfo();
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message };
  return { code: 'INTERNAL', message: String(e) };
}
