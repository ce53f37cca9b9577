import { z } from 'zod';
import {
  candidateViewSchema,
  errorInfoSchema,
  gatherStepSchema,
  gatherSummarySchema,
  mediaPathSchema,
  mediaStatsSchema,
  PAIR_STATES,
  pairViewSchema,
  relayViewSchema,
} from './views';

/**
 * The Timeline's entries (DESIGN.md "The Timeline"): every observable step of a run as plain
 * data with a monotonic `at` in milliseconds. The UI, the CLI and the reports are functions of a
 * list of these; a run is saved as one event per line (JSON Lines) and opened again through the
 * same schemas, so a saved file is untrusted input with hard limits.
 */

const text = (max: number) => z.string().max(max);
/** Monotonic milliseconds of the run's clock (virtual time in lab runs). */
const at = z.number().finite();

/** The five phases of a call (issue 6), in order. */
export const PHASE_NAMES = ['registration', 'mras', 'gathering', 'checks', 'media'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];
export const PHASE_STATES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
export type PhaseState = (typeof PHASE_STATES)[number];

export const REGISTRATION_STATES = ['unregistered', 'registering', 'registered', 'unregistering', 'failed'] as const;

/** A SIP message is at most this long on our transports (main/sip limits): more is not ours. */
const SIP_TEXT_MAX = 256 * 1024;

const sipMessage = {
  at,
  /** The whole message as sent or received, credentials already redacted by the transport. */
  text: text(SIP_TEXT_MAX),
  /** The other end, `ip:port`. */
  peer: text(128),
  transport: z.enum(['udp', 'tcp', 'tls', 'ws', 'wss']),
  /** Our own address for it, when known. */
  local: text(128).optional(),
};

const EVENT_SCHEMAS = [
  z.object({ type: z.literal('run.started'), at, runId: text(128), title: text(256), source: z.enum(['lab', 'call', 'file']), startedAt: z.number() }),
  z.object({ type: z.literal('run.ended'), at, runId: text(128), ok: z.boolean(), error: errorInfoSchema.optional() }),
  z.object({ type: z.literal('phase'), at, name: z.enum(PHASE_NAMES), state: z.enum(PHASE_STATES), detail: text(1024).optional() }),
  z.object({ type: z.literal('sip.sent'), ...sipMessage }),
  z.object({ type: z.literal('sip.received'), ...sipMessage }),
  z
    .object({
      type: z.literal('registration'),
      at,
      state: z.enum(REGISTRATION_STATES),
      registrar: text(256),
      aor: text(256).optional(),
      transport: z.enum(['udp', 'tcp', 'tls']).optional(),
      /** Seconds granted by the registrar (RFC 3261 §10.2.4), counted from `at`. */
      expires: z.number().int().min(0).optional(),
      error: errorInfoSchema.optional(),
    }),
  z
    .object({
      type: z.literal('mras.credentials'),
      at,
      mrasUri: text(256).optional(),
      relays: z.array(relayViewSchema).max(64).readonly(),
      username: text(1024),
      /** Redacted in the Timeline; present only when the engine chose to hand it to the UI. */
      password: text(1024).optional(),
      /** Run-clock milliseconds at which the credentials expire. */
      expiresAt: z.number(),
      /** Lifetime granted, in seconds ([MS-MRAS] duration; 480 min on an Edge). */
      durationS: z.number().int().min(0).optional(),
      /** True when this replaces earlier credentials (a renewal). */
      renewal: z.boolean().optional(),
    }),
  z.object({ type: z.literal('mras.failed'), at, error: errorInfoSchema, reason: text(1024).optional() }),
  // `side` is always local (the peer's arrive as candidate.remote); optional, as the agent omits it.
  z.object({ type: z.literal('candidate.gathered'), at, side: z.literal('local').optional(), candidate: candidateViewSchema }),
  z
    .object({
      type: z.literal('candidate.remote'),
      at,
      candidate: candidateViewSchema,
      /** From the peer's SDP, or learnt as peer-reflexive from an incoming check (RFC 8445 §7.3.1.3). */
      source: z.enum(['sdp', 'prflx']),
    }),
  z.object({ type: z.literal('gather.step'), at, step: gatherStepSchema }),
  z.object({ type: z.literal('gather.done'), at, summary: gatherSummarySchema }),
  z
    .object({
      type: z.literal('check'),
      at,
      pair: pairViewSchema,
      from: z.enum(PAIR_STATES),
      to: z.enum(PAIR_STATES),
      reason: text(512),
      rtt: z.number().min(0).optional(),
      error: errorInfoSchema.optional(),
    }),
  z.object({ type: z.literal('pair.valid'), at, pair: pairViewSchema }),
  z.object({ type: z.literal('pair.nominated'), at, pair: pairViewSchema, by: z.enum(['us', 'peer']) }),
  z
    .object({
      type: z.literal('path.changed'),
      at,
      component: z.number().int().min(1).max(256),
      from: pairViewSchema.optional(),
      to: pairViewSchema.optional(),
      /** first-success, higher-priority-succeeded, nominated, consent-lost, relay-failed… */
      reason: text(128),
    }),
  z.object({ type: z.literal('consent'), at, pair: text(600), ok: z.boolean(), rtt: z.number().min(0).optional(), error: errorInfoSchema.optional() }),
  z.object({ type: z.literal('ice.state'), at, from: text(32), to: text(32), reason: text(512) }),
  z.object({ type: z.literal('media.stats'), at, epoch: z.number().int().min(0), path: mediaPathSchema.nullable(), stats: mediaStatsSchema }),
  z
    .object({
      type: z.literal('diagnosis'),
      at,
      /** Stable rule id (`no-reflexive-candidates`, `nominated-srflx`…): tests and reports match on it. */
      id: text(128),
      message: text(2048),
      evidence: z.array(text(1024)).max(64).readonly(),
      severity: z.enum(['info', 'warning', 'error']).optional(),
    }),
  z
    .object({
      type: z.literal('verdict'),
      at,
      verdict: z.enum(['pass', 'fail', 'error']),
      summary: text(2048),
      /** One line per threshold or expectation checked. */
      checks: z
        .array(z.object({ name: text(128), ok: z.boolean(), detail: text(512).optional() }).readonly())
        .max(64)
        .readonly()
        .optional(),
    }),
] as const;

export const engineEventSchema = z.discriminatedUnion('type', [...EVENT_SCHEMAS]);
export type EngineEvent = z.infer<typeof engineEventSchema>;
export type EngineEventType = EngineEvent['type'];
/** The event of one type: `EventOf<'path.changed'>`. */
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

/** Every event type, in the order above: the UI's legend and the snapshot test use it. */
export const ENGINE_EVENT_TYPES: readonly EngineEventType[] = EVENT_SCHEMAS.map((s) => s.shape.type.value);
