import { z } from 'zod';
import { pathKind, type PathKind } from '../ice/selected-path';

/**
 * The events of the Timeline that reports and diagnosis rules read, as zod schemas. A saved run
 * is checked against them when it is loaded, so a rule never meets a `check` without a pair or a
 * candidate without a port. Each schema names only the fields we read and lets the rest through
 * (`passthrough`): the layers that emit these events (ice, mras, media, sip, session) stay free to
 * add fields, and an event type not listed here is kept as it is, checked only for `type` and `at`.
 *
 * The shapes mirror the emitters: `candidate.gathered`, `gather.step`, `check`, `pair.valid`,
 * `pair.nominated` and `path.changed` come from main/ice; `mras.*` from main/mras/client.ts;
 * `media.stats`/`media.epoch` from main/media/stream/media-session.ts; `registration` and
 * `call.state` from main/sip/ua; `phase`, `ice.state`, `candidate.remote` and the flat `media.stats`
 * figures as main/api's EngineEvent writes them. `provisioning` is the lab registrar's (and the
 * session's, once main/api carries it).
 */

const finite = z.number().finite();

export const errorInfoSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    layer: z.string().optional(),
    response: z.object({ code: z.number().optional(), reason: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type ErrorInfoView = z.infer<typeof errorInfoSchema>;

export const candidateViewSchema = z
  .object({
    id: z.string().optional(),
    type: z.enum(['host', 'srflx', 'prflx', 'relay']),
    transport: z.enum(['udp', 'tcp']),
    tcpType: z.enum(['active', 'passive', 'so']).optional(),
    address: z.string(),
    port: z.number().int().min(0).max(65535),
    priority: finite.optional(),
    foundation: z.string().optional(),
    component: z.number().int().optional(),
    relatedAddress: z.string().optional(),
    relatedPort: z.number().int().optional(),
    relayProtocol: z.enum(['udp', 'tcp', 'tls']).optional(),
    server: z.string().optional(),
  })
  .passthrough();
export type CandidateViewData = z.infer<typeof candidateViewSchema>;

export const pairViewSchema = z
  .object({
    id: z.string(),
    component: z.number().int().optional(),
    local: candidateViewSchema,
    remote: candidateViewSchema,
    state: z.string().optional(),
    nominated: z.boolean().optional(),
    valid: z.boolean().optional(),
    lastRtt: finite.optional(),
  })
  .passthrough();
export type PairViewData = z.infer<typeof pairViewSchema>;

export const pathInfoSchema = z.object({ id: z.string(), kind: z.string(), label: z.string() }).passthrough();
export type PathInfoData = z.infer<typeof pathInfoSchema>;

const mediaRelaySchema = z
  .object({
    hostName: z.string().optional(),
    directIPAddress: z.string().optional(),
    udpPort: z.number().int().optional(),
    tcpPort: z.number().int().optional(),
    location: z.string().optional(),
  })
  .passthrough();
export type MediaRelayData = z.infer<typeof mediaRelaySchema>;

const receivedIntervalSchema = z
  .object({
    expected: finite,
    received: finite,
    lost: finite,
    reordered: finite.optional(),
    duplicates: finite.optional(),
    jitterMs: finite,
    maxJitterMs: finite.optional(),
    burstGap: z.object({ burstCount: finite.optional(), burstDensity: finite, burstDurationMs: finite.optional() }).passthrough().optional(),
    oneWayDelay: z.object({ meanMs: finite }).passthrough().optional(),
  })
  .passthrough();

export const mediaIntervalStatsSchema = z
  .object({
    startMs: finite,
    endMs: finite,
    sent: z.object({ packets: finite }).passthrough().optional(),
    received: receivedIntervalSchema.optional(),
    rtt: z.object({ count: finite, meanMs: finite.optional(), lastMs: finite.optional(), maxMs: finite.optional() }).passthrough().optional(),
    mos: finite.optional(),
    // main/api's flat view of an interval (MediaStatsView): figures without the counts behind them.
    packetsSent: finite.optional(),
    packetsReceived: finite.optional(),
    lossPct: finite.optional(),
    jitterMs: finite.optional(),
    rttMs: finite.optional(),
  })
  .passthrough();
export type MediaIntervalStatsData = z.infer<typeof mediaIntervalStatsSchema>;

/** One schema per event type we read; the key is the event's `type`. */
export const KNOWN_EVENT_SCHEMAS = {
  /** The call's five phases (main/api PHASE_NAMES): `running`, then `done`, `failed` or `skipped`. */
  phase: z.object({ name: z.string().min(1), state: z.string().min(1), detail: z.string().optional() }).passthrough(),
  registration: z
    .object({ aor: z.string().optional(), from: z.string().optional(), to: z.string().optional(), state: z.string().optional(), reason: z.string().optional(), expires: finite.optional(), error: errorInfoSchema.optional() })
    .passthrough(),
  provisioning: z.object({ ok: z.boolean().optional(), mrasUri: z.string().optional(), qosUri: z.string().optional(), error: errorInfoSchema.optional() }).passthrough(),
  'mras.credentials': z
    .object({ relays: z.array(mediaRelaySchema), username: z.string().optional(), realm: z.string().optional(), durationMinutes: finite.optional(), expiresAt: finite.optional(), renewal: z.boolean().optional() })
    .passthrough(),
  'mras.failed': z.object({ error: errorInfoSchema, renewal: z.boolean().optional() }).passthrough(),
  'mras.state': z.object({ from: z.string(), to: z.string(), reason: z.string().optional() }).passthrough(),
  'candidate.gathered': z.object({ candidate: candidateViewSchema }).passthrough(),
  /** A candidate of the peer, from its SDP (183, 200 or re-INVITE). */
  'candidate.remote': z.object({ candidate: candidateViewSchema }).passthrough(),
  'candidate.prflx': z.object({ side: z.enum(['local', 'remote']), candidate: candidateViewSchema }).passthrough(),
  'gather.step': z
    .object({
      step: z
        .object({
          kind: z.enum(['host', 'srflx', 'relay']),
          server: z.string().optional(),
          protocol: z.enum(['udp', 'tcp', 'tls']).optional(),
          component: z.number().int().optional(),
          state: z.enum(['gathered', 'failed']),
          ms: finite.optional(),
          reason: z.string().optional(),
          error: errorInfoSchema.optional(),
        })
        .passthrough(),
    })
    .passthrough(),
  'agent.state': z.object({ from: z.string().optional(), to: z.string(), reason: z.string().optional() }).passthrough(),
  /** main/api's name for the agent's state (main/serve maps agent.state to it). */
  'ice.state': z.object({ from: z.string().optional(), to: z.string(), reason: z.string().optional() }).passthrough(),
  'checklist.state': z.object({ from: z.string().optional(), to: z.string(), reason: z.string().optional() }).passthrough(),
  'gather.done': z.object({ summary: z.object({ candidates: finite, failed: finite.optional(), ms: finite.optional() }).passthrough() }).passthrough(),
  check: z.object({ pair: pairViewSchema, from: z.string().optional(), to: z.string(), reason: z.string().optional(), rtt: finite.optional(), error: errorInfoSchema.optional() }).passthrough(),
  'pair.valid': z.object({ pair: pairViewSchema }).passthrough(),
  'pair.nominated': z.object({ pair: pairViewSchema, by: z.string().optional() }).passthrough(),
  'path.changed': z.object({ component: z.number().int().optional(), from: pairViewSchema.optional(), to: pairViewSchema.optional(), reason: z.string() }).passthrough(),
  'call.state': z.object({ from: z.string().optional(), to: z.string(), reason: z.string().optional(), callId: z.string().optional(), direction: z.string().optional() }).passthrough(),
  'media.stats': z.object({ ssrc: z.number().int().optional(), epoch: z.number().int().min(0), path: pathInfoSchema.nullable().optional(), stats: mediaIntervalStatsSchema }).passthrough(),
  'media.epoch': z
    .object({ ssrc: z.number().int().optional(), epoch: z.number().int().min(0), from: pathInfoSchema.nullable().optional(), to: pathInfoSchema.nullable().optional(), reason: z.string().optional() })
    .passthrough(),
  'sip.sent': z.object({ peer: z.string(), text: z.string(), transport: z.string().optional() }).passthrough(),
  'sip.received': z.object({ peer: z.string(), text: z.string(), transport: z.string().optional() }).passthrough(),
  /** The caller's INVITE was refused 415 and sent again with one part (PROTOCOLS.md §2; call.ts). */
  'call.offer-retry': z
    .object({ status: z.number().int(), reason: z.string().optional(), accept: z.array(z.string()).optional(), from: z.string(), to: z.string(), contentType: z.string().optional() })
    .passthrough(),
  /** The end-of-call QoE report (`SERVICE <qosUri>`, PROTOCOLS.md §0 step 7): the answer's status and time, or why none came. */
  'qoe.sent': z
    .object({ qosUri: z.string(), callId: z.string().optional(), status: z.number().int().optional(), ms: finite.optional(), bytes: finite.optional(), error: errorInfoSchema.optional() })
    .passthrough(),
} as const;

export type KnownEventType = keyof typeof KNOWN_EVENT_SCHEMAS;

/** The fields of a known event, plus `type`, `at` and the Timeline's `seq`. */
export type KnownEvent<K extends KnownEventType> = z.infer<(typeof KNOWN_EVENT_SCHEMAS)[K]> & { readonly type: K; readonly at: number; readonly seq: number };

export function isKnownEventType(type: string): type is KnownEventType {
  return Object.prototype.hasOwnProperty.call(KNOWN_EVENT_SCHEMAS, type);
}

/**
 * The events of one type, typed. Events appended live come from our own emitters and are trusted
 * to have these shapes; events of a loaded file were checked against the schemas on load.
 */
export function eventsOf<K extends KnownEventType>(events: readonly { readonly type: string; readonly seq: number }[], type: K): KnownEvent<K>[] {
  return events.filter((e) => e.type === type) as unknown as KnownEvent<K>[];
}

/** The kind of path a pair is: through a relay if either end is one, else direct, else reflexive. */
export type { PathKind };

export function pathKindOf(pair: { readonly local: { readonly type: string }; readonly remote: { readonly type: string } }): PathKind {
  return pathKind(pair);
}

/** `relay/udp(tcp) 203.0.113.10:50000`: type, transport, how a relay is reached, address. */
export function candidateLabel(c: CandidateViewData): string {
  const transport = c.transport === 'tcp' && c.tcpType ? `tcp-${c.tcpType}` : c.transport;
  const via = c.type === 'relay' && c.relayProtocol ? `(${c.relayProtocol})` : '';
  const addr = c.address.includes(':') ? `[${c.address}]:${c.port}` : `${c.address}:${c.port}`;
  return `${c.type}/${transport}${via} ${addr}`;
}

export function pairLabel(p: PairViewData): string {
  return `${candidateLabel(p.local)} → ${candidateLabel(p.remote)}`;
}
