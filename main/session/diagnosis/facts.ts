import type { Stamped, TimelineEvent } from '../timeline';
import { eventsOf, type CandidateViewData, type ErrorInfoView, type KnownEvent } from '../timeline-events';

/** Facts several rules read from a Timeline. */

export type Events = readonly Stamped<TimelineEvent>[];

export type RelayStep = KnownEvent<'gather.step'>;

/** Relay allocations tried during gathering, one event per server, transport and component. */
export function relaySteps(events: Events): RelayStep[] {
  return eventsOf(events, 'gather.step').filter((e) => e.step.kind === 'relay');
}

/** UDP, or a stream (TCP or TLS) to the relay. */
export function relayFamily(protocol: string | undefined): 'udp' | 'tcp' {
  return protocol === 'tcp' || protocol === 'tls' ? 'tcp' : 'udp';
}

export function isAuthError(e: ErrorInfoView | undefined): boolean {
  return !!e && (e.code === 'TURN_AUTH_FAILED' || e.response?.code === 401);
}

/** Failures that say "no answer" or "no connection", what a firewall produces. */
export function isReachabilityError(e: ErrorInfoView | undefined): boolean {
  return !e || ['TURN_TIMEOUT', 'STUN_TIMEOUT', 'NET_CONNECT_FAILED', 'NET_SOCKET_ERROR'].includes(e.code);
}

export function localCandidates(events: Events): KnownEvent<'candidate.gathered'>[] {
  return eventsOf(events, 'candidate.gathered');
}

/** The moment the call was answered: the first call state `confirmed` (caller) or `accepted` (callee). */
export function pickup(events: Events): KnownEvent<'call.state'> | undefined {
  return eventsOf(events, 'call.state').find((e) => e.to === 'confirmed' || e.to === 'accepted');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function addr(c: Pick<CandidateViewData, 'address' | 'port'>): string {
  return c.address.includes(':') ? `[${c.address}]:${c.port}` : `${c.address}:${c.port}`;
}

export function stepLabel(s: RelayStep['step']): string {
  return `${s.server ?? 'relay'} over ${s.protocol ?? 'udp'}`;
}

export function uniqueSorted(xs: Iterable<number>): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}
