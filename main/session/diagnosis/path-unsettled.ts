import { eventsOf, pairLabel } from '../timeline-events';
import { pickup, seconds } from './facts';
import type { DiagnosisRule } from './types';

/**
 * From the field (PROTOCOLS.md §7): "final candidates can take several seconds after pickup to
 * settle". Lync/SfB start media on the first pair that works and promote it while the call runs,
 * so the first seconds of a call may run on a worse path. A change later than `pathSettleMs` after
 * pickup is worth knowing: the path the user heard first is not the one measured last.
 */
export const pathUnsettled: DiagnosisRule = {
  id: 'path-unsettled',
  severity: 'info',
  title: 'Path still changing after pickup',
  evaluate(events, opts) {
    const answered = pickup(events);
    if (!answered) return undefined;
    const after = eventsOf(events, 'path.changed').filter((e) => e.seq > answered.seq);
    const last = after[after.length - 1];
    if (!last || last.at - answered.at <= opts.pathSettleMs) return undefined;
    const to = last.to ? pairLabel(last.to) : 'no path';
    return {
      id: 'path-unsettled',
      severity: 'info',
      message: `The media path was still changing ${seconds(last.at - answered.at)} after the call was answered (${after.length} change${after.length === 1 ? '' : 's'} after pickup; the last, ${last.reason}, to ${to}). The first seconds of the call ran on other paths: look at each epoch's figures, not only the last.`,
      evidence: [answered.seq, ...after.map((e) => e.seq)],
      facts: { lastChangeAfterPickupMs: last.at - answered.at, changesAfterPickup: after.length, lastReason: last.reason },
    };
  },
};
