import { MRAS_CONTENT_TYPE, MRAS_DEFAULT_DURATION_MINUTES, type MediaRelay, type MrasCredentialsResponse, type MrasLocation } from '../../mras/types';
import { buildMrasResponse, parseMrasRequest } from '../../mras/xml';
import { getHeader, type HeaderInput, type SipRequest } from '../../sip/message';
import { parseSipUri } from '../../sip/uri';
import { restCredentials } from '../../turn/credentials';
import type { LabMrasConfig, RegistrarKnobs } from './types';

/**
 * The lab's MRAS service ([MS-AVEDGEA] 3.1.5, PROTOCOLS.md §1), sans-IO: a SERVICE request in,
 * the SIP answer out. Credentials are TURN REST-API style (username `expiry:user`, password
 * base64 HMAC-SHA1(secret, username)), so a real coturn run with `--use-auth-secret
 * --static-auth-secret=<turnSecret>` accepts what this service hands out, as an Edge's relay
 * accepts what its MRAS mints.
 *
 * [MS-AVEDGEA] 3.1.5.1 names the first two refusals UnsupportedMessageType and
 * UnsupportedContentType (the latter with `Accept:`) and sends no XML with them; we map them
 * to SIP 405 and 415, the RFC 3261 §21.4.6 / §21.4.13 statuses that carry Allow and Accept
 * (unverified against a capture). Later refusals travel in the XML `reasonPhrase` of a 200.
 */
export interface MrasServiceAnswer {
  readonly status: number;
  readonly headers: HeaderInput;
  readonly body: string;
  readonly outcome:
    | {
        readonly kind: 'issued';
        readonly identity: string;
        readonly location: MrasLocation;
        readonly username: string;
        readonly expiresAtUnix: number;
        readonly durationMinutes: number;
        readonly relays: readonly MediaRelay[];
      }
    | { readonly kind: 'refused'; readonly reasonPhrase?: string; readonly reason: string };
}

export interface MrasServiceContext {
  readonly mrasUri: string;
  /** Epoch ms. */
  readonly wallNow: number;
  readonly knobs: RegistrarKnobs;
  /** Whether the user part of an identity is one of ours (users in the lab's domain). */
  readonly knownIdentity: (identity: string) => string | undefined;
}

/** The default MRAS URI, shaped like an Edge's GRUU (PROTOCOLS.md §1 request example). */
export function defaultMrasUri(domain: string): string {
  return `sip:mras@${domain};gruu;opaque=srvr:MRAS:lab`;
}

/** Whether two URIs name the same service: user, host (any case), port and the GRUU `opaque`. */
export function sameServiceUri(a: string, b: string): boolean {
  if (a.trim().toLowerCase() === b.trim().toLowerCase()) return true;
  const x = parseSipUri(a);
  const y = parseSipUri(b);
  if (!x.ok || !y.ok) return false;
  return (
    x.value.user === y.value.user &&
    x.value.host.toLowerCase() === y.value.host.toLowerCase() &&
    x.value.port === y.value.port &&
    (x.value.params['opaque'] ?? '') === (y.value.params['opaque'] ?? '')
  );
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function refusalXml(requestId: string, reasonPhrase: string, to?: string, from?: string): string {
  return buildMrasResponse({
    requestId,
    version: '2.0',
    serverVersion: '2.0',
    ...(to !== undefined ? { to } : {}),
    ...(from !== undefined ? { from } : {}),
    reasonPhrase,
    credentialsResponses: [],
  });
}

/** Relays for a client's location: the ones labelled with it (or unlabelled), else all. */
export function relaysFor(relays: readonly MediaRelay[], location: MrasLocation): MediaRelay[] {
  const matching = relays.filter((r) => r.location === undefined || r.location === location);
  return matching.length > 0 ? matching : [...relays];
}

export function answerMrasService(req: SipRequest, cfg: LabMrasConfig, ctx: MrasServiceContext): MrasServiceAnswer {
  const xmlHeaders: HeaderInput = [['Content-Type', MRAS_CONTENT_TYPE]];
  if (req.method !== 'SERVICE') {
    return { status: 405, headers: [['Allow', 'SERVICE']], body: '', outcome: { kind: 'refused', reason: `UnsupportedMessageType: ${req.method}` } };
  }
  const ct = mediaType(getHeader(req, 'Content-Type'));
  if (ct !== MRAS_CONTENT_TYPE) {
    return { status: 415, headers: [['Accept', MRAS_CONTENT_TYPE]], body: '', outcome: { kind: 'refused', reason: `UnsupportedContentType: ${ct || '(none)'}` } };
  }
  const parsed = parseMrasRequest(req.body);
  if (!parsed.ok) {
    const reasonPhrase = 'Request Malformed';
    return { status: 200, headers: xmlHeaders, body: refusalXml('0', reasonPhrase), outcome: { kind: 'refused', reasonPhrase, reason: parsed.error.reason } };
  }
  const r = parsed.value;
  const refuse = (reasonPhrase: string, reason: string): MrasServiceAnswer => ({
    status: 200,
    headers: xmlHeaders,
    body: refusalXml(r.requestId, reasonPhrase, r.to, r.from),
    outcome: { kind: 'refused', reasonPhrase, reason },
  });
  if (ctx.knobs.mrasError !== undefined) return refuse(ctx.knobs.mrasError, 'mrasError knob');
  // PROTOCOLS.md §1: a request not addressed to this service's URI is "Request Malformed".
  if (!sameServiceUri(r.to, ctx.mrasUri)) return refuse('Request Malformed', `to="${r.to.slice(0, 80)}" is not ${ctx.mrasUri}`);

  const maxMinutes = cfg.durationMinutes ?? MRAS_DEFAULT_DURATION_MINUTES;
  const nowUnix = Math.floor(ctx.wallNow / 1000);
  const responses: MrasCredentialsResponse[] = [];
  let first: Extract<MrasServiceAnswer['outcome'], { kind: 'issued' }> | undefined;
  for (const c of r.credentialsRequests) {
    const user = ctx.knownIdentity(c.identity);
    if (user === undefined) return refuse('Request Malformed', `identity ${c.identity.slice(0, 80)} is not a user of this lab`);
    const minutes = Math.max(1, Math.min(c.durationMinutes, maxMinutes));
    const cred = restCredentials(cfg.turnSecret, user, nowUnix + minutes * 60);
    const relays = relaysFor(cfg.relays, c.location);
    responses.push({
      credentialsRequestId: c.credentialsRequestId,
      credentials: { username: cred.username, password: cred.password, durationMinutes: minutes, ...(cfg.realm !== undefined ? { realm: cfg.realm } : {}) },
      mediaRelays: relays,
    });
    first ??= { kind: 'issued', identity: c.identity, location: c.location, username: cred.username, expiresAtUnix: cred.expiresAt, durationMinutes: minutes, relays };
  }
  const body = buildMrasResponse({
    requestId: r.requestId,
    version: '2.0',
    serverVersion: '2.0',
    to: r.to,
    from: r.from,
    reasonPhrase: 'OK',
    credentialsResponses: responses,
  });
  return { status: 200, headers: xmlHeaders, body, outcome: first! };
}
