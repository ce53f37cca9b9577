import type { ErrorInfo } from '../common/errors';
import { StateMachine } from '../common/fsm';
import type { IceRole } from '../compat/kinds';
import { toCandidateView, type Candidate, type CandidateView } from './candidate';
import { PAIR_TRANSITIONS, type CheckEvent, type PairState } from './pair-state';
import { pairPriorityFor } from './priority';

/** Where a pair's state changes go: the check list's clock and event sink. */
export interface PairSink {
  now(): number;
  emit(event: CheckEvent): void;
}

/** Plain data for events and the UI. The priority is a decimal string: bigint does not survive JSON. */
export interface PairView {
  readonly id: string;
  readonly component: number;
  readonly local: CandidateView;
  readonly remote: CandidateView;
  readonly priority: string;
  readonly state: PairState;
  readonly nominated: boolean;
  readonly valid: boolean;
  readonly lastRtt?: number;
}

export interface PairTransitionDetail {
  readonly rtt?: number;
  readonly error?: ErrorInfo;
}

/**
 * A candidate pair (RFC 8445 §6.1.2). The state lives in a StateMachine that only `transition`
 * touches; flags that are not states (valid, nominated, what the peer asked for) sit beside it.
 */
export class CandidatePair {
  readonly id: string;
  readonly component: number;
  /** RFC 8445 §6.1.2.6: the pair foundation is the local and remote foundations together. */
  readonly foundation: string;
  /** RFC 8445 §6.1.2.3; recomputed when our role changes. */
  priority: bigint;
  /** In the valid list (RFC 8445 §7.2.5.3.2). */
  valid = false;
  /** Nominated (RFC 8445 §8.1.1): set on a valid pair only. */
  nominated = false;
  /** The controlling peer sent USE-CANDIDATE on this pair before our own check succeeded (§7.3.1.5). */
  remoteNominated = false;
  /** The valid pair this pair's successful check produced: itself, or one with a peer-reflexive local. */
  validPair: CandidatePair | undefined;
  /** The pair whose check produced this valid pair (itself when it is on the check list). */
  generating: CandidatePair;
  lastRtt: number | undefined;
  lastError: ErrorInfo | undefined;
  private readonly machine: StateMachine<PairState>;

  constructor(
    readonly local: Candidate,
    readonly remote: Candidate,
    role: IceRole,
    private readonly sink: PairSink,
    /** False for a valid pair built from a peer-reflexive local that is not on the check list (§7.2.5.3.2). */
    readonly inCheckList = true,
    initial: PairState = 'frozen',
  ) {
    this.id = `${local.id}|${remote.id}`;
    this.component = local.component;
    this.foundation = `${local.foundation}:${remote.foundation}`;
    this.priority = pairPriorityFor(role, local.priority, remote.priority);
    this.generating = this;
    this.machine = new StateMachine<PairState>(`pair ${this.id}`, initial, PAIR_TRANSITIONS, () => sink.now(), undefined, 'ice');
  }

  get state(): PairState {
    return this.machine.state;
  }

  is(...states: PairState[]): boolean {
    return this.machine.is(...states);
  }

  canMove(to: PairState): boolean {
    return this.machine.canMove(to);
  }

  updatePriority(role: IceRole): void {
    this.priority = pairPriorityFor(role, this.local.priority, this.remote.priority);
  }

  /**
   * The one chokepoint for a pair's state (DESIGN.md convention 3): checks legality (an illegal
   * move throws, it is our bug), stamps the time, records RTT/error and emits one `check` event.
   */
  transition(to: PairState, reason: string, detail: PairTransitionDetail = {}): CheckEvent {
    if (detail.rtt !== undefined) this.lastRtt = detail.rtt;
    if (detail.error) this.lastError = detail.error;
    const t = this.machine.transition(to, reason);
    const event: CheckEvent = {
      type: 'check',
      pair: this.view(),
      from: t.from,
      to: t.to,
      reason,
      at: t.at,
      ...(detail.rtt !== undefined ? { rtt: detail.rtt } : {}),
      ...(detail.error ? { error: detail.error } : {}),
    };
    this.sink.emit(event);
    return event;
  }

  view(): PairView {
    return {
      id: this.id,
      component: this.component,
      local: toCandidateView(this.local),
      remote: toCandidateView(this.remote),
      priority: this.priority.toString(),
      state: this.state,
      nominated: this.nominated,
      valid: this.valid,
      ...(this.lastRtt !== undefined ? { lastRtt: this.lastRtt } : {}),
    };
  }
}

/** The chokepoint as a function, for callers that prefer `transition(pair, to, reason)`. */
export function transition(pair: CandidatePair, to: PairState, reason: string, detail?: PairTransitionDetail): CheckEvent {
  return pair.transition(to, reason, detail);
}

/** Higher priority first; ties by lower component, then id, so the order is total and repeatable. */
export function comparePairs(a: CandidatePair, b: CandidatePair): number {
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
  if (a.component !== b.component) return a.component - b.component;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
