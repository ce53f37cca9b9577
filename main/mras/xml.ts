import { err, ok, type Result } from '../common/result';
import {
  type MediaRelay,
  MRAS_DEFAULT_DURATION_MINUTES,
  MRAS_NAMESPACE,
  type MrasCredentials,
  type MrasCredentialsRequest,
  type MrasCredentialsResponse,
  type MrasError,
  type MrasGrant,
  type MrasLocation,
  type MrasRequest,
  type MrasResponse,
} from './types';
import { attr, child, children, childText, escapeXml as x, parseXmlRoot, type XmlNode } from './xml-doc';

/**
 * The MRAS credentials exchange ([MS-AVEDGEA] 2.2.2 / 2.2.3, PROTOCOLS.md §1): the client's
 * `<request>`, the server's `<response>`, both directions, for the client and for the lab's
 * MRAS service. Parsing is lenient on prefixes and case; a refusal (reasonPhrase other than OK,
 * no credentials) is `MRAS_FAILED`, unreadable XML is `MRAS_PARSE`.
 */
const MAX_CREDENTIALS_REQUESTS = 100; // [MS-AVEDGEA] 2.2.2: 1 to 100 credentialsRequest elements
const MAX_RELAYS = 32;

/** The usual single-identity request a client sends after provisioning. */
export function credentialsRequestFor(p: {
  readonly requestId: string;
  readonly identity: string;
  readonly mrasUri: string;
  readonly location: MrasLocation;
  readonly durationMinutes?: number;
}): MrasRequest {
  return {
    requestId: p.requestId,
    from: p.identity,
    to: p.mrasUri,
    version: '2.0',
    credentialsRequests: [
      {
        credentialsRequestId: p.requestId,
        identity: p.identity,
        location: p.location,
        durationMinutes: p.durationMinutes ?? MRAS_DEFAULT_DURATION_MINUTES,
      },
    ],
  };
}

export function buildMrasRequest(r: MrasRequest): string {
  const route = r.route !== undefined ? ` route="${x(r.route)}"` : '';
  const body = r.credentialsRequests
    .map(
      (c) =>
        `<credentialsRequest credentialsRequestID="${x(c.credentialsRequestId)}">` +
        `<identity>${x(c.identity)}</identity><location>${x(c.location)}</location>` +
        `<duration>${c.durationMinutes}</duration></credentialsRequest>`,
    )
    .join('');
  return (
    `<request requestID="${x(r.requestId)}" from="${x(r.from)}" version="${x(r.version)}" to="${x(r.to)}"${route} ` +
    `xmlns="${MRAS_NAMESPACE}">${body}</request>`
  );
}

function failed(reason: string, reasonPhrase?: string): MrasError {
  return { code: 'MRAS_FAILED', reason, ...(reasonPhrase !== undefined ? { reasonPhrase } : {}) };
}

function malformed(reason: string): MrasError {
  return { code: 'MRAS_PARSE', reason };
}

function port(s: string | undefined, what: string): Result<number | undefined, MrasError> {
  if (s === undefined || s === '') return ok(undefined);
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  return n >= 1 && n <= 65535 ? ok(n) : err(malformed(`${what} "${s.slice(0, 20)}" is not a port`));
}

function minutes(s: string | undefined, what: string): Result<number | undefined, MrasError> {
  if (s === undefined || s === '') return ok(undefined);
  return /^\d{1,7}$/.test(s) ? ok(Number(s)) : err(malformed(`${what} "${s.slice(0, 20)}" is not a number of minutes`));
}

/** Server side: the lab MRAS service reads what a client asked for. */
export function parseMrasRequest(xml: string): Result<MrasRequest, MrasError> {
  const root = parseXmlRoot(xml, 'request');
  if (!root.ok) return root;
  const r = root.value;
  const requestId = attr(r, 'requestID');
  const from = attr(r, 'from');
  const to = attr(r, 'to');
  const version = attr(r, 'version');
  if (!requestId || !from || !to || !version) return err(malformed('request needs requestID, from, to and version'));
  const list = children(r, 'credentialsRequest');
  if (list.length === 0 || list.length > MAX_CREDENTIALS_REQUESTS) {
    return err(malformed(`want 1 to ${MAX_CREDENTIALS_REQUESTS} credentialsRequest elements, got ${list.length}`));
  }
  const credentialsRequests: MrasCredentialsRequest[] = [];
  for (const c of list) {
    const location = childText(c, 'location');
    if (location !== 'internet' && location !== 'intranet') return err(malformed(`location "${location ?? ''}" is neither internet nor intranet`));
    const identity = childText(c, 'identity');
    if (!identity) return err(malformed('credentialsRequest without identity'));
    const duration = minutes(childText(c, 'duration'), 'duration');
    if (!duration.ok) return duration;
    credentialsRequests.push({
      credentialsRequestId: attr(c, 'credentialsRequestID') ?? requestId,
      identity,
      location,
      durationMinutes: duration.value ?? MRAS_DEFAULT_DURATION_MINUTES,
    });
  }
  const route = attr(r, 'route');
  return ok({ requestId, from, to, version, ...(route !== undefined ? { route } : {}), credentialsRequests });
}

/** Server side: the lab MRAS service's answer (also its refusals, with no credentialsResponse). */
export function buildMrasResponse(r: MrasResponse): string {
  const opt = (name: string, v: string | undefined): string => (v === undefined ? '' : ` ${name}="${x(v)}"`);
  const body = r.credentialsResponses
    .map((c) => {
      const cred = c.credentials
        ? `<credentials><username>${x(c.credentials.username)}</username><password>${x(c.credentials.password)}</password>` +
          `<duration>${c.credentials.durationMinutes}</duration>` +
          (c.credentials.realm !== undefined ? `<realm>${x(c.credentials.realm)}</realm>` : '') +
          `</credentials>`
        : '';
      const relays = c.mediaRelays
        .map(
          (m) =>
            '<mediaRelay>' +
            (m.location !== undefined ? `<location>${x(m.location)}</location>` : '') +
            (m.hostName !== undefined ? `<hostName>${x(m.hostName)}</hostName>` : '') +
            (m.directIPAddress !== undefined ? `<directIPAddress>${x(m.directIPAddress)}</directIPAddress>` : '') +
            (m.udpPort !== undefined ? `<udpPort>${m.udpPort}</udpPort>` : '') +
            (m.tcpPort !== undefined ? `<tcpPort>${m.tcpPort}</tcpPort>` : '') +
            '</mediaRelay>',
        )
        .join('');
      return `<credentialsResponse credentialsRequestID="${x(c.credentialsRequestId)}">${cred}<mediaRelayList>${relays}</mediaRelayList></credentialsResponse>`;
    })
    .join('');
  return (
    `<response xmlns="${MRAS_NAMESPACE}" requestID="${x(r.requestId)}"${opt('version', r.version)}${opt('serverVersion', r.serverVersion)}` +
    `${opt('to', r.to)}${opt('from', r.from)} reasonPhrase="${x(r.reasonPhrase)}">${body}</response>`
  );
}

function parseRelay(node: XmlNode, index: number): Result<MediaRelay, MrasError> {
  const hostName = childText(node, 'hostName') || undefined;
  const directIPAddress = childText(node, 'directIPAddress') || undefined;
  if (!hostName && !directIPAddress) return err(malformed(`mediaRelay ${index + 1} has neither hostName nor directIPAddress`));
  const udp = port(childText(node, 'udpPort'), 'udpPort');
  if (!udp.ok) return udp;
  const tcp = port(childText(node, 'tcpPort'), 'tcpPort');
  if (!tcp.ok) return tcp;
  const location = childText(node, 'location') || undefined;
  return ok({
    ...(location !== undefined ? { location } : {}),
    ...(hostName !== undefined ? { hostName } : {}),
    ...(directIPAddress !== undefined ? { directIPAddress } : {}),
    ...(udp.value !== undefined ? { udpPort: udp.value } : {}),
    ...(tcp.value !== undefined ? { tcpPort: tcp.value } : {}),
  });
}

function parseCredentials(node: XmlNode | undefined, outer: XmlNode): Result<MrasCredentials | undefined, MrasError> {
  if (!node) return ok(undefined);
  const username = childText(node, 'username');
  const password = childText(node, 'password');
  if (!username || password === undefined) return err(malformed('credentials without username or password'));
  const duration = minutes(childText(node, 'duration'), 'duration');
  if (!duration.ok) return duration;
  const realm = childText(node, 'realm') || childText(outer, 'realm') || undefined;
  return ok({ username, password, durationMinutes: duration.value ?? MRAS_DEFAULT_DURATION_MINUTES, ...(realm ? { realm } : {}) });
}

/** Reads a `<response>` as it is, refusals included (see `grantFromResponse`). */
export function parseMrasResponse(xml: string): Result<MrasResponse, MrasError> {
  const root = parseXmlRoot(xml, 'response');
  if (!root.ok) return root;
  const r = root.value;
  const reasonPhrase = attr(r, 'reasonPhrase');
  if (reasonPhrase === undefined) return err(malformed('response without reasonPhrase'));
  const credentialsResponses: MrasCredentialsResponse[] = [];
  for (const c of children(r, 'credentialsResponse').slice(0, MAX_CREDENTIALS_REQUESTS)) {
    const credentials = parseCredentials(child(c, 'credentials'), c);
    if (!credentials.ok) return credentials;
    const relays = children(child(c, 'mediaRelayList'), 'mediaRelay');
    if (relays.length > MAX_RELAYS) return err(malformed(`more than ${MAX_RELAYS} media relays`));
    const mediaRelays: MediaRelay[] = [];
    for (const [i, m] of relays.entries()) {
      const relay = parseRelay(m, i);
      if (!relay.ok) return relay;
      mediaRelays.push(relay.value);
    }
    credentialsResponses.push({
      credentialsRequestId: attr(c, 'credentialsRequestID') ?? '',
      ...(credentials.value ? { credentials: credentials.value } : {}),
      mediaRelays,
    });
  }
  const opt = (name: string, key: string): Record<string, string> => {
    const v = attr(r, name);
    return v === undefined ? {} : { [key]: v };
  };
  return ok({
    requestId: attr(r, 'requestID') ?? '',
    ...opt('version', 'version'),
    ...opt('serverVersion', 'serverVersion'),
    ...opt('to', 'to'),
    ...opt('from', 'from'),
    reasonPhrase,
    credentialsResponses,
  });
}

/**
 * What a client needs from a response: credentials and relays, or why there are none. When
 * `requestId` is given, the answer must be to that request (a stale answer is not ours).
 */
export function grantFromResponse(resp: MrasResponse, requestId?: string): Result<MrasGrant, MrasError> {
  if (resp.reasonPhrase.toUpperCase() !== 'OK') {
    return err(failed(`MRAS refused: ${resp.reasonPhrase.slice(0, 100)}`, resp.reasonPhrase));
  }
  if (requestId !== undefined && resp.requestId !== '' && resp.requestId !== requestId) {
    return err(failed(`response to request ${resp.requestId.slice(0, 40)}, not ${requestId}`));
  }
  const c = resp.credentialsResponses.find((x) => x.credentials) ?? resp.credentialsResponses[0];
  if (!c?.credentials) return err(failed('MRAS answered OK without credentials'));
  if (c.mediaRelays.length === 0) return err(failed('MRAS answered OK without any media relay'));
  return ok({ credentials: c.credentials, relays: c.mediaRelays });
}

/** parseMrasResponse then grantFromResponse: the client's one call. */
export function readMrasGrant(xml: string, requestId?: string): Result<MrasGrant, MrasError> {
  const r = parseMrasResponse(xml);
  return r.ok ? grantFromResponse(r.value, requestId) : r;
}
