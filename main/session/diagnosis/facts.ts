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

/** The moment the call was answered: the first 2xx to an INVITE, sent or received. */
export function pickup(events: Events): Stamped<TimelineEvent> | undefined {
  for (const e of events) {
    if (e.type === 'call.state') {
      const to = (e as KnownEvent<'call.state'>).to;
      if (to === 'confirmed' || to === 'accepted') return e;
    } else if (e.type === 'sip.sent' || e.type === 'sip.received') {
      if (isInvite2xx((e as KnownEvent<'sip.sent'>).text)) return e;
    }
  }
  return undefined;
}

/** `SIP/2.0 2xx …` with `CSeq: n INVITE` (RFC 3261 §7.2, §20.16). */
export function isInvite2xx(text: string): boolean {
  if (!/^SIP\/2\.0 2\d\d\b/.test(text)) return false;
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  return /^cseq[ \t]*:[ \t]*\d+[ \t]+INVITE\b/im.test(head);
}

/**
 * When our side's ICE finished: the check list completed or failed (main/ice `checklist.state`),
 * or the agent did (`agent.state`, main/api `ice.state`). After that the peer checks no more.
 */
export function iceFinished(events: Events): Stamped<TimelineEvent> | undefined {
  return events.find((e) => {
    if (e.type !== 'checklist.state' && e.type !== 'agent.state' && e.type !== 'ice.state') return false;
    const to = (e as KnownEvent<'checklist.state'>).to;
    return to === 'completed' || to === 'failed';
  });
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
