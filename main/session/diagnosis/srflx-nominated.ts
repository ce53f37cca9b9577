import { eventsOf, pairLabel } from '../timeline-events';
import type { DiagnosisRule } from './types';

/**
 * PROTOCOLS.md §4, a trap from the field: Skype for Business rejects a nominated pair whose local
 * candidate is server-reflexive (RFC 8445 §7.2.5.3.2 says a valid pair's local candidate is the
 * base or a peer-reflexive one, never srflx; libnice re-learns it as prflx). An agent that
 * nominates such a pair, or ends the call on one, works with many peers and fails with SfB.
 */
export const srflxNominated: DiagnosisRule = {
  id: 'srflx-nominated',
  severity: 'warning',
  title: 'Nominated pair is server-reflexive',
  evaluate(events) {
    const nominated = eventsOf(events, 'pair.nominated').filter((e) => e.pair.local.type === 'srflx');
    // The path the call ended on is what goes into the re-INVITE (a=remote-candidate(s)), even
    // when it was never nominated (a failover after consent loss); earlier first-success paths
    // were promoted away and do not matter.
    const changes = eventsOf(events, 'path.changed').filter((e) => (e.component ?? 1) === 1);
    const last = changes[changes.length - 1];
    const selected = last?.to?.local.type === 'srflx' ? [last] : [];
    const first = nominated[0]?.pair ?? selected[0]?.to;
    if (!first) return undefined;
    const what = nominated.length > 0 ? 'The nominated pair' : 'The media path the call ended on';
    return {
      id: 'srflx-nominated',
      severity: 'warning',
      message: `${what} has a server-reflexive local candidate (${pairLabel(first)}). Skype for Business rejects a nomination whose local candidate is srflx, so a call with an SfB client may lose media; the local side of a valid pair should be its host base or a peer-reflexive candidate.`,
      evidence: [...nominated, ...selected].map((e) => e.seq).sort((a, b) => a - b),
      facts: { nominated: nominated.length > 0 },
    };
  },
};
