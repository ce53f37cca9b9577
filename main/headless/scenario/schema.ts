import { z } from 'zod';
import { CODECS, type CodecName } from '../../media/codecs';
import { METRICS, THRESHOLD_PROFILES } from '../../session/thresholds';
import { DURATION_HINT, parseDuration } from './duration';

/**
 * The `mediapath run SCENARIO.yaml` file, version 1 (docs/scenario-reference.md explains every
 * field with examples). Objects are strict: a misspelt field is an error with a suggestion, not
 * silently ignored. Defaults are filled in here, so the parsed value is complete.
 */

export const SCENARIO_VERSION = 1;

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const duration = z
  .union([z.number(), z.string()], { errorMap: () => ({ message: DURATION_HINT }) })
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: DURATION_HINT });
      return z.NEVER;
    }
    return ms;
  });

const sipUri = z.string().trim().regex(/^sips?:[^\s@]+@[^\s@]+$/i, 'expected a SIP URI like sip:alice@example.com');
const sipTarget = z.string().trim().regex(/^(sips?|tel):\S+$/i, 'expected a SIP URI like sip:bob@example.com (or tel:+15551234)');

const port = z.number().int('expected a whole number').min(1, 'expected a port 1–65535').max(65535, 'expected a port 1–65535');

const registrarSchema = z
  .object({
    /** A name resolved through DNS (A/AAAA), or… */
    host: nonEmpty.optional(),
    /** …an IP literal. */
    address: z.string().trim().ip({ message: 'expected an IPv4 or IPv6 address' }).optional(),
    port: port.optional(),
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    tls: z
      .object({
        /** PEM file of the CA that signed the registrar's certificate (relative to the scenario file). */
        ca: nonEmpty.optional(),
        serverName: nonEmpty.optional(),
        /** Accept a self-signed certificate: for a lab only. */
        insecure: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.host === !r.address) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of host or address' });
    if (r.tls && r.transport !== 'tls') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tls'], message: 'tls settings need transport: tls' });
  });

const accountSchema = z
  .object({
    /** The name `call.from` and `answer.as` refer to. */
    id: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a short name (letters, digits, _ . -)'),
    aor: sipUri,
    /** Digest user name; default the user part of the AOR. */
    username: nonEmpty.optional(),
    password: z.string().optional(),
    displayName: z.string().optional(),
  })
  .strict();

const callSchema = z
  .object({
    from: nonEmpty.optional(),
    target: sipTarget,
    duration: duration,
    /** How long to wait for the answer (200 OK). */
    answerTimeout: duration.default(30),
  })
  .strict();

const answerSchema = z
  .object({
    as: nonEmpty.optional(),
    /** How many calls to answer before the run ends. */
    calls: z.number().int('expected a whole number').min(1).max(1000).default(1),
    /** Hang up each answered call after this long; absent: when the caller hangs up. */
    duration: duration.optional(),
    /** How long to wait for each call. */
    timeout: duration.default(300),
  })
  .strict();

const CODEC_NAMES = Object.keys(CODECS) as [CodecName, ...CodecName[]];

const mediaSchema = z
  .object({
    codec: z.enum(CODEC_NAMES).default('PCMU'),
    ptime: z.number().int('expected a whole number of ms').optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const allowed = CODECS[m.codec].ptimesMs;
    if (m.ptime !== undefined && !allowed.includes(m.ptime)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ptime'], message: `${m.codec} takes a ptime of ${allowed.join(', ')} ms` });
  });

const PROFILE_NAMES = Object.keys(THRESHOLD_PROFILES) as [string, ...string[]];
const limit = z.number().finite().min(0, 'must not be negative');

/** A user-defined profile: a base profile (optional) and limits; `null` drops a base limit. */
const thresholdsObject = z
  .object({
    profile: z.enum(PROFILE_NAMES).optional(),
    name: nonEmpty.optional(),
    ...Object.fromEntries(METRICS.map((m) => [m, limit.nullable().optional()])),
  })
  .strict();

const thresholdsSchema = z.union([z.enum(PROFILE_NAMES), thresholdsObject], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union' ? { message: `expected a profile name (${PROFILE_NAMES.join(', ')}) or limits such as { profile: microsoft-client-edge, rttMs: 150 }` } : { message: ctx.defaultError },
});

const outputSchema = z
  .object({
    /** Where the files go (relative to the scenario file); other paths are relative to it. */
    dir: nonEmpty.default('.'),
    json: nonEmpty.optional(),
    junit: nonEmpty.optional(),
    /** Appended, header written once: one file can collect many runs. */
    csv: nonEmpty.optional(),
    summary: nonEmpty.optional(),
    timeline: nonEmpty.optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    version: z.literal(SCENARIO_VERSION, { errorMap: () => ({ message: `expected ${SCENARIO_VERSION} (the only scenario version)` }) }).default(SCENARIO_VERSION),
    name: nonEmpty.optional(),
    registrar: registrarSchema,
    accounts: z.array(accountSchema).min(1, 'expected at least one account').max(16),
    /** ICE dialect of the offer: `v19` alone (SfB 2016), or multipart with the draft-6 fallback. */
    dialect: z.enum(['v19', 'multipart-draft6']).default('v19'),
    strategy: z.enum(['lync', 'rfc8445']).default('lync'),
    call: callSchema.optional(),
    answer: answerSchema.optional(),
    media: mediaSchema.default({}),
    thresholds: thresholdsSchema.default('microsoft-client-edge'),
    output: outputSchema.default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.call === !s.answer) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of call (make a call) or answer (wait for calls)' });
    const ids = s.accounts.map((a) => a.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['accounts', i, 'id'], message: `account id "${id}" is used twice` });
    });
    if (s.call?.from !== undefined && !ids.includes(s.call.from)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['call', 'from'], message: `no account "${s.call.from}" (accounts: ${ids.join(', ')})` });
    if (s.answer?.as !== undefined && !ids.includes(s.answer.as)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['answer', 'as'], message: `no account "${s.answer.as}" (accounts: ${ids.join(', ')})` });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioData = z.output<typeof scenarioSchema>;

/** Every field name the schema knows, for "did you mean" on a misspelt one. */
export const SCENARIO_FIELD_NAMES: readonly string[] = [
  ...Object.keys(scenarioSchema.innerType().shape),
  ...Object.keys(registrarSchema.innerType().shape),
  'ca',
  'serverName',
  'insecure',
  ...Object.keys(accountSchema.shape),
  ...Object.keys(callSchema.shape),
  ...Object.keys(answerSchema.shape),
  'codec',
  'ptime',
  ...Object.keys(thresholdsObject.shape),
  ...Object.keys(outputSchema.shape),
];
