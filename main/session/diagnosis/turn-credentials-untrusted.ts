import { eventsOf } from '../timeline-events';
import { isAuthError, relaySteps, seconds, stepLabel, uniqueSorted } from './facts';
import type { DiagnosisRule } from './types';

/**
 * PROTOCOLS.md §1, from the field: MRAS mints relay credentials with the Edge's certificate, so
 * every Edge of a pool must share one. A relay that answers 401 to credentials MRAS has just
 * issued (and that have not expired) does not trust their issuer: typically a client sent to an
 * Edge with another certificate. Plain wrong static credentials are not this rule's business.
 */
export const turnCredentialsUntrusted: DiagnosisRule = {
  id: 'turn-credentials-untrusted',
  severity: 'error',
  title: 'Relay rejects fresh MRAS credentials',
  evaluate(events) {
    const grants = eventsOf(events, 'mras.credentials');
    if (grants.length === 0) return undefined;
    const hits = relaySteps(events).flatMap((s) => {
      if (s.step.state !== 'failed' || !isAuthError(s.step.error)) return [];
      const grant = [...grants].reverse().find((g) => g.seq < s.seq);
      if (!grant || (grant.expiresAt !== undefined && grant.expiresAt <= s.at)) return [];
      return [{ s, grant }];
    });
    const first = hits[0];
    if (!first) return undefined;
    const relays = [...new Set(hits.map((h) => stepLabel(h.s.step)))].join(', ');
    return {
      id: 'turn-credentials-untrusted',
      severity: 'error',
      message: `The relay (${relays}) answered 401 Unauthorized to credentials MRAS issued ${seconds(first.s.at - first.grant.at)} earlier and still valid: the relay does not trust the credential issuer. MRAS mints the credentials with the Edge's certificate, so every Edge of a pool must use the same one; check the certificate of the Edge that answered and that the client was sent to an Edge of the pool MRAS belongs to.`,
      evidence: uniqueSorted(hits.flatMap((h) => [h.grant.seq, h.s.seq])),
      facts: { credentialAgeMs: first.s.at - first.grant.at, relays: hits.length },
    };
  },
};
