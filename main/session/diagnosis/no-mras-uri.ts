import { eventsOf } from '../timeline-events';
import type { Diagnosis, DiagnosisRule } from './types';

/**
 * PROTOCOLS.md §0 step 2: the provisioning answer's ServerConfiguration names the MRAS service
 * (`mrasUri`). Without it the client has no way to get relay credentials: no Edge is deployed for
 * it, and it can offer only host candidates (the field rule "no mrasUri ⇒ only host candidates").
 */
export const noMrasUri: DiagnosisRule = {
  id: 'no-mras-uri',
  severity: 'warning',
  title: 'No MRAS URI from provisioning',
  evaluate(events) {
    const all = eventsOf(events, 'provisioning');
    const last = all[all.length - 1];
    if (last) {
      if (last.mrasUri) return undefined;
      const failed = last.ok === false || !!last.error;
      const why = failed
        ? `Provisioning failed${last.error ? ` (${last.error.code}: ${last.error.message})` : ''}, so the client never learnt the MRAS URI`
        : 'Provisioning (ServerConfiguration) carried no mrasUri';
      return diagnosis(why, [last.seq], failed);
    }
    // Without a provisioning event, the session says it by skipping the MRAS phase.
    const skipped = eventsOf(events, 'phase').find((p) => p.name === 'mras' && p.state === 'skipped' && /mrasUri/i.test(p.detail ?? ''));
    if (skipped && eventsOf(events, 'mras.credentials').length === 0) return diagnosis(`The MRAS phase was skipped (${skipped.detail})`, [skipped.seq], false);
    return undefined;
  },
};

function diagnosis(why: string, evidence: number[], failed: boolean): Diagnosis {
  return {
    id: 'no-mras-uri',
    severity: 'warning',
    message: `${why}: no media relay (Edge) is available to this client, so it can offer only host candidates and calls with anyone outside its own network will get no audio path. Deploy an Edge for the pool, or check that the pool's provisioning points at it.`,
    evidence,
    facts: { provisioningFailed: failed },
  };
}
