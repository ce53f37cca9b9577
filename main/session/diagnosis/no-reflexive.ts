import { eventsOf } from '../timeline-events';
import { relayFamily, stepLabel, uniqueSorted } from './facts';
import type { DiagnosisRule } from './types';

/**
 * The field rule "no UDP and no TCP reflexive candidate ⇒ the client cannot talk to the Edge"
 * (PROTOCOLS.md §7). A Lync client learns its reflexive address from the relay itself: a Binding
 * or an Allocate answer carries it (the relay candidate's raddr). So when relays were tried and
 * neither a srflx candidate nor a relay candidate came back over any transport, the relay was
 * never reached. (Reaching it over only one transport is the rule relay-one-transport.)
 */
export const noReflexive: DiagnosisRule = {
  id: 'no-reflexive-candidates',
  severity: 'error',
  title: 'No reflexive candidate: the relay cannot be reached',
  evaluate(events) {
    const tried = eventsOf(events, 'gather.step').filter((e) => e.step.kind !== 'host');
    const failed = tried.filter((e) => e.step.state === 'failed');
    if (tried.length === 0 || failed.length === 0) return undefined;
    const reflexive = eventsOf(events, 'candidate.gathered').filter((e) => e.candidate.type === 'srflx' || e.candidate.type === 'relay');
    if (reflexive.length > 0) return undefined;
    const grants = eventsOf(events, 'mras.credentials');
    const seen = new Set(failed.map((e) => relayFamily(e.step.protocol)));
    const families = (['udp', 'tcp'] as const).filter((f) => seen.has(f));
    const list = [...new Set(failed.map((e) => `${stepLabel(e.step)}${e.step.reason ? ` (${e.step.reason})` : ''}`))].join('; ');
    return {
      id: 'no-reflexive-candidates',
      severity: 'error',
      message: `No reflexive candidate over ${families.map((f) => f.toUpperCase()).join(' or ')}: the client could not reach the media relay at all (${list}). Without it calls beyond this network have no path; check that the firewall lets UDP 3478 and TCP 443 out to the relay's (Edge A/V) external address and that the relay is up.`,
      evidence: uniqueSorted([...grants.map((e) => e.seq), ...failed.map((e) => e.seq)]),
      facts: { attempts: tried.length, failures: failed.length },
    };
  },
};
