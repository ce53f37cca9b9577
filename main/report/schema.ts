import { z } from 'zod';

/**
 * The JSON report, version 1 (docs/report-schema.md describes every field). `--json` prints this
 * object; CI and other tools read it, so a field is never renamed or retyped within a version:
 * additions only, and anything else bumps `version`. Times are milliseconds from the run's start
 * (the Timeline header's origin); a figure that could not be measured is `null`, never absent.
 */
export const REPORT_FORMAT = 'mediapath-report';
export const REPORT_VERSION = 1;

const ms = z.number().finite();
const nullableFigure = z.number().finite().nullable();
const verdict = z.enum(['pass', 'fail', 'error']);

const errorOut = z.object({ code: z.string(), message: z.string() });

export const reportCandidateSchema = z.object({
  type: z.enum(['host', 'srflx', 'prflx', 'relay']),
  transport: z.enum(['udp', 'tcp']),
  tcpType: z.enum(['active', 'passive', 'so']).optional(),
  address: z.string(),
  port: z.number().int(),
  component: z.number().int().optional(),
  priority: z.number().optional(),
  relatedAddress: z.string().optional(),
  relatedPort: z.number().int().optional(),
  relayProtocol: z.enum(['udp', 'tcp', 'tls']).optional(),
  /** `relay/udp(tcp) 203.0.113.10:50000`: the label used in pairs and path changes. */
  label: z.string(),
});

export const reportPhaseSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  /** How long the phase took; to the end of the run when it never finished. */
  ms,
  /** `done`, `failed`, `skipped`, or `running` when the run ended inside it. */
  state: z.enum(['done', 'failed', 'skipped', 'running']),
  startMs: ms,
  detail: z.string().optional(),
});

export const reportEpochSchema = z.object({
  /** `ssrc:epoch` (or `epoch`): the stream and its path epoch. */
  key: z.string(),
  epoch: z.number().int(),
  ssrc: z.number().int().optional(),
  /** The path's label (`relay/udp 203.0.113.10:50000 → host/udp 10.1.0.12:4000`), null before a path. */
  path: z.string().nullable(),
  pathKind: z.string().nullable(),
  reason: z.string().optional(),
  startMs: ms,
  durationMs: ms,
  packetsExpected: z.number(),
  packetsReceived: z.number(),
  lossPct: nullableFigure,
  jitterMs: nullableFigure,
  rttMs: nullableFigure,
  mos: nullableFigure,
  mosMin: nullableFigure,
  reorderPct: nullableFigure,
  burstLossPct: nullableFigure,
  oneWayMs: nullableFigure,
  verdict: z.enum(['pass', 'fail', 'not-measured']),
});

export const reportThresholdResultSchema = z.object({
  epoch: z.string(),
  metric: z.enum(['lossPct', 'jitterMs', 'rttMs', 'oneWayMs', 'burstLossPct', 'reorderPct', 'mos']),
  status: z.enum(['pass', 'fail', 'not-measured']),
  value: z.number().nullable(),
  op: z.enum(['<', '>=']),
  limit: z.number(),
  windowMs: z.number().optional(),
  window: z.object({ startMs: ms, endMs: ms }).optional(),
  /** `packet loss 2.10% (limit < 1%, any 15 s)`. */
  text: z.string(),
});

export const reportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(REPORT_VERSION),
  tool: z.object({ name: z.string(), version: z.string() }),
  run: z.object({
    /** ISO 8601 wall time of the run's start. */
    startedAt: z.string(),
    durationMs: ms,
    events: z.number().int(),
    meta: z.record(z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  verdict,
  verdictReason: z.string(),
  /** 0 pass, 1 thresholds failed, 2 could not run. */
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  phases: z.array(reportPhaseSchema),
  registration: z
    .object({ ok: z.boolean(), aor: z.string().optional(), registrar: z.string().optional(), expiresS: z.number().optional(), ms: ms.optional(), error: errorOut.optional() })
    .nullable(),
  mras: z
    .object({
      ok: z.boolean(),
      mrasUri: z.string().optional(),
      relays: z.array(z.object({ host: z.string(), udpPort: z.number().int().optional(), tcpPort: z.number().int().optional(), location: z.string().optional() })),
      username: z.string().optional(),
      /** How long the credentials were valid for when granted. */
      validForMs: ms.optional(),
      renewals: z.number().int(),
      error: errorOut.optional(),
    })
    .nullable(),
  gathering: z
    .object({
      candidates: z.number().int(),
      ms: ms.optional(),
      steps: z.array(z.object({ kind: z.string(), server: z.string().optional(), protocol: z.string().optional(), state: z.enum(['gathered', 'failed']), ms: ms.optional(), reason: z.string().optional() })),
    })
    .nullable(),
  candidates: z.object({ local: z.array(reportCandidateSchema), remote: z.array(reportCandidateSchema) }),
  checks: z.object({ pairs: z.number().int(), byState: z.record(z.number().int()), firstSuccessMs: ms.nullable() }),
  /** The per-pair matrix: every pair checked, its last state and round trip. */
  pairs: z.array(z.object({ id: z.string(), local: z.string(), remote: z.string(), state: z.string(), rttMs: z.number().nullable(), nominated: z.boolean(), valid: z.boolean() })),
  pathChanges: z.array(z.object({ atMs: ms, component: z.number().int(), from: z.string().nullable(), to: z.string().nullable(), pathKind: z.string().nullable(), reason: z.string() })),
  finalPath: z.object({ label: z.string(), pathKind: z.string(), local: z.string(), remote: z.string() }).nullable(),
  epochs: z.array(reportEpochSchema),
  thresholds: z.object({ profile: z.string(), title: z.string(), status: verdict, reason: z.string(), results: z.array(reportThresholdResultSchema) }),
  diagnoses: z.array(z.object({ id: z.string(), severity: z.enum(['error', 'warning', 'info']), message: z.string(), evidence: z.array(z.number().int()) })),
  /** The end-of-call QoE report (SERVICE to provisioning's qosUri): whether the server took it. */
  qoe: z
    .object({ qosUri: z.string(), ok: z.boolean(), status: z.number().int().optional(), ms: ms.optional(), bytes: z.number().int().optional(), error: errorOut.optional() })
    .nullable(),
});

export type Report = z.infer<typeof reportSchema>;
export type ReportCandidate = z.infer<typeof reportCandidateSchema>;
export type ReportPhase = z.infer<typeof reportPhaseSchema>;
export type ReportEpoch = z.infer<typeof reportEpochSchema>;
