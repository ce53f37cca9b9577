import type { ErrorInfo } from '../common/errors';
import type { PairView } from './pair';

/** RFC 8445 §6.1.2.6 candidate pair states. */
export type PairState = 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';

/** Every legal move, each with the rule that makes it. Anything else is a bug and throws. */
export const PAIR_TRANSITIONS: Readonly<Record<PairState, readonly PairState[]>> = {
  // §6.1.2.6 / §6.1.4.2 unfreezing; failed when removed after nomination (§8.1.2) or pruned.
  frozen: ['waiting', 'failed'],
  // §6.1.4.2 a check is sent; failed as above; succeeded when the transaction that §7.3.1.4
  // cancelled (pair requeued as waiting) still gets its success response, which counts.
  waiting: ['in-progress', 'failed', 'succeeded'],
  // §7.2.5.3 success, §7.2.5.2 failure, §7.2.5.1 487 → requeued as waiting, and §7.3.1.4 an
  // incoming check cancels the transaction and requeues the pair.
  'in-progress': ['succeeded', 'failed', 'waiting'],
  // RFC 7675 consent lost, or the nominating re-check failed.
  succeeded: ['failed'],
  // §7.3.1.4: a triggered check revives a failed pair.
  failed: ['waiting'],
};

/** What the chokepoint emits for every state change: one `check` entry of the Timeline. */
export interface CheckEvent {
  readonly type: 'check';
  readonly pair: PairView;
  readonly from: PairState;
  readonly to: PairState;
  readonly reason: string;
  readonly at: number;
  readonly rtt?: number;
  readonly error?: ErrorInfo;
}
