import { familyOf, sameAddress, type TransportAddress } from '../common/address';
import { MediapathError, type ErrorInfo } from '../common/errors';
import { StateMachine } from '../common/fsm';
import type { IceRole, TcpType } from '../compat/kinds';
import type { CompatProfile } from '../compat/profile';
import {
  isLinkLocalIPv6,
  sameTransportAddress,
  toCandidateView,
  type Candidate,
  type CandidateView,
} from './candidate';
import { makeLocalCandidate, makeRemoteCandidate } from './candidate-factory';
import { FoundationRegistry } from './foundation';
import { CandidatePair, comparePairs, type PairSink, type PairView } from './pair';
import type { CheckEvent, PairState } from './pair-state';
import { prflxPriority } from './priority';

/** RFC 8445 §6.1.2.6 (and §8.1.2): the state of a check list. */
export type CheckListState = 'running' | 'completed' | 'failed';

const CHECKLIST_TRANSITIONS: Readonly<Record<CheckListState, readonly CheckListState[]>> = {
  running: ['completed', 'failed'],
  // A nominated pair can lose consent (RFC 7675): back to running, or failed if nothing is left.
  completed: ['running', 'failed'],
  // New candidates or a peer's check bring new pairs.
  failed: ['running'],
};

/** RFC 8445 §6.1.2.5: default limit on pairs. */
export const DEFAULT_MAX_PAIRS = 100;

export type CheckListEvent =
  | CheckEvent
  | { readonly type: 'checklist.state'; readonly from: CheckListState; readonly to: CheckListState; readonly reason: string; readonly at: number }
  | { readonly type: 'candidate.prflx'; readonly side: 'local' | 'remote'; readonly candidate: CandidateView; readonly at: number }
  | { readonly type: 'pair.valid'; readonly pair: PairView; readonly generating: string; readonly at: number }
  | { readonly type: 'pair.nominated'; readonly pair: PairView; readonly by: 'us' | 'peer'; readonly at: number };

export interface CheckListOptions {
  readonly profile: CompatProfile;
  readonly role: IceRole;
  /** Components of the stream: [1] with rtcp-mux, [1, 2] without. */
  readonly components: readonly number[];
  readonly now: () => number;
  readonly onEvent?: (e: CheckListEvent) => void;
  readonly maxPairs?: number;
  /** Share the gatherer's registry so a local peer-reflexive candidate gets a consistent foundation. */
  readonly foundations?: FoundationRegistry;
}

/** A check the agent should send now. */
export interface ScheduledCheck {
  readonly pair: CandidatePair;
  readonly triggered: boolean;
  /** Send USE-CANDIDATE: a regular-nomination re-check (RFC 8445 §8.1.1). Aggressive mode adds it itself. */
  readonly nominate: boolean;
  /** PRIORITY to carry (RFC 8445 §7.1.1). */
  readonly priority: number;
}

export interface CheckSuccessInput {
  /** XOR-MAPPED-ADDRESS of the response. */
  readonly mapped: TransportAddress;
  /** Source of the response; compared with the request's destination (RFC 8445 §7.2.5.2.1). */
  readonly from?: TransportAddress;
  readonly rtt?: number;
  /** PRIORITY the request carried; defaults to what nextCheck computed. */
  readonly priority?: number;
  /** The request carried USE-CANDIDATE. */
  readonly useCandidate?: boolean;
}

export type CheckSuccessOutcome =
  | { readonly kind: 'valid'; readonly valid: CandidatePair; readonly localPrflx?: Candidate; readonly nominated: boolean }
  | { readonly kind: 'failed'; readonly reason: string };

export interface IncomingCheckInput {
  /** PRIORITY of the request (the peer's would-be prflx priority). */
  readonly priority?: number;
  readonly useCandidate?: boolean;
}

export interface IncomingCheckOutcome {
  readonly pair: CandidatePair;
  readonly remote: Candidate;
  /** Set when the source was unknown: a remote peer-reflexive candidate (RFC 8445 §7.3.1.3). */
  readonly learnedRemote?: Candidate;
  /** A triggered check was queued (RFC 8445 §7.3.1.4). */
  readonly triggered: boolean;
  /** The valid pair this request nominated now (controlled agent, §7.3.1.5). */
  readonly nominated?: CandidatePair;
}

interface Triggered {
  readonly pair: CandidatePair;
  readonly nominate: boolean;
}

function mirrorTcpType(t: TcpType | undefined): TcpType | undefined {
  return t === 'active' ? 'passive' : t === 'passive' ? 'active' : t;
}

/**
 * RFC 8445 §6.1.2.2 and RFC 6544 §6.2: which local and remote candidates may form a pair — same
 * component, same IP family, link-local IPv6 only with link-local, UDP with UDP, TCP active with
 * passive and simultaneous-open with simultaneous-open.
 */
export function canPair(local: Candidate, remote: Candidate): boolean {
  if (local.component !== remote.component) return false;
  if (familyOf(local.address.ip) !== familyOf(remote.address.ip)) return false;
  if (isLinkLocalIPv6(local.address.ip) !== isLinkLocalIPv6(remote.address.ip)) return false;
  if (local.transport !== remote.transport) return false;
  if (local.transport === 'udp') return true;
  return (
    (local.tcpType === 'active' && remote.tcpType === 'passive') ||
    (local.tcpType === 'passive' && remote.tcpType === 'active') ||
    (local.tcpType === 'so' && remote.tcpType === 'so')
  );
}

/**
 * RFC 6544 §7.1: a passive TCP candidate cannot open a connection, so we never start an ordinary
 * check from it; such a pair is checked when the peer connects and its request triggers a check.
 */
export function canInitiate(pair: CandidatePair): boolean {
  return !(pair.local.transport === 'tcp' && pair.local.tcpType === 'passive');
}

/** Two pairs are redundant when their locals share a base and their remotes are the same (§6.1.2.4). */
function redundancyKey(local: Candidate, remote: Candidate): string {
  return `${local.base.ip}|${local.base.port}|${local.transport}|${local.tcpType ?? ''}|${local.component}|${remote.id}`;
}

/**
 * The check list of one data stream (RFC 8445 §6.1.2), sans-IO: the agent feeds it candidates,
 * check outcomes and incoming requests, and asks it which check to send next. Every pair state
 * change goes through the pair's chokepoint and comes out of `onEvent`.
 */
export class CheckList {
  private readonly profile: CompatProfile;
  private readonly components: readonly number[];
  private readonly now: () => number;
  private readonly emitEvent: (e: CheckListEvent) => void;
  private readonly maxPairs: number;
  private readonly foundations: FoundationRegistry;
  private readonly machine: StateMachine<CheckListState>;
  private readonly sink: PairSink;
  private currentRole: IceRole;
  private started = false;
  private pairList: CandidatePair[] = [];
  private readonly offList = new Map<string, CandidatePair>();
  private valid: CandidatePair[] = [];
  private triggeredQueue: Triggered[] = [];
  private readonly locals: Candidate[] = [];
  private readonly localPrflx: Candidate[] = [];
  private readonly remotes: Candidate[] = [];
  private readonly nominating = new Set<CandidatePair>();
  private prflxCounter = 0;

  constructor(opts: CheckListOptions) {
    this.profile = opts.profile;
    this.components = [...opts.components];
    this.now = opts.now;
    this.emitEvent = opts.onEvent ?? (() => undefined);
    this.maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
    this.foundations = opts.foundations ?? new FoundationRegistry();
    this.currentRole = opts.role;
    this.sink = { now: this.now, emit: (e) => this.emitEvent(e) };
    this.machine = new StateMachine<CheckListState>(
      'check list',
      'running',
      CHECKLIST_TRANSITIONS,
      this.now,
      (t) => this.emitEvent({ type: 'checklist.state', ...t }),
      'ice',
    );
  }

  get state(): CheckListState {
    return this.machine.state;
  }

  get role(): IceRole {
    return this.currentRole;
  }

  /** The check list, highest priority first. */
  get pairs(): readonly CandidatePair[] {
    return this.pairList;
  }

  /** RFC 8445 §7.2.5.3.2 valid list, highest priority first (includes pairs that failed later). */
  get validList(): readonly CandidatePair[] {
    return this.valid;
  }

  get localCandidates(): readonly Candidate[] {
    return [...this.locals, ...this.localPrflx];
  }

  get remoteCandidates(): readonly Candidate[] {
    return this.remotes;
  }

  get triggeredCount(): number {
    return this.triggeredQueue.length;
  }

  pairById(id: string): CandidatePair | undefined {
    return this.pairList.find((p) => p.id === id) ?? this.offList.get(id);
  }

  findPair(local: Candidate, remote: Candidate): CandidatePair | undefined {
    return this.pairList.find((p) => p.local.id === local.id && p.remote.id === remote.id);
  }

  countByState(): Record<PairState, number> {
    const out: Record<PairState, number> = { frozen: 0, waiting: 0, 'in-progress': 0, succeeded: 0, failed: 0 };
    for (const p of this.pairList) out[p.state]++;
    return out;
  }

  // ---- forming the list (RFC 8445 §6.1.2.2 – §6.1.2.6) ----

  addLocalCandidates(candidates: readonly Candidate[]): CandidatePair[] {
    for (const c of candidates) if (!this.locals.some((x) => x.id === c.id)) this.locals.push(c);
    return this.formPairs(candidates, this.remotes);
  }

  addRemoteCandidates(candidates: readonly Candidate[]): CandidatePair[] {
    const fresh = candidates.filter((c) => !this.remotes.some((x) => x.id === c.id));
    this.remotes.push(...fresh);
    return this.formPairs(this.locals, fresh);
  }

  /**
   * RFC 8445 §6.1.2.6 initial states: every pair frozen, then for each foundation the first pair
   * by lowest component and highest priority goes to waiting.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const seen = new Set<string>();
    const ordered = [...this.pairList].filter(canInitiate).sort((a, b) => a.component - b.component || comparePairs(a, b));
    for (const p of ordered) {
      if (seen.has(p.foundation)) continue;
      seen.add(p.foundation);
      if (p.is('frozen')) p.transition('waiting', 'initial: first pair of its foundation');
    }
    this.updateState('checks started');
  }

  get isStarted(): boolean {
    return this.started;
  }

  private formPairs(locals: readonly Candidate[], remotes: readonly Candidate[]): CandidatePair[] {
    const added: CandidatePair[] = [];
    for (const raw of locals) {
      // §6.1.2.4: a server-reflexive local candidate is replaced by its base.
      const local = raw.type === 'srflx' ? (this.baseOf(raw) ?? raw) : raw;
      if (local.type === 'prflx') continue; // §7.2.5.3.1: learnt locals are never paired
      for (const remote of remotes) {
        if (!canPair(local, remote)) continue;
        const key = redundancyKey(local, remote);
        const existing = this.pairList.find((p) => redundancyKey(p.local, p.remote) === key);
        const pair = new CandidatePair(local, remote, this.currentRole, this.sink);
        if (existing) {
          // §6.1.2.4: keep the higher-priority of two redundant pairs (only while untouched).
          if (existing.priority >= pair.priority || !existing.is('frozen')) continue;
          this.pairList = this.pairList.filter((p) => p !== existing);
        }
        this.pairList.push(pair);
        added.push(pair);
      }
    }
    if (added.length === 0) return added;
    this.sortPairs();
    this.enforceLimit();
    const kept = added.filter((p) => this.pairList.includes(p));
    if (this.started) {
      // New pairs during checks (late candidates): a foundation with nothing in flight gets its
      // best new pair unfrozen, as §6.1.2.6 would have done had the pair been there at the start.
      for (const p of [...kept].sort((a, b) => a.component - b.component || comparePairs(a, b))) {
        if (!canInitiate(p) || !p.is('frozen')) continue;
        if (this.pairList.some((q) => q !== p && q.foundation === p.foundation && q.is('waiting', 'in-progress'))) continue;
        p.transition('waiting', 'new pair: first of its foundation');
      }
      this.updateState('candidates added');
    }
    return kept;
  }

  private baseOf(srflx: Candidate): Candidate | undefined {
    return this.locals.find(
      (c) => c.type === 'host' && c.component === srflx.component && c.transport === srflx.transport && c.tcpType === srflx.tcpType && sameAddress(c.address, srflx.base),
    );
  }

  private sortPairs(): void {
    this.pairList.sort(comparePairs);
    this.valid.sort(comparePairs);
  }

  /** §6.1.2.5: drop the lowest-priority pairs beyond the limit (pairs already in play are kept). */
  private enforceLimit(): void {
    if (this.pairList.length <= this.maxPairs) return;
    const excess = this.pairList.length - this.maxPairs;
    const drop = new Set(
      [...this.pairList]
        .reverse()
        .filter((p) => p.is('frozen'))
        .slice(0, excess),
    );
    this.pairList = this.pairList.filter((p) => !drop.has(p));
  }

  // ---- role (RFC 8445 §7.3.1.1, §7.2.5.1) ----

  /** Our role changed: every pair priority is recomputed and the lists re-sorted (§6.1.2.3 uses G and D). */
  setRole(role: IceRole): void {
    if (role === this.currentRole) return;
    this.currentRole = role;
    for (const p of this.pairList) p.updatePriority(role);
    for (const p of this.offList.values()) p.updatePriority(role);
    this.sortPairs();
  }

  // ---- scheduling (RFC 8445 §6.1.4.2) ----

  /** At each Ta tick: a triggered check if one is queued, else an ordinary one. */
  nextCheck(): ScheduledCheck | undefined {
    return this.nextTriggeredCheck() ?? this.nextOrdinaryCheck();
  }

  /** RFC 8445 §6.1.4.2 first step: the head of the triggered-check queue (FIFO). */
  nextTriggeredCheck(): ScheduledCheck | undefined {
    while (this.triggeredQueue.length > 0) {
      const t = this.triggeredQueue.shift()!;
      if (t.pair.is('waiting')) {
        t.pair.transition('in-progress', t.nominate ? 'triggered check (nominating)' : 'triggered check');
        if (t.nominate) this.nominating.add(t.pair);
        return this.scheduled(t.pair, true, t.nominate);
      }
      if (t.nominate && t.pair.is('succeeded')) {
        // The nominating re-check of a succeeded pair (§8.1.1) does not change its state.
        this.nominating.add(t.pair);
        return this.scheduled(t.pair, true, true);
      }
      // Anything else (already in progress again, failed, removed) is no longer due.
    }
    return undefined;
  }

  /**
   * RFC 8445 §6.1.4.2: with no pair waiting, unfreeze, for each foundation with nothing waiting or
   * in progress, its highest-priority frozen pair; then check the highest-priority waiting pair
   * (ties: lowest component).
   */
  nextOrdinaryCheck(): ScheduledCheck | undefined {
    const checkable = this.pairList.filter(canInitiate);
    if (!checkable.some((p) => p.is('waiting'))) {
      for (const p of checkable) {
        if (!p.is('frozen')) continue;
        if (checkable.some((q) => q.foundation === p.foundation && q.is('waiting', 'in-progress'))) continue;
        p.transition('waiting', 'unfrozen: no pair of its foundation in flight');
      }
    }
    const next = checkable
      .filter((p) => p.is('waiting'))
      .sort((a, b) => (a.priority === b.priority ? a.component - b.component : comparePairs(a, b)))[0];
    if (!next) return undefined;
    next.transition('in-progress', 'ordinary check');
    return this.scheduled(next, false, false);
  }

  /**
   * Unfreezes every checkable pair at once: the `lync` strategy checks all pairs in parallel
   * instead of walking foundations (PROTOCOLS.md §4). Returns how many pairs moved.
   */
  unfreezeAll(reason = 'all pairs unfrozen'): number {
    let n = 0;
    for (const p of this.pairList) {
      if (canInitiate(p) && p.is('frozen')) {
        p.transition('waiting', reason);
        n++;
      }
    }
    return n;
  }

  private scheduled(pair: CandidatePair, triggered: boolean, nominate: boolean): ScheduledCheck {
    return { pair, triggered, nominate, priority: prflxPriority(this.profile, pair.local) };
  }

  private enqueue(pair: CandidatePair, nominate: boolean): void {
    const at = this.triggeredQueue.findIndex((t) => t.pair === pair);
    if (at >= 0) {
      if (nominate && !this.triggeredQueue[at]!.nominate) this.triggeredQueue[at] = { pair, nominate };
      return;
    }
    this.triggeredQueue.push({ pair, nominate });
  }

  // ---- outcomes of our checks (RFC 8445 §7.2.5) ----

  /** A success response to the check on `pair` (integrity already verified by the STUN client). */
  onCheckSuccess(pair: CandidatePair, r: CheckSuccessInput): CheckSuccessOutcome {
    // §7.2.5.2.1: the response must come from where the request went. Over TCP the connection
    // is the pair, so only datagram transports are compared.
    if (pair.local.transport === 'udp' && r.from && !sameAddress(r.from, pair.remote.address)) {
      const reason = `non-symmetric response from ${r.from.ip}:${r.from.port}`;
      this.fail(pair, reason, { code: 'ICE_CHECK_FAILED', message: reason, layer: 'ice', peer: r.from });
      return { kind: 'failed', reason };
    }
    const wasNominating = this.nominating.delete(pair);
    if (pair.is('in-progress', 'waiting')) {
      this.triggeredQueue = this.triggeredQueue.filter((t) => t.pair !== pair);
      pair.transition('succeeded', 'success response', r.rtt !== undefined ? { rtt: r.rtt } : {});
    } else if (!pair.is('succeeded')) {
      return { kind: 'failed', reason: `late success for a ${pair.state} pair ignored` };
    } else if (r.rtt !== undefined) {
      pair.lastRtt = r.rtt;
    }

    // §7.2.5.3.1: the mapped address names our candidate, or a new peer-reflexive one.
    let local = this.localCandidates.find((c) => sameTransportAddress(c, { component: pair.component, transport: pair.local.transport, tcpType: pair.local.tcpType, address: r.mapped }));
    let localPrflx: Candidate | undefined;
    if (!local) {
      localPrflx = makeLocalCandidate(this.profile, this.foundations, {
        type: 'prflx',
        component: pair.component,
        transport: pair.local.transport,
        ...(pair.local.tcpType ? { tcpType: pair.local.tcpType } : {}),
        address: r.mapped,
        base: pair.local.base,
        priority: r.priority ?? prflxPriority(this.profile, pair.local),
        ...(pair.local.interfaceName ? { interfaceName: pair.local.interfaceName } : {}),
      });
      this.localPrflx.push(localPrflx);
      local = localPrflx;
      this.emitEvent({ type: 'candidate.prflx', side: 'local', candidate: toCandidateView(localPrflx), at: this.now() });
    }

    // §7.2.5.3.2: the valid pair is (that local, the pair's remote).
    const valid = this.validPairFor(pair, local);
    valid.generating = pair;
    pair.validPair = valid;
    if (r.rtt !== undefined) valid.lastRtt = r.rtt;
    if (!valid.valid) {
      valid.valid = true;
      this.valid.push(valid);
      this.valid.sort(comparePairs);
      this.emitEvent({ type: 'pair.valid', pair: valid.view(), generating: pair.id, at: this.now() });
    }

    // §7.2.5.3.3: other frozen pairs of the same foundation may now go.
    for (const p of this.pairList) {
      if (p !== pair && p.foundation === pair.foundation && p.is('frozen') && canInitiate(p)) p.transition('waiting', `foundation ${pair.foundation} succeeded`);
    }

    // §7.2.5.3.4: nomination — ours by USE-CANDIDATE, or the peer's seen earlier (§7.3.1.5).
    let nominated = false;
    if ((this.currentRole === 'controlling' && (r.useCandidate || wasNominating)) || (this.currentRole === 'controlled' && pair.remoteNominated)) {
      nominated = this.markNominated(valid, this.currentRole === 'controlling' ? 'us' : 'peer');
    }
    this.updateState('check succeeded');
    return { kind: 'valid', valid, ...(localPrflx ? { localPrflx } : {}), nominated };
  }

  private validPairFor(pair: CandidatePair, local: Candidate): CandidatePair {
    if (local.id === pair.local.id) return pair;
    const onList = this.pairList.find((p) => p.local.id === local.id && p.remote.id === pair.remote.id);
    if (onList) return onList;
    const id = `${local.id}|${pair.remote.id}`;
    const known = this.offList.get(id);
    if (known) return known;
    const created = new CandidatePair(local, pair.remote, this.currentRole, this.sink, false, 'succeeded');
    this.offList.set(id, created);
    return created;
  }

  /**
   * The check on `pair` failed: timeout, an error response other than 487, or the nominating
   * re-check failed. A failure for a transaction that §7.3.1.4 cancelled is ignored.
   */
  onCheckFailure(pair: CandidatePair, reason: string, error?: ErrorInfo): boolean {
    const wasNominating = this.nominating.delete(pair);
    if (pair.is('in-progress') || (wasNominating && pair.is('succeeded'))) {
      this.fail(pair, wasNominating ? `nomination check failed: ${reason}` : reason, error);
      return true;
    }
    return false;
  }

  private fail(pair: CandidatePair, reason: string, error?: ErrorInfo): void {
    this.nominating.delete(pair);
    this.triggeredQueue = this.triggeredQueue.filter((t) => t.pair !== pair);
    if (pair.canMove('failed')) pair.transition('failed', reason, error ? { error } : {});
    this.updateState('check failed');
  }

  /**
   * RFC 8445 §7.2.5.1: a 487 answer. The agent switches role (role.ts decides, setRole applies);
   * the pair goes back to waiting and into the triggered-check queue.
   */
  onRoleConflictResponse(pair: CandidatePair): void {
    const nominate = this.nominating.delete(pair);
    if (pair.is('in-progress')) {
      pair.transition('waiting', '487 role conflict: retry in the new role');
      this.enqueue(pair, nominate);
    } else if (pair.is('succeeded') && nominate) {
      this.enqueue(pair, true);
    }
  }

  /**
   * A succeeded pair stopped working (RFC 7675 consent lost, or the relay died). Returns false if
   * it was not succeeded. The valid list keeps it, marked failed; bestValidPair skips it.
   */
  markFailed(pair: CandidatePair, reason: string, error?: ErrorInfo): boolean {
    if (!pair.is('succeeded')) return false;
    pair.transition('failed', reason, error ? { error } : {});
    if (pair.nominated) pair.nominated = false;
    this.updateState(reason);
    return true;
  }

  // ---- incoming checks (RFC 8445 §7.3.1.3 – §7.3.1.5) ----

  /**
   * A valid request (checks.ts validated it, role.ts settled any conflict) arrived on `local`
   * (the candidate whose socket received it: host or relay) from `source`.
   */
  onIncomingCheck(local: Candidate, source: TransportAddress, input: IncomingCheckInput = {}): IncomingCheckOutcome {
    const tcpType = mirrorTcpType(local.tcpType);
    let remote = this.remotes.find((c) => sameTransportAddress(c, { component: local.component, transport: local.transport, tcpType, address: source }));
    let learnedRemote: Candidate | undefined;
    if (!remote) {
      // §7.3.1.3: an unknown source is a peer-reflexive remote candidate with the request's PRIORITY.
      learnedRemote = makeRemoteCandidate({
        foundation: this.newRemoteFoundation(),
        component: local.component,
        transport: local.transport,
        ...(tcpType ? { tcpType } : {}),
        type: 'prflx',
        address: source,
        priority: input.priority ?? prflxPriority(this.profile, local),
      });
      this.remotes.push(learnedRemote);
      remote = learnedRemote;
      this.emitEvent({ type: 'candidate.prflx', side: 'remote', candidate: toCandidateView(learnedRemote), at: this.now() });
    }

    // §7.3.1.4: the pair (local, remote), inserted by priority as waiting if it is new.
    let pair = this.findPair(local, remote);
    let triggered = false;
    if (!pair) {
      pair = new CandidatePair(local, remote, this.currentRole, this.sink);
      this.pairList.push(pair);
      this.sortPairs();
      pair.transition('waiting', 'incoming check on a new pair');
      this.enqueue(pair, false);
      triggered = true;
    } else {
      switch (pair.state) {
        case 'succeeded':
          break; // nothing further (§7.3.1.4)
        case 'in-progress':
          // Cancel (the agent stops retransmitting but still accepts a response) and recheck.
          pair.transition('waiting', 'incoming check: in-progress check cancelled, triggered');
          this.enqueue(pair, this.nominating.delete(pair));
          triggered = true;
          break;
        case 'waiting':
          this.enqueue(pair, false);
          triggered = true;
          break;
        case 'frozen':
        case 'failed':
          pair.transition('waiting', 'incoming check: triggered');
          this.enqueue(pair, false);
          triggered = true;
          break;
      }
    }

    // §7.3.1.5: a controlled agent records the peer's nomination.
    let nominated: CandidatePair | undefined;
    if (input.useCandidate && this.currentRole === 'controlled') {
      pair.remoteNominated = true;
      if (pair.is('succeeded') && pair.validPair && this.markNominated(pair.validPair, 'peer')) nominated = pair.validPair;
    }
    this.updateState('incoming check');
    return { pair, remote, ...(learnedRemote ? { learnedRemote } : {}), triggered, ...(nominated ? { nominated } : {}) };
  }

  private newRemoteFoundation(): string {
    let f: string;
    do f = `prflx${++this.prflxCounter}`;
    while (this.remotes.some((c) => c.foundation === f));
    return f;
  }

  // ---- nomination and selection (RFC 8445 §8.1) ----

  /**
   * Regular nomination by the controlling agent (RFC 8445 §8.1.1): repeat the check that produced
   * `valid`, this time with USE-CANDIDATE, through the triggered-check queue.
   */
  nominate(valid: CandidatePair): void {
    if (this.currentRole !== 'controlling') throw new MediapathError('INVALID_ARGUMENT', 'only the controlling agent nominates', { layer: 'ice' });
    if (!valid.valid) throw new MediapathError('INVALID_ARGUMENT', `pair ${valid.id} is not valid`, { layer: 'ice' });
    this.enqueue(valid.generating, true);
  }

  private markNominated(valid: CandidatePair, by: 'us' | 'peer'): boolean {
    if (valid.nominated || !valid.is('succeeded')) return false;
    valid.nominated = true;
    this.emitEvent({ type: 'pair.nominated', pair: valid.view(), by, at: this.now() });
    return true;
  }

  /** RFC 8445 §8.1.1: of several nominated pairs, the highest-priority one is used. */
  nominatedPair(component: number): CandidatePair | undefined {
    return this.valid.find((p) => p.component === component && p.nominated && p.is('succeeded'));
  }

  /** The best working valid pair (the `lync` strategy sends media on it before any nomination). */
  bestValidPair(component: number): CandidatePair | undefined {
    return this.valid.find((p) => p.component === component && p.is('succeeded'));
  }

  /**
   * RFC 8445 §8.1.2: once a component has a nominated pair, its waiting and frozen pairs are
   * dropped (failed) and leave the triggered queue; in-progress checks are left to finish.
   */
  stopChecksFor(component: number, reason = 'component nominated'): number {
    let n = 0;
    for (const p of this.pairList) {
      if (p.component === component && p.is('waiting', 'frozen')) {
        p.transition('failed', reason);
        n++;
      }
    }
    this.triggeredQueue = this.triggeredQueue.filter((t) => t.pair.component !== component || t.pair.is('succeeded'));
    this.updateState(reason);
    return n;
  }

  // ---- check list state ----

  /**
   * Completed when every component has a nominated pair (§8.1.2); failed when every checkable
   * pair is done and some component has no working valid pair (§7.2.5.4); running otherwise.
   */
  private updateState(reason: string): void {
    if (!this.started) return;
    const allNominated = this.components.every((c) => this.nominatedPair(c));
    const done = this.pairList.filter(canInitiate).every((p) => p.is('succeeded', 'failed')) && this.triggeredQueue.length === 0;
    const allValid = this.components.every((c) => this.bestValidPair(c));
    const want: CheckListState = allNominated ? 'completed' : done && !allValid ? 'failed' : 'running';
    if (want !== this.machine.state) this.machine.transition(want, reason);
  }
}
