import { eventsOf } from '../timeline-events';
import type { DiagnosisRule } from './types';

/** RFC 8445 §8.1: with no succeeded pair ICE fails and the call has no media path at all. */
export const noPairSucceeded: DiagnosisRule = {
  id: 'no-pair-succeeded',
  severity: 'error',
  title: 'No candidate pair succeeded',
  evaluate(events) {
    const checks = eventsOf(events, 'check');
    if (checks.length === 0) return undefined;
    if (checks.some((c) => c.to === 'succeeded')) return undefined;
    if (eventsOf(events, 'pair.valid').length > 0 || eventsOf(events, 'path.changed').some((p) => p.to)) return undefined;
    const pairs = new Map<string, { local: string; remote: string; state: string }>();
    for (const c of checks) pairs.set(c.pair.id, { local: c.pair.local.type, remote: c.pair.remote.type, state: c.to });
    const failed = [...pairs.values()].filter((p) => p.state === 'failed').length;
    const kinds = (side: 'local' | 'remote'): string => [...new Set([...pairs.values()].map((p) => p[side]))].sort().join(', ');
    return {
      id: 'no-pair-succeeded',
      severity: 'error',
      message: `No candidate pair succeeded (${pairs.size} pairs checked, ${failed} failed, the rest unanswered): there is no media path between the two ends. Local candidates were ${kinds('local')}; the peer's were ${kinds('remote')}. With no relay candidate on either side, two ends behind different NATs or firewalls cannot meet.`,
      evidence: [checks[0]!.seq, checks[checks.length - 1]!.seq],
      facts: { pairs: pairs.size, failed },
    };
  },
};
