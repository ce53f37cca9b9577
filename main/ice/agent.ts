import type { TransportAddress } from '../common/address';
import { formatAddress, sameAddress } from '../common/address';
import type { Clock, TimerHandle } from '../common/clock';
import { MediapathError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { TypedEmitter, type Disposable } from '../common/events';
import { StateMachine } from '../common/fsm';
import type { RandomSource } from '../common/random';
import type { IceRole, NominationMode } from '../compat/kinds';
import type { CompatProfile } from '../compat/profile';
import type { Net, StreamSocket } from '../net/types';
import type { RetransmitConfig, StunMessage } from '../stun';
import type { BaseSocket } from './base-socket';
import type { Candidate, CandidateTransport } from './candidate';
import { makeRemoteCandidate, type RemoteCandidateInput } from './candidate-factory';
import { CheckList, type CheckListEvent, type ScheduledCheck } from './checklist';
import { checkRequestSpec, encodeCheckSuccess, encodeRejection, encodeRoleConflict, interpretCheckResponse, validateCheckRequest } from './checks';
import { generateCredentials, type IceCredentials } from './credentials';
import { FoundationRegistry } from './foundation';
import { gatherCandidates, type GatherEvent, type GatherResult, type RelayServerConfig, type StunServerConfig } from './gather/gatherer';
import type { InterfaceFilter } from './gather/interfaces';
import type { CandidatePair, PairView } from './pair';
import { otherRole, randomTieBreaker, resolveRoleConflict, resolveRoleConflictResponse } from './role';
import { StreamBase, streamRetransmit } from './stream-base';

/**
 * How checks are run and a path chosen (PROTOCOLS.md §4):
 * - `rfc8445`: paced checks (one per Ta), foundations unfrozen in turn, media only on the
 *   nominated pair;
 * - `lync`: every pair checked at once, the first pair that works carries media at once, and a
 *   higher-priority pair that succeeds later takes over (promotion) while checks go on.
 */
export type IceStrategy = 'rfc8445' | 'lync';

export type PathChangeReason = 'first-success' | 'higher-priority-succeeded' | 'nominated' | 'consent-lost' | 'relay-failed';

export type AgentState = 'new' | 'gathering' | 'gathered' | 'checking' | 'connected' | 'completed' | 'failed' | 'closed';

const AGENT_TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  new: ['gathering', 'closed'],
  gathering: ['gathered', 'closed'],
  gathered: ['checking', 'closed'],
  checking: ['connected', 'completed', 'failed', 'closed'],
  connected: ['completed', 'failed', 'checking', 'closed'],
  completed: ['connected', 'failed', 'closed'],
  failed: ['connected', 'checking', 'closed'],
  closed: [],
};

export type IceEvent =
  | GatherEvent
  | CheckListEvent
  | { readonly type: 'path.changed'; readonly at: number; readonly component: number; readonly from?: PairView; readonly to?: PairView; readonly reason: PathChangeReason }
  | { readonly type: 'agent.state'; readonly at: number; readonly from: AgentState; readonly to: AgentState; readonly reason: string }
  | { readonly type: 'role.changed'; readonly at: number; readonly role: IceRole; readonly reason: string }
  | { readonly type: 'consent'; readonly at: number; readonly pair: string; readonly ok: boolean; readonly rtt?: number; readonly error?: ErrorInfo };

export type GatherPolicy = 'all' | 'relay-only' | 'host-only';

export interface IceAgentOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly profile: CompatProfile;
  readonly role: IceRole;
  readonly strategy: IceStrategy;
  /** [1] with rtcp-mux, [1, 2] without. */
  readonly components?: readonly number[];
  readonly interfaces?: InterfaceFilter;
  readonly stunServers?: readonly StunServerConfig[];
  readonly relays?: readonly RelayServerConfig[];
  /** Which local candidates take part in checks (`relay-only` forces the relay, as a test would). */
  readonly policy?: GatherPolicy;
  /** Gather host TCP candidates too, passive and active (RFC 6544). Default false. */
  readonly tcp?: boolean;
  /** Transports towards the peer that take part in checks (`['tcp']` for ICE-TCP alone). Default both. */
  readonly transports?: readonly CandidateTransport[];
  /** Pacing Ta (RFC 8445 §14.2) between checks; the `lync` strategy sends every due check at each tick. */
  readonly taMs?: number;
  readonly nomination?: Exclude<NominationMode, 'implicit'>;
  /** Controlling agent: nominate the best valid pair at most this long after the first success. */
  readonly nominationDelayMs?: number;
  /** Retransmission of connectivity checks (and of gathering requests). */
  readonly checkRetransmit?: Partial<RetransmitConfig>;
  readonly gatherRetransmit?: Partial<RetransmitConfig>;
  /** Bound on connecting to a relay over TCP/TLS during gathering. */
  readonly connectTimeoutMs?: number;
  /** RFC 7675: a consent check every interval (randomised ±20 %); consent lost after the timeout. */
  readonly consentIntervalMs?: number;
  readonly consentTimeoutMs?: number;
  readonly credentials?: IceCredentials;
  readonly onEvent?: (e: IceEvent) => void;
}

export interface RemoteDescription {
  readonly ufrag: string;
  readonly pwd: string;
  readonly candidates: readonly RemoteCandidateInput[];
}

interface AgentEvents {
  event: IceEvent;
  /** `base`: the socket (or ICE-TCP connection) it arrived on, for attributing it to a pair. */
  data: { component: number; bytes: Uint8Array; from: TransportAddress; base: BaseSocket };
}

interface Selection {
  pair: CandidatePair;
  since: number;
}

const DEFAULT_CHECK_RETRANSMIT: Partial<RetransmitConfig> = { rtoMs: 250, rc: 5, rm: 8 };

/** Connections a passive TCP candidate keeps at once (anyone may connect to a listening port). */
const MAX_CONNECTIONS_PER_CANDIDATE = 16;

/**
 * An ICE agent for one audio stream: gathers, pairs, checks, nominates, and keeps a selected
 * pair per component that the data path follows. Every step is an event (candidate, check, valid,
 * nominated, path change, consent), because showing them is the product.
 */
export class IceAgent {
  readonly local: IceCredentials;
  readonly tieBreaker: bigint;
  private readonly events = new TypedEmitter<AgentEvents>();
  private readonly fsm: StateMachine<AgentState>;
  private readonly foundations = new FoundationRegistry();
  private readonly components: readonly number[];
  private readonly checklist: CheckList;
  private readonly bases = new Map<string, BaseSocket>();
  private readonly candidateOfBase = new Map<BaseSocket, Candidate>();
  /** ICE-TCP: the connection of each TCP pair, by pair id (RFC 6544 §7: the connection is the pair). */
  private readonly streams = new Map<string, StreamBase>();
  private readonly connecting = new Map<string, Promise<StreamBase>>();
  /** Every ICE-TCP connection we opened or accepted, bound to a pair or not yet. */
  private readonly streamBases = new Set<StreamBase>();
  private readonly subscriptions: Disposable[] = [];
  private readonly selection = new Map<number, Selection>();
  private readonly consentTimers = new Map<number, TimerHandle>();
  private readonly lastConsent = new Map<number, number>();
  private remote: { ufrag: string; pwd: string } | undefined;
  private gathered: GatherResult | undefined;
  private paceTimer: TimerHandle | undefined;
  private nominateTimer: TimerHandle | undefined;
  private firstValidAt: number | undefined;
  private checksStartedAt: number | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: IceAgentOptions) {
    this.local = opts.credentials ?? generateCredentials(opts.random);
    this.tieBreaker = randomTieBreaker(opts.random);
    this.components = opts.components ?? [1];
    this.fsm = new StateMachine<AgentState>('ice agent', 'new', AGENT_TRANSITIONS, () => opts.clock.now(), (t) => this.emit({ type: 'agent.state', ...t }), 'ice');
    this.checklist = new CheckList({
      profile: opts.profile,
      role: opts.role,
      components: this.components,
      now: () => opts.clock.now(),
      foundations: this.foundations,
      onEvent: (e) => this.onChecklistEvent(e),
    });
  }

  get state(): AgentState {
    return this.fsm.state;
  }

  get role(): IceRole {
    return this.checklist.role;
  }

  get strategy(): IceStrategy {
    return this.opts.strategy;
  }

  get localCandidates(): readonly Candidate[] {
    return this.checklist.localCandidates;
  }

  get remoteCandidates(): readonly Candidate[] {
    return this.checklist.remoteCandidates;
  }

  get pairs(): readonly CandidatePair[] {
    return this.checklist.pairs;
  }

  get validPairs(): readonly CandidatePair[] {
    return this.checklist.validList;
  }

  /** The pair carrying data for a component now, if any. */
  selectedPair(component = 1): CandidatePair | undefined {
    return this.selection.get(component)?.pair;
  }

  countChecksByState(): Record<string, number> {
    return this.checklist.countByState();
  }

  onEvent(cb: (e: IceEvent) => void): Disposable {
    return this.events.on('event', cb);
  }

  onData(cb: (component: number, bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('data', ({ component, bytes, from }) => cb(component, bytes, from));
  }

  /**
   * Application data with the valid pair it arrived on: the succeeded valid pair of that component
   * whose socket received it from that pair's remote address (undefined when none matches, e.g.
   * before checks validated the path). Pairs that share a socket and a remote address are one
   * path on the wire; the first of them in the valid list (highest priority) is named.
   */
  onPairData(cb: (pair: PairView | undefined, component: number, bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('data', ({ component, bytes, from, base }) => cb(this.pairArrivedOn(base, component, from)?.view(), component, bytes, from));
  }

  private pairArrivedOn(base: BaseSocket, component: number, from: TransportAddress): CandidatePair | undefined {
    for (const p of this.checklist.validList) {
      const r = p.remote.address;
      if (p.component === component && r.port === from.port && sameAddress(r, from) && p.is('succeeded') && this.baseForPair(p) === base) return p;
    }
    return undefined;
  }

  private emit(e: IceEvent): void {
    this.opts.onEvent?.(e);
    this.events.emit('event', e);
  }

  // ---- gathering -----------------------------------------------------------------------------

  async gather(): Promise<GatherResult> {
    this.fsm.transition('gathering', 'gather started');
    const policy = this.opts.policy ?? 'all';
    const transports = this.opts.transports ?? ['udp', 'tcp'];
    const result = await gatherCandidates({
      net: this.opts.net,
      clock: this.opts.clock,
      profile: this.opts.profile,
      foundations: this.foundations,
      components: this.components,
      ...(this.opts.interfaces ? { interfaces: this.opts.interfaces } : {}),
      udp: transports.includes('udp'),
      tcp: (this.opts.tcp ?? false) && transports.includes('tcp') && policy !== 'relay-only',
      stunServers: policy === 'all' ? (this.opts.stunServers ?? []) : [],
      relays: policy === 'host-only' ? [] : (this.opts.relays ?? []),
      reflexiveFromRelays: policy === 'all',
      ...(this.opts.gatherRetransmit ? { retransmit: this.opts.gatherRetransmit } : {}),
      ...(this.opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.opts.connectTimeoutMs } : {}),
      baseRetransmit: { ...DEFAULT_CHECK_RETRANSMIT, ...this.opts.checkRetransmit },
      random: this.opts.random,
      onEvent: (e) => this.emit(e),
    });
    if (this.fsm.is('closed')) {
      await Promise.all([...result.bases.values(), ...result.listeners.values()].map((b) => b.close()));
      throw new MediapathError('CLOSED', 'agent closed while gathering', { layer: 'ice' });
    }
    this.gathered = result;
    for (const c of result.candidates) {
      const base = result.bases.get(c.id);
      if (!base) continue;
      this.bases.set(formatAddress(base.local), base);
      this.candidateOfBase.set(base, c);
      this.subscriptions.push(
        base.onRequest((msg, from) => this.onIncomingRequest(base, msg, from)),
        base.onData((bytes, from) => this.events.emit('data', { component: c.component, bytes, from, base })),
      );
      if (c.type === 'relay') this.subscriptions.push(base.socket.onError((e) => this.onRelayError(base, e)));
    }
    for (const [id, server] of result.listeners) {
      const c = result.candidates.find((x) => x.id === id);
      if (c) this.subscriptions.push(server.onConnection((stream) => this.onAccepted(c, stream)));
    }
    const usable = result.candidates.filter((c) => (policy !== 'relay-only' || c.type === 'relay') && transports.includes(c.transport));
    this.checklist.addLocalCandidates(usable);
    this.fsm.transition('gathered', `${result.candidates.length} candidates`);
    return result;
  }

  // ---- remote side ---------------------------------------------------------------------------

  setRemote(desc: RemoteDescription): void {
    this.remote = { ufrag: desc.ufrag, pwd: desc.pwd };
    this.addRemoteCandidates(desc.candidates);
  }

  addRemoteCandidates(inputs: readonly RemoteCandidateInput[]): void {
    const cands = inputs.map((i) => makeRemoteCandidate(i));
    this.checklist.addRemoteCandidates(cands);
    if (this.opts.strategy === 'lync' && this.checklist.isStarted) this.checklist.unfreezeAll('lync: new pairs checked at once');
  }

  // ---- checks --------------------------------------------------------------------------------

  /** Starts connectivity checks (after gather() and setRemote()). */
  start(): void {
    if (!this.remote) throw new MediapathError('INVALID_ARGUMENT', 'setRemote() before start()', { layer: 'ice' });
    if (!this.fsm.is('gathered')) throw new MediapathError('INVALID_ARGUMENT', `cannot start checks in state ${this.fsm.state}`, { layer: 'ice' });
    this.fsm.transition('checking', 'checks started');
    this.checksStartedAt = this.opts.clock.now();
    this.checklist.start();
    if (this.opts.strategy === 'lync') this.checklist.unfreezeAll('lync: all pairs checked at once');
    this.tick();
  }

  private get taMs(): number {
    return this.opts.taMs ?? (this.opts.strategy === 'lync' ? 20 : 50);
  }

  /** One pacing tick: `rfc8445` sends one check; `lync` sends every check that is due. */
  private tick(): void {
    this.paceTimer = undefined;
    if (this.fsm.is('closed')) return;
    if (this.opts.strategy === 'lync') {
      for (let s = this.checklist.nextCheck(); s; s = this.checklist.nextCheck()) this.sendCheck(s);
    } else {
      const s = this.checklist.nextCheck();
      if (s) this.sendCheck(s);
    }
    this.schedulePace();
  }

  private schedulePace(): void {
    if (this.paceTimer || this.fsm.is('closed')) return;
    const pending = this.checklist.pairs.some((p) => p.is('waiting', 'frozen')) || this.checklist.triggeredCount > 0;
    if (!pending) return;
    this.paceTimer = this.opts.clock.setTimeout(() => this.tick(), this.taMs);
  }

  private baseFor(c: Candidate): BaseSocket | undefined {
    return this.bases.get(formatAddress(c.base));
  }

  /** The base a pair sends on: its local candidate's socket, or for ICE-TCP the pair's connection. */
  private baseForPair(pair: CandidatePair): BaseSocket | undefined {
    if (pair.local.transport !== 'tcp') return this.baseFor(pair.local);
    // A valid pair built from another pair's check uses that pair's connection (RFC 8445 §7.2.5.3.2).
    return this.openStream(pair.id) ?? this.openStream(pair.generating.id);
  }

  private openStream(key: string): StreamBase | undefined {
    const s = this.streams.get(key);
    return s && !s.closed ? s : undefined;
  }

  /**
   * RFC 6544 §7.1: a check on a TCP pair goes on the pair's connection. An active local candidate
   * opens it (from its own IP, any port) when the pair's first check is due and keeps it for later
   * checks, nomination, consent and media; a passive one only answers on connections the peer
   * opened, so without one its check cannot be sent.
   */
  private streamFor(pair: CandidatePair): Promise<StreamBase> {
    const open = this.openStream(pair.id);
    if (open) return Promise.resolve(open);
    const pending = this.connecting.get(pair.id);
    if (pending) return pending;
    if (pair.local.tcpType !== 'active') {
      const why = pair.local.tcpType === 'passive' ? 'passive candidate: no connection from the peer' : `tcptype ${pair.local.tcpType ?? '?'} not supported`;
      return Promise.reject(new MediapathError('ICE_CHECK_FAILED', why, { layer: 'ice', peer: pair.remote.address }));
    }
    const retransmit = streamRetransmit({ ...DEFAULT_CHECK_RETRANSMIT, ...this.opts.checkRetransmit });
    const p = this.opts.net
      .connectTcp(pair.remote.address, { local: { ip: pair.local.base.ip, port: 0 }, ...(retransmit.reliableTimeoutMs !== undefined ? { timeoutMs: retransmit.reliableTimeoutMs } : {}) })
      .then((stream) => {
        const base = this.onStreamUp(pair.local, stream);
        if (this.fsm.is('closed')) throw new MediapathError('CLOSED', 'agent closed while connecting', { layer: 'ice' });
        this.streams.set(pair.id, base);
        return base;
      })
      .finally(() => this.connecting.delete(pair.id));
    this.connecting.set(pair.id, p);
    return p;
  }

  /** RFC 6544 §7.2: a connection to a passive candidate; its first check binds it to a pair. */
  private onAccepted(local: Candidate, stream: StreamSocket): void {
    const perCandidate = [...this.streamBases].filter((b) => this.candidateOfBase.get(b) === local).length;
    if (perCandidate >= MAX_CONNECTIONS_PER_CANDIDATE) {
      void stream.close(); // a flood of connections must not grow without bound
      return;
    }
    this.onStreamUp(local, stream);
  }

  /** Wraps a new connection (opened or accepted) as a base of `local`; when closed, its pairs lose it. */
  private onStreamUp(local: Candidate, stream: StreamSocket): StreamBase {
    const base = new StreamBase(stream, this.opts.clock, { retransmit: { ...DEFAULT_CHECK_RETRANSMIT, ...this.opts.checkRetransmit }, random: this.opts.random });
    this.streamBases.add(base);
    if (this.fsm.is('closed')) {
      void base.close();
      return base;
    }
    this.candidateOfBase.set(base, local);
    const subs = [
      base.onRequest((msg, from) => this.onIncomingRequest(base, msg, from)),
      base.onData((bytes, from) => this.events.emit('data', { component: local.component, bytes, from, base })),
    ];
    base.onClose((error) => {
      for (const d of subs) d.dispose();
      this.candidateOfBase.delete(base);
      this.streamBases.delete(base);
      for (const [id, b] of this.streams) if (b === base) this.streams.delete(id);
      if (!this.fsm.is('closed')) this.onStreamLost(base, error?.message ?? 'TCP connection closed');
    });
    return base;
  }

  /** A pair whose connection closed cannot carry anything: as when a relay dies, fall back. */
  private onStreamLost(base: StreamBase, why: string): void {
    for (const component of this.components) {
      const sel = this.selection.get(component);
      if (sel && sel.pair.local.transport === 'tcp' && !this.baseForPair(sel.pair)) this.loseConsent(component, sel.pair, why, 'consent-lost');
    }
    for (const p of this.checklist.validList) {
      if (p.local.transport === 'tcp' && p.is('succeeded') && !this.baseForPair(p)) this.checklist.markFailed(p, `TCP connection ${formatAddress(base.local)} → ${formatAddress(base.remote)} closed: ${why}`);
    }
  }

  private track<T>(p: Promise<T>): void {
    const q = p.finally(() => this.inFlight.delete(q));
    this.inFlight.add(q);
  }

  private sendCheck(s: ScheduledCheck): void {
    const pair = s.pair;
    const tcp = pair.local.transport === 'tcp';
    const base = tcp ? undefined : this.baseFor(pair.local);
    const remote = this.remote;
    if ((!tcp && !base) || !remote) {
      this.checklist.onCheckFailure(pair, 'no socket for the local candidate');
      return;
    }
    const nominate = s.nominate || (this.opts.nomination === 'aggressive' && this.role === 'controlling');
    const spec = this.checkSpec(remote, pair, s.priority, nominate);
    let started = this.opts.clock.now();
    const request = (b: BaseSocket) => {
      started = this.opts.clock.now(); // over TCP the RTT starts once the connection is up
      return b.stun.request(spec.method, spec.attributes, pair.remote.address, { integrityKey: spec.integrityKey, fingerprint: spec.fingerprint });
    };
    this.track(
      (base ? request(base) : this.streamFor(pair).then(request))
        .then(
          (res) => {
            if (this.fsm.is('closed')) return;
            const r = interpretCheckResponse(res.message);
            const rtt = this.opts.clock.now() - started;
            switch (r.kind) {
              case 'success':
                this.checklist.onCheckSuccess(pair, { mapped: r.mapped, from: res.from, rtt, priority: s.priority, useCandidate: nominate });
                break;
              case 'role-conflict': {
                const decision = resolveRoleConflictResponse(this.role, this.role);
                if (decision === 'switch-role') this.switchRole('487 Role Conflict received');
                this.checklist.onRoleConflictResponse(pair);
                break;
              }
              case 'error':
                this.checklist.onCheckFailure(pair, `${r.code} ${r.reason}`, { code: 'ICE_CHECK_ERROR_RESPONSE', message: `${r.code} ${r.reason}`, layer: 'ice', peer: pair.remote.address });
                break;
              case 'malformed':
                this.checklist.onCheckFailure(pair, r.reason, { code: 'ICE_CHECK_FAILED', message: r.reason, layer: 'ice', peer: pair.remote.address });
                break;
            }
            this.afterCheckOutcome();
          },
          (e: unknown) => {
            if (this.fsm.is('closed')) return;
            const info = toErrorInfo(e);
            this.checklist.onCheckFailure(pair, info.code === 'STUN_TIMEOUT' ? 'no response' : info.message, info);
            this.afterCheckOutcome();
          },
        ),
    );
  }

  /** A connectivity check (or consent check) on `pair`, signed with the peer's password. */
  private checkSpec(remote: { ufrag: string; pwd: string }, pair: CandidatePair, priority: number, nominate: boolean) {
    return checkRequestSpec(this.opts.profile, {
      localUfrag: this.local.ufrag,
      remoteUfrag: remote.ufrag,
      remotePassword: remote.pwd,
      role: this.role,
      tieBreaker: this.tieBreaker,
      priority,
      nominate,
      component: pair.component,
      localFoundation: pair.local.foundation,
    });
  }

  private switchRole(reason: string): void {
    const role = otherRole(this.role);
    this.checklist.setRole(role);
    this.emit({ type: 'role.changed', at: this.opts.clock.now(), role, reason });
  }

  private onIncomingRequest(base: BaseSocket, msg: StunMessage, from: TransportAddress): void {
    if (this.fsm.is('closed')) return;
    const local = this.candidateOfBase.get(base);
    if (!local) return;
    const v = validateCheckRequest(this.opts.profile, msg, { ufrag: this.local.ufrag, password: this.local.pwd, component: local.component });
    if (!v.ok) {
      const answer = encodeRejection(this.opts.profile, msg, v.error, this.local.pwd);
      if (answer) base.send(answer, from);
      return;
    }
    const decision = resolveRoleConflict({ role: this.role, tieBreaker: this.tieBreaker }, v.value.role);
    if (decision === 'respond-487') {
      base.send(encodeRoleConflict(this.opts.profile, msg, this.local.pwd), from);
      return;
    }
    if (decision === 'switch-role') this.switchRole('role conflict in an incoming check: we lost the tie-break');
    base.send(encodeCheckSuccess(this.opts.profile, { transactionId: msg.transactionId, source: from, localPassword: this.local.pwd, component: local.component }), from);
    if (!this.remote || !this.checklist.isStarted) return; // answered; pairs come once we know the peer
    const incoming = this.checklist.onIncomingCheck(local, from, { ...(v.value.priority !== undefined ? { priority: v.value.priority } : {}), useCandidate: v.value.useCandidate });
    // RFC 6544 §7.2: the triggered check goes back on the connection the request came on.
    if (base instanceof StreamBase) this.streams.set(incoming.pair.id, base);
    this.schedulePace();
    this.afterCheckOutcome();
  }

  // ---- selection, nomination, promotion ------------------------------------------------------

  private onChecklistEvent(e: CheckListEvent): void {
    this.emit(e);
  }

  /** After any outcome: update what carries media, nominate when due, keep the pacer going. */
  private afterCheckOutcome(): void {
    if (this.fsm.is('closed')) return;
    for (const component of this.components) this.updateSelection(component);
    this.maybeNominate();
    this.updateAgentState();
    this.schedulePace();
  }

  private updateSelection(component: number): void {
    const current = this.selection.get(component);
    const nominated = this.checklist.nominatedPair(component);
    let want: CandidatePair | undefined;
    let reason: PathChangeReason;
    if (this.opts.strategy === 'lync') {
      want = nominated ?? this.checklist.bestValidPair(component);
      reason = nominated && nominated === want ? 'nominated' : current ? 'higher-priority-succeeded' : 'first-success';
      // Once nominated, the nominated pair holds the path unless it fails.
      if (current && !nominated && want && want.priority <= current.pair.priority && current.pair.is('succeeded')) want = current.pair;
    } else {
      want = nominated;
      reason = 'nominated';
    }
    if (!want || want === current?.pair) return;
    if (this.firstValidAt === undefined) this.firstValidAt = this.opts.clock.now();
    this.select(component, want, current?.pair, reason);
  }

  private select(component: number, to: CandidatePair | undefined, from: CandidatePair | undefined, reason: PathChangeReason): void {
    if (to) this.selection.set(component, { pair: to, since: this.opts.clock.now() });
    else this.selection.delete(component);
    this.emit({ type: 'path.changed', at: this.opts.clock.now(), component, ...(from ? { from: from.view() } : {}), ...(to ? { to: to.view() } : {}), reason });
    this.lastConsent.set(component, this.opts.clock.now());
    this.scheduleConsent(component);
  }

  /**
   * Controlling agent, regular nomination: nominate the best valid pair of a component once no
   * higher-priority pair can still succeed, or `nominationDelayMs` after the first success.
   */
  private maybeNominate(): void {
    if (this.role !== 'controlling' || this.opts.nomination === 'aggressive') return;
    for (const component of this.components) {
      if (this.checklist.nominatedPair(component)) continue;
      const best = this.checklist.bestValidPair(component);
      if (!best || best.generating.state === 'in-progress') continue;
      const higherPending = this.checklist.pairs.some((p) => p.component === component && p.priority > best.priority && p.is('frozen', 'waiting', 'in-progress'));
      if (!higherPending) {
        this.checklist.nominate(best);
        if (this.opts.strategy === 'rfc8445') this.checklist.stopChecksFor(component, 'nomination sent: lower-priority checks stop');
        continue;
      }
      if (!this.nominateTimer) {
        this.nominateTimer = this.opts.clock.setTimeout(() => {
          this.nominateTimer = undefined;
          for (const c of this.components) {
            const b = this.checklist.bestValidPair(c);
            if (b && !this.checklist.nominatedPair(c)) this.checklist.nominate(b);
          }
          this.schedulePace();
        }, this.opts.nominationDelayMs ?? 3000);
      }
    }
  }

  private updateAgentState(): void {
    const allSelected = this.components.every((c) => this.selection.has(c));
    const allNominated = this.components.every((c) => this.checklist.nominatedPair(c));
    if (allNominated && allSelected) {
      if (!this.fsm.is('completed') && this.fsm.canMove('completed')) this.fsm.transition('completed', 'every component nominated');
    } else if (allSelected) {
      if (!this.fsm.is('connected') && this.fsm.canMove('connected')) this.fsm.transition('connected', 'media path selected');
    } else if (this.checklist.state === 'failed' && this.fsm.canMove('failed') && !this.fsm.is('failed')) {
      this.fsm.transition('failed', 'no pair succeeded');
    }
  }

  // ---- consent freshness (RFC 7675) and failures ----------------------------------------------

  private scheduleConsent(component: number): void {
    this.opts.clock.clearTimeout(this.consentTimers.get(component));
    const interval = this.opts.consentIntervalMs ?? 5000;
    const jitter = 0.8 + 0.4 * this.opts.random.next(); // RFC 7675 §5.1: randomised interval
    this.consentTimers.set(component, this.opts.clock.setTimeout(() => this.consentCheck(component), interval * jitter));
  }

  private consentCheck(component: number): void {
    this.consentTimers.delete(component);
    const sel = this.selection.get(component);
    const remote = this.remote;
    if (!sel || !remote || this.fsm.is('closed')) return;
    const pair = sel.pair;
    const base = this.baseForPair(pair);
    if (!base) return;
    const timeout = this.opts.consentTimeoutMs ?? 30_000;
    if (this.opts.clock.now() - (this.lastConsent.get(component) ?? 0) >= timeout) {
      this.loseConsent(component, pair, `no consent response for ${timeout} ms`, 'consent-lost');
      return;
    }
    const spec = this.checkSpec(remote, pair, pair.local.priority, false);
    const started = this.opts.clock.now();
    // A consent check is one transaction with a short bound; the next one is scheduled anyway.
    this.track(
      base.stun
        .request(spec.method, spec.attributes, pair.remote.address, { integrityKey: spec.integrityKey, fingerprint: spec.fingerprint })
        .then(
          (res) => {
            const ok = res.message.cls === 'success';
            if (ok && this.selection.get(component)?.pair === pair) this.lastConsent.set(component, this.opts.clock.now());
            this.emit({ type: 'consent', at: this.opts.clock.now(), pair: pair.id, ok, rtt: this.opts.clock.now() - started });
          },
          (e: unknown) => this.emit({ type: 'consent', at: this.opts.clock.now(), pair: pair.id, ok: false, error: toErrorInfo(e) }),
        ),
    );
    this.scheduleConsent(component);
  }

  private loseConsent(component: number, pair: CandidatePair, why: string, reason: PathChangeReason): void {
    this.checklist.markFailed(pair, reason === 'relay-failed' ? `relay failed: ${why}` : `consent lost: ${why}`);
    const next = this.checklist.nominatedPair(component) ?? this.checklist.bestValidPair(component);
    this.select(component, next, pair, reason);
    if (!next) {
      this.opts.clock.clearTimeout(this.consentTimers.get(component));
      this.consentTimers.delete(component);
    }
    this.updateAgentState();
  }

  private onRelayError(base: BaseSocket, e: MediapathError): void {
    if (!base.socket.closed || this.fsm.is('closed')) return;
    for (const component of this.components) {
      const sel = this.selection.get(component);
      if (sel && this.baseFor(sel.pair.local) === base) this.loseConsent(component, sel.pair, e.message, 'relay-failed');
    }
    for (const p of this.checklist.validList) if (this.baseFor(p.local) === base && p.is('succeeded')) this.checklist.markFailed(p, `relay failed: ${e.message}`);
  }

  // ---- data path -----------------------------------------------------------------------------

  /** Sends an application datagram on the selected pair; false when there is none. */
  send(component: number, bytes: Uint8Array): boolean {
    const sel = this.selection.get(component);
    if (!sel) return false;
    const base = this.baseForPair(sel.pair);
    if (!base) return false;
    base.send(bytes, sel.pair.remote.address);
    return true;
  }

  /**
   * Sends an application datagram on a valid pair other than (or the same as) the selected one,
   * e.g. to probe every path at once: from the pair's local base to its remote address. False
   * when the pair is not a succeeded valid pair (never validated, or consent or relay lost) or
   * has no socket.
   */
  sendOnPair(pairId: string, bytes: Uint8Array): boolean {
    if (this.fsm.is('closed')) return false;
    const pair = this.checklist.validList.find((p) => p.id === pairId);
    if (!pair || !pair.is('succeeded')) return false;
    const base = this.baseForPair(pair);
    if (!base) return false;
    base.send(bytes, pair.remote.address);
    return true;
  }

  /** Time from the start of checks, for reports. */
  sinceChecksStarted(): number | undefined {
    return this.checksStartedAt === undefined ? undefined : this.opts.clock.now() - this.checksStartedAt;
  }

  async close(): Promise<void> {
    if (this.fsm.is('closed')) return;
    this.fsm.transition('closed', 'closed');
    this.opts.clock.clearTimeout(this.paceTimer);
    this.opts.clock.clearTimeout(this.nominateTimer);
    for (const t of this.consentTimers.values()) this.opts.clock.clearTimeout(t);
    this.consentTimers.clear();
    for (const s of this.subscriptions) s.dispose();
    const bases = new Set([...(this.gathered?.bases.values() ?? [])]);
    await Promise.all([...bases, ...this.streamBases, ...(this.gathered?.listeners.values() ?? [])].map((b) => b.close()));
    await Promise.allSettled([...this.inFlight]);
    // A connection that came up while closing closes itself (onStreamUp); wait for those too.
    await Promise.all([...this.streamBases].map((b) => b.close()));
    this.events.removeAll();
  }
}
