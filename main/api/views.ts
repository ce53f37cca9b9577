import { z } from 'zod';

/**
 * Plain-data views that events carry: JSON-safe (no bigint, no class instances), validated with
 * zod when they come from outside (a saved run opened again). They are written here rather than
 * imported, because main/api may import main/common only; main/ice's CandidateView and PairView
 * are structurally assignable to these (main/serve checks that at compile time).
 */

const text = (max: number) => z.string().max(max);

/** Same shape as main/common ErrorInfo; `code` is open so a newer engine's codes still load. */
export const errorInfoSchema = z
  .object({
    code: text(64),
    message: text(4096),
    layer: text(32).optional(),
    peer: z.object({ ip: text(64), port: z.number().int() }).optional(),
    response: z.record(z.unknown()).optional(),
  })
  .readonly();
export type ErrorInfoView = z.infer<typeof errorInfoSchema>;

export const CANDIDATE_TYPES = ['host', 'srflx', 'prflx', 'relay'] as const;

export const candidateViewSchema = z
  .object({
    id: text(256),
    type: z.enum(CANDIDATE_TYPES),
    transport: z.enum(['udp', 'tcp']),
    tcpType: z.enum(['active', 'passive', 'so']).optional(),
    address: text(64),
    port: z.number().int().min(0).max(65535),
    family: z.union([z.literal(4), z.literal(6)]),
    priority: z.number().int().min(0),
    foundation: text(64),
    component: z.number().int().min(1).max(256),
    relatedAddress: text(64).optional(),
    relatedPort: z.number().int().min(0).max(65535).optional(),
    /** How the agent reaches the server that produced a srflx or relay candidate. */
    relayProtocol: z.enum(['udp', 'tcp', 'tls']).optional(),
    server: text(128).optional(),
    interfaceName: text(64).optional(),
  })
  .readonly();
export type CandidateView = z.infer<typeof candidateViewSchema>;

/** RFC 8445 §6.1.2.6 pair states. */
export const PAIR_STATES = ['frozen', 'waiting', 'in-progress', 'succeeded', 'failed'] as const;
export type PairState = (typeof PAIR_STATES)[number];

export const pairViewSchema = z
  .object({
    id: text(600),
    component: z.number().int().min(1).max(256),
    local: candidateViewSchema,
    remote: candidateViewSchema,
    /** Decimal string: a 64-bit pair priority does not survive JSON as a number. */
    priority: z.string().regex(/^\d{1,20}$/),
    state: z.enum(PAIR_STATES),
    nominated: z.boolean(),
    valid: z.boolean(),
    lastRtt: z.number().min(0).optional(),
  })
  .readonly();
export type PairView = z.infer<typeof pairViewSchema>;

/** Why the media path moved. Known values below; the field stays open for newer engines. */
export const PATH_CHANGE_REASONS = ['first-success', 'higher-priority-succeeded', 'nominated', 'consent-lost', 'relay-failed'] as const;
export type KnownPathChangeReason = (typeof PATH_CHANGE_REASONS)[number];

/** One gathering step: a host socket, a Binding to a STUN server, an allocation per relay transport. */
export const gatherStepSchema = z
  .object({
    kind: z.enum(['host', 'srflx', 'relay']),
    server: text(128).optional(),
    protocol: z.enum(['udp', 'tcp', 'tls']).optional(),
    component: z.number().int().min(1).max(256),
    base: text(128).optional(),
    state: z.enum(['gathered', 'failed']),
    ms: z.number().min(0),
    reason: text(1024).optional(),
    error: errorInfoSchema.optional(),
  })
  .readonly();
export type GatherStepView = z.infer<typeof gatherStepSchema>;

export const gatherSummarySchema = z
  .object({
    candidates: z.number().int().min(0),
    byType: z.record(z.number().int().min(0)),
    failed: z.number().int().min(0),
    ms: z.number().min(0),
  })
  .readonly();
export type GatherSummaryView = z.infer<typeof gatherSummarySchema>;

/** A relay as MRAS hands it out ([MS-MRAS] §2.2.2.2 mediaRelay: host name and ports). */
export const relayViewSchema = z
  .object({
    host: text(256),
    udpPort: z.number().int().min(0).max(65535).optional(),
    tcpPort: z.number().int().min(0).max(65535).optional(),
    /** internal or external edge interface, as MRAS labels it. */
    location: text(32).optional(),
  })
  .readonly();
export type RelayView = z.infer<typeof relayViewSchema>;

/** The path a media epoch runs on (an ICE pair, or a plain socket in tests). */
export const mediaPathSchema = z
  .object({
    id: text(600),
    /** host, srflx, relay, socket… */
    kind: text(32),
    /** For people: `relay/udp 203.0.113.10:50000 → host 10.1.0.12:4000`. */
    label: text(600),
  })
  .readonly();
export type MediaPathView = z.infer<typeof mediaPathSchema>;

/** One interval's figures for one stream; a figure is absent when it was not measurable yet. */
export const mediaStatsSchema = z
  .object({
    startMs: z.number(),
    endMs: z.number(),
    packetsSent: z.number().int().min(0).optional(),
    packetsReceived: z.number().int().min(0).optional(),
    lossPct: z.number().min(0).max(100).optional(),
    jitterMs: z.number().min(0).optional(),
    rttMs: z.number().min(0).optional(),
    /** E-model MOS (ITU-T G.107), 1–4.5. */
    mos: z.number().min(0).max(5).optional(),
    /**
     * What was received in the interval, split by the path epoch the peer SENT it on (a path cut
     * shows as loss of the old path's epoch, learnt once the new path delivers). The whole-interval
     * figures above mix them at a path change; charts per epoch read these where present.
     */
    byEpoch: z
      .array(
        z
          .object({
            epoch: z.number().int().min(0),
            packetsExpected: z.number().int().min(0),
            packetsReceived: z.number().int().min(0),
            lossPct: z.number().min(0).max(100).optional(),
            jitterMs: z.number().min(0).optional(),
            mos: z.number().min(0).max(5).optional(),
          })
          .readonly(),
      )
      .max(64)
      .readonly()
      .optional(),
  })
  .readonly();
export type MediaStatsView = z.infer<typeof mediaStatsSchema>;
