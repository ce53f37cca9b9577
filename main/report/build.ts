import { diagnose, type Diagnosis, type DiagnosisOptions } from '../session/diagnosis';
import { DEFAULT_PROFILE, describeMetricVerdict, evaluateThresholds, type ThresholdProfile, type ThresholdVerdicts, type Verdict } from '../session/thresholds';
import type { Stamped, TimelineEvent, TimelineReader } from '../session/timeline';
import { candidateLabel, eventsOf, pairLabel, pathKindOf, type CandidateViewData } from '../session/timeline-events';
import { aggregate, mediaEpochs } from '../session/timeline-media';
import { exitCodeFor } from './exit-code';
import { phasesOf } from './phases';
import { REPORT_FORMAT, REPORT_VERSION, type Report, type ReportCandidate } from './schema';

/**
 * The JSON report: a function of the Timeline, the threshold verdicts and the diagnoses, nothing
 * else, so a run saved and loaded again reports the same (no clock, no randomness, no I/O here).
 */

export interface ReportInput {
  readonly profile: ThresholdProfile;
  readonly thresholds: ThresholdVerdicts;
  readonly diagnoses: readonly Diagnosis[];
}

type Events = readonly Stamped<TimelineEvent>[];

function candidateOut(c: CandidateViewData): ReportCandidate {
  return {
    type: c.type,
    transport: c.transport,
    ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    address: c.address,
    port: c.port,
    ...(c.component !== undefined ? { component: c.component } : {}),
    ...(c.priority !== undefined ? { priority: c.priority } : {}),
    ...(c.relatedAddress !== undefined ? { relatedAddress: c.relatedAddress } : {}),
    ...(c.relatedPort !== undefined ? { relatedPort: c.relatedPort } : {}),
    ...(c.relayProtocol ? { relayProtocol: c.relayProtocol } : {}),
    label: candidateLabel(c),
  };
}

/** Distinct candidates by label and component, first seen first. */
function distinct(cs: readonly CandidateViewData[]): ReportCandidate[] {
  const seen = new Map<string, ReportCandidate>();
  for (const c of cs) {
    const out = candidateOut(c);
    const key = `${out.component ?? 1} ${out.label}`;
    if (!seen.has(key)) seen.set(key, out);
  }
  return [...seen.values()];
}

function registrationOf(events: Events): Report['registration'] {
  const reg = eventsOf(events, 'registration');
  if (reg.length === 0) return null;
  const ok = reg.find((e) => e.to === 'registered' || e.state === 'registered');
  const failed = [...reg].reverse().find((e) => e.error || e.to === 'failed' || e.state === 'failed');
  const pick = ok ?? failed ?? reg[reg.length - 1]!;
  const registrar = typeof pick['registrar'] === 'string' ? pick['registrar'] : undefined;
  const started = eventsOf(events, 'phase').find((p) => p.name === 'registration' && p.state === 'running');
  const from = Math.min(reg[0]!.at, started?.at ?? Infinity);
  return {
    ok: !!ok,
    ...(pick.aor ? { aor: pick.aor } : {}),
    ...(registrar ? { registrar } : {}),
    ...(ok?.expires !== undefined ? { expiresS: ok.expires } : {}),
    ...(ok ? { ms: ok.at - from } : {}),
    ...(!ok && failed?.error ? { error: { code: failed.error.code, message: failed.error.message } } : {}),
  };
}

function mrasOf(events: Events): Report['mras'] {
  const grants = eventsOf(events, 'mras.credentials');
  const failures = eventsOf(events, 'mras.failed');
  const provisioning = eventsOf(events, 'provisioning');
  const mrasUri = [...provisioning].reverse().find((p) => p.mrasUri)?.mrasUri ?? grants.map((g) => g['mrasUri']).find((u): u is string => typeof u === 'string');
  if (grants.length === 0 && failures.length === 0 && !mrasUri) return null;
  const grant = grants[grants.length - 1];
  const lastFailure = failures[failures.length - 1];
  const failedLast = !!lastFailure && (!grant || lastFailure.seq > grant.seq);
  const relays = (grant?.relays ?? []).map((r) => {
    const host = (typeof r['host'] === 'string' ? r['host'] : undefined) ?? r.hostName ?? r.directIPAddress ?? '';
    return { host, ...(r.udpPort !== undefined ? { udpPort: r.udpPort } : {}), ...(r.tcpPort !== undefined ? { tcpPort: r.tcpPort } : {}), ...(r.location ? { location: r.location } : {}) };
  });
  return {
    ok: !!grant && !failedLast,
    ...(mrasUri ? { mrasUri } : {}),
    relays,
    ...(grant?.username ? { username: grant.username } : {}),
    ...(grant?.expiresAt !== undefined ? { validForMs: grant.expiresAt - grant.at } : {}),
    renewals: grants.filter((g) => g.renewal).length,
    ...(failedLast ? { error: { code: lastFailure.error.code, message: lastFailure.error.message } } : {}),
  };
}

/** The last QoE report of the run (PROTOCOLS.md §0 step 7): taken when the server answered 2xx. */
function qoeOf(events: Events): Report['qoe'] {
  const q = eventsOf(events, 'qoe.sent').at(-1);
  if (!q) return null;
  const ok = !q.error && q.status !== undefined && q.status >= 200 && q.status < 300;
  return {
    qosUri: q.qosUri,
    ok,
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.ms !== undefined ? { ms: q.ms } : {}),
    ...(q.bytes !== undefined ? { bytes: Math.round(q.bytes) } : {}),
    ...(q.error ? { error: { code: q.error.code, message: q.error.message } } : {}),
  };
}

function gatheringOf(events: Events): Report['gathering'] {
  const steps = eventsOf(events, 'gather.step');
  const done = eventsOf(events, 'gather.done');
  const gathered = eventsOf(events, 'candidate.gathered');
  if (steps.length === 0 && done.length === 0 && gathered.length === 0) return null;
  const last = done[done.length - 1];
  return {
    candidates: last?.summary.candidates ?? gathered.length,
    ...(last?.summary.ms !== undefined ? { ms: last.summary.ms } : {}),
    steps: steps.map(({ step: s }) => ({
      kind: s.kind,
      ...(s.server ? { server: s.server } : {}),
      ...(s.protocol ? { protocol: s.protocol } : {}),
      state: s.state,
      ...(s.ms !== undefined ? { ms: s.ms } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
    })),
  };
}

function checksOf(events: Events, origin: number): Pick<Report, 'checks' | 'pairs' | 'pathChanges' | 'finalPath'> {
  const checks = eventsOf(events, 'check');
  const pairs = new Map<string, Report['pairs'][number]>();
  for (const c of checks) {
    const prev = pairs.get(c.pair.id);
    pairs.set(c.pair.id, {
      id: c.pair.id,
      local: candidateLabel(c.pair.local),
      remote: candidateLabel(c.pair.remote),
      state: c.to,
      rttMs: c.rtt ?? c.pair.lastRtt ?? prev?.rttMs ?? null,
      nominated: (prev?.nominated ?? false) || !!c.pair.nominated,
      valid: (prev?.valid ?? false) || !!c.pair.valid || c.to === 'succeeded',
    });
  }
  for (const n of eventsOf(events, 'pair.nominated')) {
    const p = pairs.get(n.pair.id);
    if (p) pairs.set(n.pair.id, { ...p, nominated: true });
  }
  const byState: Record<string, number> = {};
  for (const p of pairs.values()) byState[p.state] = (byState[p.state] ?? 0) + 1;
  const changes = eventsOf(events, 'path.changed');
  const firstSuccess = checks.find((c) => c.to === 'succeeded');
  const lastByComponent = new Map<number, (typeof changes)[number]>();
  for (const p of changes) lastByComponent.set(p.component ?? 1, p);
  const final = lastByComponent.get(1) ?? [...lastByComponent.values()][0];
  return {
    checks: { pairs: pairs.size, byState, firstSuccessMs: firstSuccess ? firstSuccess.at - origin : null },
    pairs: [...pairs.values()],
    pathChanges: changes.map((p) => ({
      atMs: p.at - origin,
      component: p.component ?? 1,
      from: p.from ? pairLabel(p.from) : null,
      to: p.to ? pairLabel(p.to) : null,
      pathKind: p.to ? pathKindOf(p.to) : null,
      reason: p.reason,
    })),
    finalPath: final?.to ? { label: pairLabel(final.to), pathKind: pathKindOf(final.to), local: final.to.local.type, remote: final.to.remote.type } : null,
  };
}

const orNull = (v: number | undefined): number | null => (v === undefined ? null : v);

/** could-not-run before thresholds: a phase that failed or never finished makes the run an error. */
function overall(phases: Report['phases'], thresholds: ThresholdVerdicts): { verdict: Verdict; reason: string } {
  const broken = phases.find((p) => !p.ok);
  if (broken) return { verdict: 'error', reason: `phase ${broken.name} ${broken.state === 'running' ? 'did not finish' : 'failed'}${broken.detail ? `: ${broken.detail}` : ''}` };
  return { verdict: thresholds.status, reason: thresholds.reason };
}

export function buildReport(t: TimelineReader, input: ReportInput): Report {
  const events = t.events;
  const origin = t.header.originAt;
  const end = events[events.length - 1]?.at ?? origin;
  const phases = phasesOf(events, origin);
  const epochs = mediaEpochs(events);
  const verdictByKey = new Map(input.thresholds.epochs.map((e) => [e.key, e]));
  const { verdict, reason } = overall(phases, input.thresholds);
  const remote = [...eventsOf(events, 'candidate.remote').map((e) => e.candidate), ...eventsOf(events, 'check').map((c) => c.pair.remote)];
  const local = [...eventsOf(events, 'candidate.gathered').map((e) => e.candidate), ...eventsOf(events, 'check').map((c) => c.pair.local)];
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: { name: t.header.tool, version: t.header.toolVersion },
    run: { startedAt: t.header.startedAt, durationMs: end - origin, events: events.length, ...(t.header.meta ? { meta: { ...t.header.meta } } : {}) },
    verdict,
    verdictReason: reason,
    exitCode: exitCodeFor(verdict),
    phases,
    registration: registrationOf(events),
    mras: mrasOf(events),
    gathering: gatheringOf(events),
    candidates: { local: distinct(local), remote: distinct(remote) },
    ...checksOf(events, origin),
    epochs: epochs.map((e) => {
      const a = aggregate(e.intervals);
      return {
        key: e.key,
        epoch: e.epoch,
        ...(e.ssrc !== undefined ? { ssrc: e.ssrc } : {}),
        path: e.path?.label ?? null,
        pathKind: e.path?.kind ?? null,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        startMs: e.startMs - origin,
        durationMs: e.durationMs,
        packetsExpected: a.expected,
        packetsReceived: a.received,
        lossPct: orNull(a.lossPct),
        jitterMs: orNull(a.jitterMs),
        rttMs: orNull(a.rttMs),
        mos: orNull(a.mos),
        mosMin: orNull(a.mosMin),
        reorderPct: orNull(a.reorderPct),
        burstLossPct: orNull(a.burstLossPct),
        oneWayMs: orNull(a.oneWayMs),
        verdict: verdictByKey.get(e.key)?.status ?? 'not-measured',
      };
    }),
    thresholds: {
      profile: input.profile.name,
      title: input.profile.title,
      status: input.thresholds.status,
      reason: input.thresholds.reason,
      results: input.thresholds.epochs.flatMap((e) =>
        e.metrics.map((m) => ({
          epoch: e.key,
          metric: m.metric,
          status: m.status,
          value: orNull(m.value),
          op: m.op,
          limit: m.limit,
          ...(m.windowMs !== undefined ? { windowMs: m.windowMs } : {}),
          ...(m.window ? { window: { startMs: m.window.startMs - origin, endMs: m.window.endMs - origin } } : {}),
          text: describeMetricVerdict(m),
        })),
      ),
    },
    diagnoses: input.diagnoses.map((d) => ({ id: d.id, severity: d.severity, message: d.message, evidence: [...d.evidence] })),
    qoe: qoeOf(events),
  };
}

export interface ReportOptions {
  readonly profile?: ThresholdProfile;
  readonly diagnosis?: DiagnosisOptions;
}

/** Thresholds, diagnoses and the report from a Timeline alone: what `run`, `demo` and `report` print. */
export function reportFromTimeline(t: TimelineReader, opts: ReportOptions = {}): Report {
  const profile = opts.profile ?? DEFAULT_PROFILE;
  const thresholds = evaluateThresholds(mediaEpochs(t.events), profile);
  return buildReport(t, { profile, thresholds, diagnoses: diagnose(t, opts.diagnosis) });
}
