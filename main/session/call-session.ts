import type { PhaseName, PhaseState } from '../api/events';
import type { TimerHandle } from '../common/clock';
import { type ErrorInfo, MediapathError, toErrorInfo } from '../common/errors';
import type { Disposable } from '../common/events';
import { StateMachine } from '../common/fsm';
import type { IceAgent } from '../ice/agent';
import type { Candidate } from '../ice/candidate';
import type { RemoteCandidateInput } from '../ice/candidate-factory';
import type { CandidatePair, PairView } from '../ice/pair';
import type { CodecName } from '../media/codecs';
import { MediaSession, schedulerFor, type MediaSessionReport } from '../media/stream';
import type { RemoteCandidate } from '../sdp/types';
import type { CallEnd, SipBody } from '../sip/ua';
import { followIcePath, iceMediaPath, mediaTimelineEntry } from './call-media';
import { phaseEntry, remoteCandidateEntries, type Entry } from './call-events';
import type { Endpoint } from './endpoint';
import { buildLocalDescription, offeredCodecList, type RemoteDescriptionInfo } from './sdp-bridge';
import { pathKindOf } from './timeline-events';
import { buildQoeReport, QOE_CONTENT_TYPE, qoeStreamsOf, type QoeReportInput } from './qoe-report';

/**
 * What the caller's and the callee's side of a call share (PROTOCOLS.md §0 steps 5–7): one ICE
 * agent gathering with the endpoint's relays, the peer's candidates from each SDP, checks started
 * as soon as the peer's candidates are known, a synthetic RTP stream on the agent's selected pair
 * from the first pair that works (early media), one epoch per path, and the phases `gathering`,
 * `checks` and `media` on the Timeline. The two sides differ only in the SIP steps (call.ts,
 * call-answer.ts).
 */

export type CallSessionState = 'new' | 'gathering' | 'offering' | 'early' | 'answered' | 'ending' | 'ended';

const TRANSITIONS: Readonly<Record<CallSessionState, readonly CallSessionState[]>> = {
  new: ['gathering', 'ending', 'ended'],
  gathering: ['offering', 'ending', 'ended'],
  offering: ['early', 'answered', 'ending', 'ended'],
  early: ['answered', 'ending', 'ended'],
  answered: ['ending', 'ended'],
  ending: ['ended'],
  ended: [],
};

export interface CallTimings {
  /** How long media runs after the answer before the caller hangs up (callee: absent = until BYE). */
  readonly durationMs?: number;
  /** Caller: how long to wait for the 200 OK. Default 30 s. */
  readonly answerTimeoutMs: number;
  /** Give up on checks this long after they start when no pair works. Default 10 s. */
  readonly checksTimeoutMs: number;
  /** After stopping media, how long the last packets and the RTCP BYE get before the SIP BYE. Default 300 ms. */
  readonly drainMs: number;
  /** Callee: the 200 OK this long after the 183 (early media meanwhile). Default 1 s. */
  readonly answerDelayMs: number;
  /** Callee: how long the re-INVITE's answer waits for a pair of its own (PROTOCOLS.md §0 step 6). Default 5 s. */
  readonly finalAnswerWaitMs: number;
  /** How long the hang-up waits for the QoE SERVICE's answer (a dead QoE server never holds it longer). Default 2 s. */
  readonly qoeTimeoutMs: number;
}

export const DEFAULT_CALL_TIMINGS: CallTimings = { answerTimeoutMs: 30_000, checksTimeoutMs: 10_000, drainMs: 300, answerDelayMs: 1000, finalAnswerWaitMs: 5000, qoeTimeoutMs: 2000 };

/** The dialog as the QoE report names it ([MS-QoE] 2.2.1.4 DialogInfo). */
export type QoeDialog = Pick<QoeReportInput, 'callId' | 'fromTag' | 'toTag' | 'fromUri' | 'toUri' | 'caller' | 'remoteContact' | 'remoteUserAgent'>;

/** How a call ended, for the runner and the CLI. */
export interface CallOutcome {
  readonly ok: boolean;
  readonly callId?: string;
  readonly error?: ErrorInfo;
  readonly end?: CallEnd['reason'];
  /** The path media ended on (component 1). */
  readonly finalPath?: PairView;
  readonly pathChanges: number;
  readonly reinvites: number;
  readonly mediaReceived: boolean;
}

const candidateKey = (c: RemoteCandidateInput): string => `${c.component}|${c.transport}|${c.tcpType ?? ''}|${c.address.ip}|${c.address.port}|${c.type}`;

export abstract class CallSession {
  protected readonly fsm: StateMachine<CallSessionState>;
  protected readonly timings: CallTimings;
  protected agent: IceAgent | undefined;
  protected media: MediaSession | undefined;
  protected remote: RemoteDescriptionInfo | undefined;
  /** The peer's offer, read before gathering (the callee sends the codec it put first). */
  protected offered: RemoteDescriptionInfo | undefined;
  protected readonly subs: Disposable[] = [];
  private readonly knownRemote = new Set<string>();
  private readonly phases = new Map<PhaseName, PhaseState>();
  private readonly timers = new Set<TimerHandle>();
  private readonly sessionId: string;
  private sessionVersion = 0;
  protected pathChanges = 0;
  protected reinvites = 0;
  private checksStarted = false;
  /** Wall-clock time the call began, for the QoE report's DialogInfo Start. */
  private readonly startedWall: number;

  constructor(
    protected readonly endpoint: Endpoint,
    readonly direction: 'outgoing' | 'incoming',
    timings: Partial<CallTimings>,
  ) {
    this.timings = { ...DEFAULT_CALL_TIMINGS, ...timings };
    this.sessionId = String(1 + endpoint.random.int(2 ** 31 - 2));
    this.startedWall = endpoint.clock.wallNow();
    this.fsm = new StateMachine<CallSessionState>(`call session (${direction})`, 'new', TRANSITIONS, () => endpoint.now(), (t) =>
      this.emit({ type: 'session.state', at: t.at, direction, from: t.from, to: t.to, reason: t.reason }), 'session');
  }

  get state(): CallSessionState {
    return this.fsm.state;
  }

  protected emit(e: Entry): void {
    this.endpoint.emit(e);
  }

  protected now(): number {
    return this.endpoint.now();
  }

  /** Announces a phase once per state (a repeat of the same state is dropped). */
  protected phase(name: PhaseName, state: PhaseState, detail?: string): void {
    const prev = this.phases.get(name);
    if (prev === state) return;
    if (prev && prev !== 'running' && prev !== 'pending') return; // finished: stays finished
    this.phases.set(name, state);
    this.emit(phaseEntry(this.now(), name, state, detail));
  }

  protected move(to: CallSessionState, reason: string): void {
    if (this.fsm.state !== to && this.fsm.canMove(to)) this.fsm.transition(to, reason);
  }

  /** Phase 1 of the call: an agent with the endpoint's relays, and its candidates. */
  protected async gather(role: 'controlling' | 'controlled'): Promise<IceAgent> {
    this.move('gathering', 'gathering candidates');
    this.phase('gathering', 'running', this.endpoint.relays.length ? `host, reflexive and relay candidates (${this.endpoint.relays.length} relay transport(s) from MRAS)` : 'host candidates only (no relay)');
    const agent = this.endpoint.createAgent(role);
    this.agent = agent;
    this.subs.push(
      agent.onEvent((e) => {
        if (e.type === 'path.changed' && e.component === 1) this.onPathChanged(e.to, e.reason);
        if (e.type === 'agent.state' && (e.to === 'completed' || e.to === 'failed')) this.onIceFinished(e.to);
      }),
    );
    try {
      const g = await agent.gather();
      const byType = g.candidates.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.type]: (acc[c.type] ?? 0) + 1 }), {});
      const failed = g.steps.filter((s) => s.state === 'failed');
      if (g.candidates.length === 0) throw new MediapathError('ICE_CHECK_FAILED', 'no candidate gathered', { layer: 'session' });
      // Listening from now on: the peer's first packets may come before its SDP does (its checks
      // and early media can outrun the SIP answer through the proxy).
      this.createMedia();
      this.phase('gathering', 'done', `${g.candidates.length} candidates (${Object.entries(byType).map(([k, v]) => `${v} ${k}`).join(', ')})${failed.length ? `; ${failed.length} step(s) failed: ${failed.map((s) => `${s.kind}${s.protocol ? `/${s.protocol}` : ''} ${s.server ?? ''}`.trim()).join(', ')}` : ''}`);
      return agent;
    } catch (e) {
      const info = toErrorInfo(e);
      this.phase('gathering', 'failed', `${info.code}: ${info.message}`);
      throw e;
    }
  }

  /** Our SDP: every candidate, or the chosen ones with the peer's (the final offer). */
  protected localDescription(opts: { candidates?: readonly Candidate[]; remoteCandidates?: readonly RemoteCandidate[]; answer?: boolean } = {}): SipBody {
    const agent = this.requireAgent();
    this.sessionVersion++;
    const codec: CodecName = (this.remote ?? this.offered)?.codec ?? this.endpoint.media.codec;
    return buildLocalDescription({
      profile: this.endpoint.profile,
      // An answer is always a single SDP (RFC 3264 §6); only offers may be multipart.
      dialect: opts.answer ? 'v19' : this.endpoint.dialect,
      ufrag: agent.local.ufrag,
      pwd: agent.local.pwd,
      candidates: opts.candidates ?? agent.localCandidates,
      sessionId: this.sessionId,
      sessionVersion: this.sessionVersion,
      codecs: offeredCodecList(codec),
      ptimeMs: this.endpoint.media.ptimeMs ?? 20,
      ...(opts.remoteCandidates ? { remoteCandidates: opts.remoteCandidates } : {}),
      random: this.endpoint.random,
      username: '-',
    });
  }

  /** The peer's SDP: new candidates to the agent; the first one also starts checks and media. */
  protected applyRemote(info: RemoteDescriptionInfo, where: string): void {
    const agent = this.requireAgent();
    const fresh = info.ice.candidates.filter((c) => !this.knownRemote.has(candidateKey(c)));
    for (const c of fresh) this.knownRemote.add(candidateKey(c));
    for (const e of remoteCandidateEntries(this.now(), fresh)) this.emit({ ...e, sdp: where });
    if (!this.remote) {
      this.remote = info;
      agent.setRemote({ ufrag: info.ice.ufrag, pwd: info.ice.pwd, candidates: fresh });
      this.startChecks(where);
      return;
    }
    if (fresh.length) agent.addRemoteCandidates(fresh);
  }

  private startChecks(where: string): void {
    const agent = this.requireAgent();
    if (this.checksStarted) return;
    this.checksStarted = true;
    this.move('early', `peer's candidates in the ${where}`);
    this.phase('checks', 'running', `${agent.strategy === 'lync' ? 'every pair at once' : 'paced, RFC 8445'}; peer's candidates from the ${where}`);
    agent.start();
    this.media?.start();
    this.later(this.timings.checksTimeoutMs, () => {
      if (!agent.selectedPair(1)) this.phase('checks', 'failed', `no candidate pair succeeded within ${this.timings.checksTimeoutMs} ms`);
    });
  }

  private createMedia(): void {
    const agent = this.requireAgent();
    const m = this.endpoint.media;
    // The caller offers its configured codec first; a callee sends what the offer put first.
    const peer = this.remote ?? this.offered;
    const codec = peer?.codec ?? m.codec;
    const media = new MediaSession({
      clock: this.endpoint.clock,
      random: this.endpoint.random,
      scheduler: m.scheduler ?? schedulerFor(this.endpoint.clock),
      rtp: iceMediaPath(agent, 1),
      codec,
      ...(m.ptimeMs !== undefined ? { ptimeMs: m.ptimeMs } : {}),
      ...(peer ? { payloadType: peer.payloadType } : {}),
      rtcpIntervalMs: m.rtcpIntervalMs,
      delaySource: m.delaySource,
      ...(m.jitterBuffer ? { jitterBuffer: m.jitterBuffer } : {}),
      onEvent: (e) => this.emit(mediaTimelineEntry(e, m.delaySource === 'probe')),
    });
    this.media = media;
    this.subs.push(followIcePath(agent, media, 1));
  }

  private onPathChanged(to: PairView | undefined, reason: string): void {
    this.pathChanges++;
    if (to) {
      const kind = pathKindOf(to);
      this.phase('media', 'running', `${this.fsm.is('answered') ? 'media' : 'early media'} on the ${kind} path (${reason})`);
    }
    this.afterPathChange(to, reason);
  }

  /** Hook: a new path for component 1 (the caller re-INVITEs after checks). */
  protected afterPathChange(_to: PairView | undefined, _reason: string): void {}

  private onIceFinished(to: 'completed' | 'failed'): void {
    const sel = this.agent?.selectedPair(1);
    if (to === 'completed' && sel) this.phase('checks', 'done', `${sel.nominated ? 'nominated' : 'selected'} ${pathKindOf(sel.view())} path after ${Math.round(this.agent?.sinceChecksStarted() ?? 0)} ms`);
    else if (to === 'failed' && !sel) this.phase('checks', 'failed', 'no candidate pair succeeded');
    this.afterIceFinished(to);
  }

  protected afterIceFinished(_to: 'completed' | 'failed'): void {}

  /** Hook: the SIP dialog for the QoE report (undefined: no dialog, so no report). */
  protected abstract qoeDialog(): QoeDialog | undefined;

  /** Resolves when checks have settled (completed or failed) or after `ms`, with the selected pairs. */
  protected waitSettled(ms: number): Promise<CandidatePair[]> {
    const agent = this.requireAgent();
    const settled = (state: string): boolean => state === 'completed' || state === 'failed' || state === 'closed';
    return this.untilAgent(ms, () => settled(agent.state), (e) => e.type === 'agent.state' && settled(e.to), () => [agent.selectedPair(1)].filter((p): p is CandidatePair => !!p));
  }

  /** Resolves with the selected pair of component 1 as soon as there is one, or undefined after `ms`. */
  protected waitSelected(ms: number): Promise<CandidatePair | undefined> {
    const agent = this.requireAgent();
    return this.untilAgent(
      ms,
      () => !!agent.selectedPair(1),
      (e) => (e.type === 'path.changed' && !!e.to) || (e.type === 'agent.state' && e.to === 'closed'),
      () => agent.selectedPair(1),
    );
  }

  /**
   * The agent's answer once `done` holds now, or an event says so, or `ms` has passed: one
   * subscription and one call-owned timer, both released on the first of them.
   */
  private untilAgent<T>(ms: number, doneNow: () => boolean, doneBy: (e: Parameters<Parameters<IceAgent['onEvent']>[0]>[0]) => boolean, answer: () => T): Promise<T> {
    const agent = this.requireAgent();
    if (doneNow()) return Promise.resolve(answer());
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        sub.dispose();
        this.endpoint.clock.clearTimeout(timer);
        this.timers.delete(timer);
        resolve(answer());
      };
      const sub = agent.onEvent((e) => {
        if (doneBy(e)) finish();
      });
      const timer = this.later(ms, finish);
      this.subs.push(sub);
    });
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  /** A clock timer this call owns (cleared on teardown). */
  protected later(ms: number, cb: () => void): TimerHandle {
    const h = this.endpoint.clock.setTimeout(() => {
      this.timers.delete(h);
      cb();
    }, ms);
    this.timers.add(h);
    return h;
  }

  protected requireAgent(): IceAgent {
    if (!this.agent) throw new MediapathError('INTERNAL', 'no ICE agent yet', { layer: 'session' });
    return this.agent;
  }

  /** Stops the stream (its last stats and RTCP BYE go out). */
  protected stopMedia(reason: string): void {
    this.media?.stop(reason);
  }

  /**
   * PROTOCOLS.md §0 step 7: at hang-up, one `SERVICE <qosUri>` with the [MS-QoE] report of the
   * call's audio stream. Only when provisioning gave a qosUri and the call had media; the answer
   * is awaited at most `qoeTimeoutMs`, and whatever happens is a `qoe.sent` entry: the report
   * never fails the call.
   */
  private async sendQoe(report: MediaSessionReport, finalPath: PairView | undefined): Promise<void> {
    const qosUri = this.endpoint.qosUri;
    const dialog = this.qoeDialog();
    if (!qosUri || !dialog) return;
    const at = this.now();
    const base = { type: 'qoe.sent', direction: this.direction, qosUri, callId: dialog.callId };
    let xml: string;
    try {
      const streams = qoeStreamsOf(report);
      const local = finalPath?.local;
      const remote = finalPath?.remote;
      xml = buildQoeReport({
        ...dialog,
        ...(this.endpoint.ua.contact ? { localContact: this.endpoint.ua.contact } : {}),
        localUserAgent: this.endpoint.opts.userAgent ?? 'mediapath',
        endpointName: this.endpoint.aor,
        startWallMs: this.startedWall,
        endWallMs: this.endpoint.clock.wallNow(),
        media: {
          label: 'main-audio',
          payloadType: report.payloadType,
          codec: report.codec,
          sampleRate: streams.sampleRate,
          ...(local ? { transport: local.transport === 'tcp' ? ('TCP' as const) : ('UDP' as const), local: { ip: local.address, port: local.port } } : {}),
          ...(remote ? { remote: { ip: remote.address, port: remote.port } } : {}),
          ...(finalPath ? { pathKind: pathKindOf(finalPath) } : {}),
          ...(streams.inbound ? { inbound: streams.inbound } : {}),
          outbound: streams.outbound,
        },
      });
    } catch (e) {
      this.emit({ ...base, at: this.now(), error: toErrorInfo(e) });
      return;
    }
    const clock = this.endpoint.clock;
    let timer: TimerHandle | undefined;
    const limit = this.timings.qoeTimeoutMs;
    const outcome = await Promise.race([
      this.endpoint.ua.service(qosUri, QOE_CONTENT_TYPE, xml).then(
        (res) => ({ res }) as const,
        (e: unknown) => ({ e }) as const,
      ),
      new Promise<{ readonly timeout: true }>((resolve) => (timer = clock.setTimeout(() => resolve({ timeout: true }), limit))),
    ]);
    if (timer !== undefined) clock.clearTimeout(timer);
    const ms = this.now() - at;
    const bytes = Buffer.byteLength(xml, 'utf8');
    if ('timeout' in outcome) {
      this.emit({ ...base, at: this.now(), ms, bytes, error: { code: 'SIP_TIMEOUT', message: `no answer to the QoE SERVICE within ${limit} ms`, layer: 'session' } });
    } else if ('e' in outcome) {
      this.emit({ ...base, at: this.now(), ms, bytes, error: toErrorInfo(outcome.e) });
    } else {
      const res = outcome.res;
      const ok = res.status >= 200 && res.status < 300;
      this.emit({
        ...base,
        at: this.now(),
        status: res.status,
        reason: res.reason,
        ms,
        bytes,
        ...(ok ? {} : { error: { code: 'SIP_REJECTED', message: `QoE SERVICE refused: ${res.status} ${res.reason}`, layer: 'sip', response: { code: res.status, reason: res.reason } } }),
      });
    }
  }

  /**
   * Ends the call's local resources: media closed (its figures settle), agent closed (relays
   * deallocated), timers cleared, and the phases still open closed with what happened.
   */
  /** Tears the call down and says how it went: ok only without an error and with media received. */
  protected async conclude(error: ErrorInfo | undefined, end: CallEnd['reason'] | undefined, callId: string | undefined): Promise<CallOutcome> {
    const t = await this.teardown(error);
    return {
      ok: !error && t.mediaReceived,
      ...(callId !== undefined ? { callId } : {}),
      ...(error ? { error } : {}),
      ...(end ? { end } : {}),
      ...(t.finalPath ? { finalPath: t.finalPath } : {}),
      pathChanges: this.pathChanges,
      reinvites: this.reinvites,
      mediaReceived: t.mediaReceived,
    };
  }

  private async teardown(error?: ErrorInfo): Promise<{ mediaReceived: boolean; finalPath?: PairView }> {
    this.move('ending', error ? error.code : 'hangup');
    const finalPath = this.agent?.selectedPair(1)?.view();
    this.media?.close();
    const report = this.media?.report();
    const received = report?.received?.figures.expected ?? 0;
    for (const s of this.subs.splice(0)) s.dispose();
    for (const t of this.timers) this.endpoint.clock.clearTimeout(t);
    this.timers.clear();
    await this.agent?.close().catch(() => undefined);
    if (report?.startedAtMs !== undefined) await this.sendQoe(report, finalPath);
    if (!this.checksStarted && this.phases.get('gathering') === 'done') {
      this.phase('checks', error ? 'failed' : 'skipped', error ? `${error.code}: ${error.message}` : 'the peer sent no candidates');
    }
    if (this.phases.get('checks') === 'running') {
      if (finalPath) this.phase('checks', 'done', `selected ${pathKindOf(finalPath)} path (not nominated before the call ended)`);
      else this.phase('checks', 'failed', 'no candidate pair succeeded');
    }
    if (this.phases.get('gathering') === 'running') this.phase('gathering', 'failed', error ? `${error.code}: ${error.message}` : 'did not finish');
    if (received > 0) {
      this.phase('media', 'done', `${report!.sent.packets} packets sent; ${report!.received!.figures.received} of the peer's ${received} received`);
    } else if (this.media) {
      this.phase('media', 'failed', finalPath ? 'no media received' : 'no media path');
    } else if (!this.phases.has('media')) {
      this.phase('media', error ? 'failed' : 'skipped', error ? `${error.code}: ${error.message}` : 'no media');
    }
    this.move('ended', error ? error.code : 'ended');
    return { mediaReceived: received > 0, ...(finalPath ? { finalPath } : {}) };
  }
}
