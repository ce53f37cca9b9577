import { toUtf8Bytes } from './bytes';
import { SIP_VERSION, type SipMessage } from './message';

/**
 * Writes a message in long header form, one header per line, CRLF line ends. Content-Length is
 * always written and always right: computed from the body's UTF-8 length, in the position of an
 * existing Content-Length header or last (RFC 3261 §18.3 requires it on streams, and it costs
 * nothing on datagrams).
 */
export function serializeSipMessage(msg: SipMessage): string {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} ${SIP_VERSION}` : `${SIP_VERSION} ${msg.status} ${msg.reason}`;
  const length = `Content-Length: ${toUtf8Bytes(msg.body).length}`;
  const lines = [start];
  let wroteLength = false;
  for (const h of msg.headers) {
    if (h.name.toLowerCase() === 'content-length') {
      if (!wroteLength) lines.push(length);
      wroteLength = true;
    } else {
      lines.push(`${h.name}: ${h.value}`);
    }
  }
  if (!wroteLength) lines.push(length);
  return `${lines.join('\r\n')}\r\n\r\n${msg.body}`;
}

export function encodeSipMessage(msg: SipMessage): Uint8Array {
  return toUtf8Bytes(serializeSipMessage(msg));
}
