import { eventsOf } from '../timeline-events';
import type { DiagnosisRule } from './types';

/**
 * PROTOCOLS.md §0 step 3: `SERVICE <mrasUri>` must return relay credentials. A refusal or no answer
 * means no relay, whatever the network allows ("no MRAS answer ⇒ cannot reach the Edge").
 * Only a failure that no later grant made good counts: a failed renewal followed by fresh
 * credentials is not a problem for the call.
 */
export const mrasFailed: DiagnosisRule = {
  id: 'mras-failed',
  severity: 'error',
  title: 'MRAS failed or timed out',
  evaluate(events) {
    const grants = eventsOf(events, 'mras.credentials');
    const lastGrant = grants[grants.length - 1];
    const failures = eventsOf(events, 'mras.failed').filter((f) => !lastGrant || f.seq > lastGrant.seq);
    const last = failures[failures.length - 1];
    if (!last) return undefined;
    const e = last.error;
    const what =
      e.code === 'MRAS_TIMEOUT'
        ? 'The MRAS service did not answer the credentials request in time'
        : e.code === 'MRAS_FAILED' || e.code === 'MRAS_PARSE'
          ? `The MRAS service refused or garbled the credentials request (${e.code}: ${e.message})`
          : `The SERVICE request to MRAS failed (${e.code}: ${e.message})`;
    const renewal = last.renewal ? ' when renewing credentials' : '';
    return {
      id: 'mras-failed',
      severity: 'error',
      message: `${what}${renewal}: the client has no relay credentials, so it cannot use the media relay (Edge) and calls across NATs or firewalls will have no relay path. Check that the Front End can reach the Edge's internal MRAS service (port 5062) and that the Edge is running.`,
      evidence: failures.map((f) => f.seq),
      facts: { code: e.code, renewal: !!last.renewal, failures: failures.length },
    };
  },
};
