import { err, ok, type Result } from '../common/result';
import { parseAttribute } from './attributes';
import {
  type Bandwidth,
  type Connection,
  type MediaDescription,
  type Origin,
  type SdpAttribute,
  type SdpParseError,
  sdpParseError,
  type SessionDescription,
} from './types';

/** Hard limits: an SDP from the network never makes us allocate without bound. */
export interface SdpLimits {
  readonly maxChars: number;
  readonly maxLines: number;
  readonly maxLineLength: number;
  readonly maxMedia: number;
  readonly maxCandidatesPerMedia: number;
}

export const SDP_LIMITS: SdpLimits = {
  maxChars: 64 * 1024,
  maxLines: 2000,
  maxLineLength: 4096,
  maxMedia: 16,
  maxCandidatesPerMedia: 128,
};

interface MediaBuilder {
  type: string;
  port: number;
  portCount?: number;
  protocol: string;
  formats: string[];
  connection?: Connection;
  bandwidths: Bandwidth[];
  attributes: SdpAttribute[];
  otherLines: string[];
  candidates: number;
}

/**
 * Parses an SDP body (RFC 8866 grammar, CRLF or LF line ends, blank lines ignored). Never
 * throws; an error names the 1-based line. RFC 8866 §5 tells a parser to refuse a description
 * with a type letter it does not know, so we do.
 *
 * Our own table rather than sdp-transform: sdp-transform cannot name the line of an error,
 * writes unknown lines after the known ones (we keep the order), and its candidate grammar
 * requires `typ`, so draft-6 lines and `0.830` priorities would fall out as invalid. The tests
 * use sdp-transform as an independent reader of what we write.
 */
export function parseSdp(text: string, limits: SdpLimits = SDP_LIMITS): Result<SessionDescription, SdpParseError> {
  if (text.length > limits.maxChars) return err(sdpParseError(1, `SDP longer than ${limits.maxChars} characters`));
  const lines = text.split(/\r?\n/);
  let origin: Origin | undefined;
  let sessionName: string | undefined;
  let connection: Connection | undefined;
  let timing: { start: string; stop: string } | undefined;
  const bandwidths: Bandwidth[] = [];
  const attributes: SdpAttribute[] = [];
  const otherLines: string[] = [];
  const media: MediaBuilder[] = [];
  let sawVersion = false;
  let sessionEnd = lines.length + 1;

  for (let i = 0; i < lines.length; i++) {
    const no = i + 1;
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (no > limits.maxLines) return err(sdpParseError(no, `more than ${limits.maxLines} lines`));
    if (line.length > limits.maxLineLength) return err(sdpParseError(no, `line longer than ${limits.maxLineLength} characters`));
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) return err(sdpParseError(no, 'expected "<letter>=<value>"'));
    const type = m[1]!;
    const value = m[2]!;
    if (!sawVersion) {
      if (type !== 'v' || value.trim() !== '0') return err(sdpParseError(no, 'an SDP must start with "v=0"'));
      sawVersion = true;
      continue;
    }
    const current = media[media.length - 1];
    if (type === 'm') {
      if (media.length >= limits.maxMedia) return err(sdpParseError(no, `more than ${limits.maxMedia} media sections`));
      const mm = parseMediaLine(value);
      if (!mm.ok) return err(sdpParseError(no, mm.error));
      if (media.length === 0) sessionEnd = no;
      media.push(mm.value);
      continue;
    }
    if (type === 'a') {
      const a = parseAttribute(value);
      if (!a.ok) return err(sdpParseError(no, a.error));
      if (current) {
        if (a.value.kind === 'candidate' && ++current.candidates > limits.maxCandidatesPerMedia) {
          return err(sdpParseError(no, `more than ${limits.maxCandidatesPerMedia} candidates in one media section`));
        }
        current.attributes.push(a.value);
      } else {
        attributes.push(a.value);
      }
      continue;
    }
    if (type === 'c') {
      const c = parseConnection(value);
      if (!c.ok) return err(sdpParseError(no, c.error));
      if (current) current.connection = c.value;
      else connection = c.value;
      continue;
    }
    if (type === 'b') {
      const b = /^([A-Za-z0-9\-.!%*_+`'~]+):(\d{1,10})$/.exec(value.trim());
      if (!b) return err(sdpParseError(no, 'want "b=<type>:<kbps>"'));
      (current ? current.bandwidths : bandwidths).push({ type: b[1]!, value: Number(b[2]) });
      continue;
    }
    if (current) {
      if (type === 'i' || type === 'k') {
        current.otherLines.push(line);
        continue;
      }
      return err(sdpParseError(no, `"${type}=" is not allowed inside a media section`));
    }
    switch (type) {
      case 'o': {
        if (origin) return err(sdpParseError(no, 'second o= line'));
        const o = parseOrigin(value);
        if (!o.ok) return err(sdpParseError(no, o.error));
        origin = o.value;
        break;
      }
      case 's':
        if (sessionName !== undefined) return err(sdpParseError(no, 'second s= line'));
        sessionName = value;
        break;
      case 't': {
        const t = /^(\d{1,20}) (\d{1,20})\s*$/.exec(value);
        if (!t) return err(sdpParseError(no, 'want "t=<start> <stop>"'));
        if (timing) otherLines.push(line);
        else timing = { start: t[1]!, stop: t[2]! };
        break;
      }
      case 'i':
      case 'u':
      case 'e':
      case 'p':
      case 'r':
      case 'z':
      case 'k':
        otherLines.push(line);
        break;
      case 'v':
        return err(sdpParseError(no, 'second v= line'));
      default:
        return err(sdpParseError(no, `unknown line type "${type}="`));
    }
  }
  if (!sawVersion) return err(sdpParseError(1, 'empty SDP'));
  if (!origin) return err(sdpParseError(sessionEnd, 'missing o= line'));
  if (sessionName === undefined) return err(sdpParseError(sessionEnd, 'missing s= line'));
  if (!timing) return err(sdpParseError(sessionEnd, 'missing t= line'));
  return ok({
    origin,
    sessionName,
    ...(connection ? { connection } : {}),
    bandwidths,
    timing,
    attributes,
    otherLines,
    media: media.map(({ candidates: _candidates, ...rest }): MediaDescription => rest),
  });
}

function parseConnection(value: string): Result<Connection, string> {
  const t = value.trim().split(/\s+/);
  if (t.length !== 3 || !/^[A-Za-z0-9.:/%_-]{1,255}$/.test(t[2]!)) return err('want "c=IN IP4|IP6 <address>"');
  return ok({ netType: t[0]!, addrType: t[1]!, address: t[2]! });
}

function parseOrigin(value: string): Result<Origin, string> {
  const t = value.trim().split(/\s+/);
  if (t.length !== 6) return err('want "o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>"');
  if (!/^\d{1,20}$/.test(t[1]!) || !/^\d{1,20}$/.test(t[2]!)) return err('o= session id and version must be numbers');
  return ok({
    username: t[0]!,
    sessionId: t[1]!,
    sessionVersion: t[2]!,
    connection: { netType: t[3]!, addrType: t[4]!, address: t[5]! },
  });
}

function parseMediaLine(value: string): Result<MediaBuilder, string> {
  const t = value.trim().split(/\s+/);
  if (t.length < 3) return err('want "m=<media> <port> <proto> <fmt> …"');
  const pm = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(t[1]!);
  const port = pm ? Number(pm[1]) : NaN;
  if (!(port >= 0 && port <= 65535)) return err(`bad media port "${t[1]}"`);
  if (!/^[A-Za-z0-9\-.!%*_+`'~/]+$/.test(t[0]!) || !/^[A-Za-z0-9\-.!%*_+`'~/]+$/.test(t[2]!)) return err('bad media type or protocol');
  return ok({
    type: t[0]!,
    port,
    ...(pm?.[2] !== undefined ? { portCount: Number(pm[2]) } : {}),
    protocol: t[2]!,
    formats: t.slice(3),
    bandwidths: [],
    attributes: [],
    otherLines: [],
    candidates: 0,
  });
}
