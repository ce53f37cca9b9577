import type { ErrorCode } from '../common/errors';
import { err } from '../common/result';

/**
 * Why media bytes were rejected. Parsers in this folder return this instead of throwing: RTP and
 * RTCP come from the network and may be anything. `offset` is where the parser stopped.
 */
export interface MediaParseError {
  readonly code: Extract<ErrorCode, 'RTP_PARSE' | 'RTCP_PARSE'>;
  readonly offset: number;
  readonly reason: string;
}

export function rtpFail(offset: number, reason: string): { readonly ok: false; readonly error: MediaParseError } {
  return err({ code: 'RTP_PARSE', offset, reason });
}

export function rtcpFail(offset: number, reason: string): { readonly ok: false; readonly error: MediaParseError } {
  return err({ code: 'RTCP_PARSE', offset, reason });
}
