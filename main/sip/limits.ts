/**
 * Hard limits of the SIP codec. A message from the network that crosses one is refused with a
 * `SIP_PARSE` error; nothing grows without bound. 64 KiB is the largest UDP datagram (RFC 3261
 * §18.1.1 keeps requests near the path MTU; a Lync INVITE with both SDP parts is ~10 KiB).
 */
export interface SipLimits {
  /** Whole message: start line, headers and body. */
  readonly maxMessageBytes: number;
  /** Header fields after splitting comma lists. */
  readonly maxHeaders: number;
  /** One header field after unfolding continuation lines. */
  readonly maxHeaderLineBytes: number;
  /** Parts of one multipart body. */
  readonly maxMultipartParts: number;
}

export const SIP_LIMITS: SipLimits = {
  maxMessageBytes: 64 * 1024,
  maxHeaders: 256,
  maxHeaderLineBytes: 8 * 1024,
  maxMultipartParts: 8,
};
