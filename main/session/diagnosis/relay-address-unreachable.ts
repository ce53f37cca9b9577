import { eventsOf, type CandidateViewData } from '../timeline-events';
import { addr, iceFinished, uniqueSorted } from './facts';
import type { DiagnosisRule } from './types';

/**
 * The field rule "a relay address that the peer cannot reach ⇒ the Edge's external (NAT) address
 * is misconfigured" (PROTOCOLS.md §7). An Edge behind NAT must advertise the NAT's public address
 * as its A/V external address; if it advertises another one, relay candidates carry an address
 * nobody outside can reach. From one side we see it for the peer's relay: every check we sent to
 * its relay candidate went unanswered, although the local candidate it came from is known to work
 * (it reached another address, or it is itself a relay, and relay-to-relay always routes when the
 * relays are reachable). Run on the peer's Timeline, the same rule judges our own relay.
 *
 * A relay forwards a check only from an address its owner gave a permission to (RFC 8656 §9), and
 * the owner does so when it checks towards that address. Once the check list has completed the
 * peer stops checking, so checks we start after that may go unanswered for want of a permission:
 * only checks started while the check list was still running count.
 */
export const relayAddressUnreachable: DiagnosisRule = {
  id: 'relay-address-unreachable',
  severity: 'error',
  title: 'Relay address unreachable by the peer',
  evaluate(events) {
    const done = iceFinished(events);
    const checks = eventsOf(events, 'check');
    const startedInTime = new Set<string>();
    const localWorks = new Set<string>();
    for (const c of checks) if (c.to === 'succeeded') localWorks.add(addr(c.pair.local) + c.pair.local.type);
    interface RemoteRelay {
      candidate: CandidateViewData;
      evidence: number[];
      attempts: number;
      succeeded: boolean;
      timedOut: boolean;
      provenLocal: boolean;
    }
    const relays = new Map<string, RemoteRelay>();
    for (const c of checks) {
      const remote = c.pair.remote;
      if (remote.type !== 'relay') continue;
      const key = addr(remote);
      let r = relays.get(key);
      if (!r) {
        r = { candidate: remote, evidence: [], attempts: 0, succeeded: false, timedOut: false, provenLocal: false };
        relays.set(key, r);
      }
      r.evidence.push(c.seq);
      if (c.to === 'in-progress' && (!done || c.seq < done.seq)) {
        r.attempts++;
        startedInTime.add(c.pair.id);
      }
      if (c.to === 'succeeded') r.succeeded = true;
      if (c.to === 'failed' && c.from === 'in-progress' && c.error?.code === 'STUN_TIMEOUT' && startedInTime.has(c.pair.id)) {
        r.timedOut = true;
        if (c.pair.local.type === 'relay' || localWorks.has(addr(c.pair.local) + c.pair.local.type)) r.provenLocal = true;
      }
    }
    const bad = [...relays.values()].filter((r) => r.attempts > 0 && !r.succeeded && r.timedOut && r.provenLocal);
    if (bad.length === 0) return undefined;
    const list = bad.map((r) => addr(r.candidate)).join(', ');
    return {
      id: 'relay-address-unreachable',
      severity: 'error',
      message: `The peer's relay address ${list} never answered a connectivity check, although our checks reached other addresses (or went relay to relay): the address that relay advertises is not reachable. The relay's external (NAT) address is probably misconfigured: an Edge behind NAT must advertise the NAT's public address as its A/V external address.`,
      evidence: uniqueSorted(bad.flatMap((r) => r.evidence)),
      facts: { relays: bad.length, attempts: bad.reduce((s, r) => s + r.attempts, 0) },
    };
  },
};
