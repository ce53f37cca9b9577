import { z } from 'zod';
import type { PhaseName, PhaseState } from '../api/events';
import { assertNever } from '../common/assert';
import { toErrorInfo } from '../common/errors';
import type { IceEvent } from '../ice/agent';
import { makeRemoteCandidate, type RemoteCandidateInput } from '../ice/candidate-factory';
import { toCandidateView } from '../ice/candidate';
import type { MrasClientEvent } from '../mras/client';
import type { MediaRelay } from '../mras/types';
import type { UaEvent } from '../sip/ua';
import { METRICS, type ThresholdProfile } from './thresholds';
import type { Timeline } from './timeline';

/**
 * How the layers' events become Timeline entries. Where main/api has a shape for an event (the UI
 * renders those), the entry has that shape, plus the emitter's own fields where reports or
 * diagnosis rules read them (main/session/timeline-events.ts lists both); an event main/api does
 * not know is kept as the layer emitted it. Nothing secret passes: SIP text is redacted by the
 * transport, MRAS passwords never leave the client, ICE passwords are not in any event.
 */

export type Entry = Record<string, unknown> & { readonly type: string; readonly at: number };

/** Appends to a Timeline of plain entries. */
export type Sink = (e: Entry) => void;

export function timelineSink(t: Timeline): Sink {
  return (e) => void t.append(e);
}

export function phaseEntry(at: number, name: PhaseName, state: PhaseState, detail?: string): Entry {
  return { type: 'phase', at, name, state, ...(detail ? { detail: detail.slice(0, 1024) } : {}) };
}

/** The agent's events, seen from this side: its own candidates are local, the rest is its own checks. */
export function iceEntry(e: IceEvent): Entry | undefined {
  switch (e.type) {
    case 'candidate.gathered':
      return { type: 'candidate.gathered', at: e.at, side: 'local', candidate: e.candidate };
    case 'candidate.prflx':
      return e.side === 'local'
        ? { type: 'candidate.gathered', at: e.at, side: 'local', candidate: e.candidate, prflx: true }
        : { type: 'candidate.remote', at: e.at, candidate: e.candidate, source: 'prflx' };
    case 'gather.step':
    case 'gather.done':
    case 'pair.nominated':
    case 'consent':
    case 'checklist.state':
    case 'role.changed':
      return { ...e };
    case 'pair.valid':
      return { type: 'pair.valid', at: e.at, pair: e.pair };
    case 'check':
      return { type: 'check', at: e.at, pair: e.pair, from: e.from, to: e.to, reason: e.reason, ...(e.rtt !== undefined ? { rtt: e.rtt } : {}), ...(e.error ? { error: e.error } : {}) };
    case 'path.changed':
      return { type: 'path.changed', at: e.at, component: e.component, ...(e.from ? { from: e.from } : {}), ...(e.to ? { to: e.to } : {}), reason: e.reason };
    case 'agent.state':
      return { type: 'ice.state', at: e.at, from: e.from, to: e.to, reason: e.reason };
    default:
      return assertNever(e, 'ICE event');
  }
}

/** The peer's candidates from its SDP, as `candidate.remote` entries. */
export function remoteCandidateEntries(at: number, inputs: readonly RemoteCandidateInput[]): Entry[] {
  return inputs.map((i) => ({ type: 'candidate.remote', at, candidate: toCandidateView(makeRemoteCandidate(i)), source: 'sdp' }));
}

const API_REGISTRATION_STATE = {
  unregistered: 'unregistered',
  registering: 'registering',
  registered: 'registered',
  // A refresh keeps the binding: still registered while it runs.
  refreshing: 'registered',
  unregistering: 'unregistering',
  failed: 'failed',
} as const;

/** The user agent's events; `registrar` and `transport` complete main/api's registration shape. */
export function uaEntry(e: UaEvent, ctx: { readonly registrar: string; readonly transport: 'udp' | 'tcp' | 'tls' }): Entry {
  if (e.type === 'registration') {
    return { ...e, state: API_REGISTRATION_STATE[e.to], registrar: ctx.registrar, transport: ctx.transport };
  }
  return { ...e };
}

function relayView(r: MediaRelay): Record<string, unknown> {
  return {
    host: r.hostName ?? r.directIPAddress ?? '',
    ...(r.hostName !== undefined ? { hostName: r.hostName } : {}),
    ...(r.directIPAddress !== undefined ? { directIPAddress: r.directIPAddress } : {}),
    ...(r.udpPort !== undefined ? { udpPort: r.udpPort } : {}),
    ...(r.tcpPort !== undefined ? { tcpPort: r.tcpPort } : {}),
    ...(r.location !== undefined ? { location: r.location } : {}),
  };
}

/** The MRAS client's events; credentials keep the user name and relays, never the password. */
export function mrasEntry(e: MrasClientEvent, mrasUri: string): Entry {
  switch (e.type) {
    case 'mras.credentials':
      return {
        type: 'mras.credentials',
        at: e.at,
        mrasUri,
        relays: e.relays.map(relayView),
        username: e.username,
        ...(e.realm !== undefined ? { realm: e.realm } : {}),
        expiresAt: e.expiresAt,
        durationS: Math.round(e.durationMinutes * 60),
        durationMinutes: e.durationMinutes,
        renewal: e.renewal,
      };
    case 'mras.failed':
      return { ...e, reason: e.error.message.slice(0, 1024) };
    case 'mras.expired':
    case 'mras.state':
      return { ...e };
    default:
      return assertNever(e, 'MRAS event');
  }
}

/** A failure of a step, as the entry the report and the diagnosis rules read. */
export function errorEntry(type: string, at: number, e: unknown, extra: Record<string, unknown> = {}): Entry {
  return { type, at, error: toErrorInfo(e), ...extra };
}

/**
 * The thresholds a run is judged by, written at its start, so that a saved Timeline opened again
 * (`mediapath report`) is judged by the same limits, user-defined ones included.
 */
export function thresholdsEntry(at: number, profile: ThresholdProfile): Entry {
  return { type: 'thresholds', at, profile: { name: profile.name, title: profile.title, ...(profile.source ? { source: profile.source } : {}), limits: profile.limits } };
}

const limitSchema = z.object({ max: z.number().finite().optional(), min: z.number().finite().optional(), windowMs: z.number().finite().positive().optional() }).strict();
const profileSchema = z.object({
  name: z.string().min(1).max(128),
  title: z.string().max(512),
  source: z.string().max(1024).optional(),
  limits: z.object(Object.fromEntries(METRICS.map((m) => [m, limitSchema.optional()]))).strict(),
});

/** The last `thresholds` entry's profile, when it is well formed. */
export function thresholdsOf(events: readonly { readonly type: string }[]): ThresholdProfile | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type !== 'thresholds') continue;
    const p = profileSchema.safeParse((e as { profile?: unknown }).profile);
    return p.success ? (p.data as ThresholdProfile) : undefined;
  }
  return undefined;
}
