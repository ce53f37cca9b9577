import { isIP } from 'node:net';
import { engineEventSchema, type Account, type AnswerInput, type ApiResult, type CallHandle, type CallInput, type EngineEvent, type HangupInput, type MrasSecret, type RegisterInput, type RegistrationInfo, type Settings } from '../api';
import { parseHostPort } from '../common/address';
import { RealClock, type Clock, type TimerHandle } from '../common/clock';
import { type ErrorInfo, toErrorInfo } from '../common/errors';
import type { Disposable } from '../common/events';
import { createLogger, type Logger } from '../common/logger';
import { CryptoRandom, type RandomSource } from '../common/random';
import { err, ok } from '../common/result';
import type { IceStrategy } from '../ice/agent';
import type { DelaySource } from '../media/stream';
import { NodeNet } from '../net/node/node-net';
import type { Net } from '../net/types';
import type { Report } from '../report';
import type { ServerCall } from '../sip/ua';
import { accountEndpoint } from '../session/account-endpoint';
import { OutgoingCall } from '../session/call';
import { IncomingCall } from '../session/call-answer';
import { thresholdsEntry, type Entry } from '../session/call-events';
import type { CallOutcome } from '../session/call-session';
import type { Endpoint } from '../session/endpoint';
import type { OfferDialect } from '../session/sdp-bridge';
import { DEFAULT_PROFILE, MICROSOFT_EDGE_EDGE, type ThresholdProfile } from '../session/thresholds';
import { Timeline, type AnyEvent } from '../session/timeline';
import { concludeRun } from './run-conclusion';
import type { SecretStore } from './secret-store';

/**
 * The user's own SIP session behind the API (issue 7): one registered account's Endpoint, at most
 * one call at a time (placed, or answered in answer mode), every Timeline entry streamed to the
 * UI as the EngineEvents it knows. The wiring is the CLI's (session/account-endpoint.ts,
 * OutgoingCall, IncomingCall, serve/run-conclusion.ts); what is added here is the life of an
 * interactive session: a registration that outlives its calls, a call that runs until hung up,
 * and runs that follow it (register → first call in one run; each later call a run of its own,
 * opened with the registration and MRAS entries it rests on).
 */

/** Where the session's runs go: the API's current-run list. */
export interface RunHost {
  /** Starts a new current run (its event list emptied). */
  begin(runId: string, name: string): void;
  publish(e: EngineEvent): void;
  /** The API's current run: a lab scenario or an opened file may have replaced ours. */
  currentRunId(): string | null;
}

/** How an account is reached when the embedded lab hosts it (its phones live on loopback). */
export interface AccountEnvironment {
  readonly net: Net;
  readonly sipLocal?: { readonly ip: string };
  readonly allowLoopback: boolean;
  readonly delaySource: DelaySource;
  readonly strategy?: IceStrategy;
  readonly dialect?: OfferDialect;
}

/** What the embedded lab tells the session about its own accounts. */
export interface LabAccounts {
  passwordFor(account: Account): string | undefined;
  environmentFor(account: Account): AccountEnvironment | undefined;
}

export interface EngineSessionOptions {
  readonly host: RunHost;
  readonly secrets: SecretStore;
  readonly settings: () => Promise<Settings>;
  readonly lab?: LabAccounts;
  readonly toolVersion: string;
  readonly net?: Net;
  readonly clock?: Clock;
  readonly random?: () => RandomSource;
  readonly logger?: Logger;
  /** A call placed from the UI runs until hung up, but never longer than this. Default 1 h. */
  readonly maxCallMs?: number;
  /** How long `answer` waits for a call. Default 5 min. */
  readonly answerWaitMs?: number;
  /** How long hangup waits for the call's verdict. Default 20 s. */
  readonly hangupWaitMs?: number;
}

interface Registration {
  readonly endpoint: Endpoint;
  readonly account: Account;
  readonly info: RegistrationInfo;
  answering?: { readonly auto: boolean; readonly sub: Disposable };
  waiter?: { readonly resolve: (r: ApiResult<CallHandle>) => void; readonly timer: TimerHandle };
}

interface ActiveCall {
  readonly id: string;
  readonly done: Promise<void>;
  hangupRequested: boolean;
}

/** Entries a later call's run starts with: what its registration and relays rest on. */
const CONTEXT_TYPES = new Set(['registration', 'provisioning', 'mras.credentials']);

const busy = (message: string): ErrorInfo => ({ code: 'API_BUSY', message, layer: 'api' });
const notRegistered = (what: string): ErrorInfo => ({ code: 'API_NOT_REGISTERED', message: `${what}: register an account first`, layer: 'api' });

export function profileOf(s: Settings): ThresholdProfile {
  return s.thresholdsProfile === 'edge-to-edge' ? MICROSOFT_EDGE_EDGE : DEFAULT_PROFILE;
}

/** The settings' ICE dialect as the session's strategy and offer. */
function iceOf(s: Settings): { strategy: IceStrategy; dialect: OfferDialect } {
  if (s.dialect === 'rfc8445') return { strategy: 'rfc8445', dialect: 'v19' };
  return { strategy: 'lync', dialect: s.dialect === 'lync-ice-v6' ? 'multipart-draft6' : 'v19' };
}

export class EngineSession {
  private reg: Registration | undefined;
  private registering = false;
  private active: ActiveCall | undefined;
  private timeline: Timeline | undefined;
  private runId: string | undefined;
  private runHasCall = false;
  private runEnded = false;
  private profile: ThresholdProfile = DEFAULT_PROFILE;
  private counter = 0;
  private lastReport: Report | undefined;
  private readonly clock: Clock;
  private readonly net: Net;
  private readonly log: Logger;
  private readonly byeSent = new WeakSet<object>();

  constructor(private readonly opts: EngineSessionOptions) {
    this.clock = opts.clock ?? new RealClock();
    this.net = opts.net ?? new NodeNet();
    this.log = opts.logger ?? createLogger('serve/engine-session');
  }

  get registered(): boolean {
    return !!this.reg;
  }

  get inCall(): boolean {
    return !!this.active;
  }

  /** The session Timeline of the API's current run, when that run is ours (exports read it). */
  currentTimeline(): Timeline | undefined {
    return this.timeline && this.runId === this.opts.host.currentRunId() ? this.timeline : undefined;
  }

  /** The report of the last finished call, when the current run is that call's. */
  currentReport(): Report | undefined {
    return this.currentTimeline() && this.runEnded ? this.lastReport : undefined;
  }

  /** The registered account's live MRAS credential, in clear, for the user who asked to see it. */
  revealMrasCredentials(): ApiResult<MrasSecret> {
    if (!this.reg) return err(notRegistered('no MRAS credentials to show'));
    const g = this.reg.endpoint.mrasGrant;
    if (!g) return err({ code: 'MRAS_FAILED', message: 'this registration holds no MRAS credentials (no mrasUri, or MRAS gave none)', layer: 'api' });
    return ok({ username: g.username, password: g.password, expiresAt: g.expiresAtWall });
  }

  async register(input: RegisterInput): Promise<ApiResult<RegistrationInfo>> {
    if (this.active) return err(busy('a call is up: hang up before registering again'));
    if (this.registering) return err(busy('a registration is in progress'));
    const { account } = input;
    const password = input.password ?? (await this.opts.secrets.get(account.id)) ?? this.opts.lab?.passwordFor(account);
    if (password === undefined) {
      return err({ code: 'INVALID_ARGUMENT', message: `no password given for ${account.aor}, and none remembered for account "${account.id}"`, layer: 'api' });
    }
    const remembered = input.password === undefined && (await this.opts.secrets.get(account.id)) !== undefined;
    // Asked to remember where it cannot be kept safely: refused before anything is sent.
    if (input.remember && input.password !== undefined && !this.opts.secrets.available()) {
      return err({ code: 'SECRET_STORE_UNAVAILABLE', message: `cannot remember the password of ${account.aor} here: the OS keychain offers no encryption; register without "remember"`, layer: 'api' });
    }
    this.registering = true;
    try {
      await this.dropRegistration('registering again');
      const settings = await this.opts.settings();
      this.profile = profileOf(settings);
      const env = this.opts.lab?.environmentFor(account);
      const ice = iceOf(settings);
      const hp = parseHostPort(account.registrar);
      const host = (hp?.host ?? account.registrar).replace(/^\[(.*)\]$/, '$1');
      const port = hp?.port ?? (account.transport === 'tls' ? 5061 : 5060);
      this.newRun(`register-${++this.counter}`, `${account.aor} at ${host}:${port} (${account.transport.toUpperCase()})`, { account: account.aor });
      const endpoint = accountEndpoint({
        net: env?.net ?? this.net,
        clock: this.clock,
        random: this.opts.random?.() ?? new CryptoRandom(),
        sink: (e) => this.append(e),
        account: { aor: account.aor, username: account.username, password, ...(account.displayName ? { displayName: account.displayName } : {}) },
        registrar: { ...(isIP(host) ? { address: host } : { host }), port },
        transport: account.transport,
        dialect: env?.dialect ?? ice.dialect,
        strategy: env?.strategy ?? ice.strategy,
        media: { codec: 'PCMU', ...(env ? { delaySource: env.delaySource } : {}) },
        ...(env?.sipLocal ? { sipLocal: env.sipLocal } : {}),
        ...(env ? { allowLoopback: env.allowLoopback } : {}),
        // A lab phone has one interface of its own (its loopback address): the user's filter is for real ones.
        ...(!env && settings.interfaces.length ? { interfaces: settings.interfaces } : {}),
        registerExpires: 600,
      });
      let ready;
      try {
        ready = await endpoint.start();
      } catch (e) {
        const info = toErrorInfo(e);
        await endpoint.close();
        this.endRun(info);
        return err(info);
      }
      // Remembered only once the registrar took it: a mistyped password is not kept.
      let passwordStored: RegistrationInfo['passwordStored'] = remembered ? this.opts.secrets.kind : 'none';
      if (input.remember && input.password !== undefined) {
        try {
          await this.opts.secrets.set(account.id, input.password);
          passwordStored = this.opts.secrets.kind;
        } catch (e) {
          this.log.warn({ code: toErrorInfo(e).code }, 'password not remembered');
        }
      }
      const info: RegistrationInfo = {
        state: 'registered',
        registrar: `${host}:${port}`,
        aor: account.aor,
        transport: account.transport,
        expiresAt: this.clock.wallNow() + ready.registeredForS * 1000,
        passwordStored,
      };
      this.reg = { endpoint, account, info };
      return ok(info);
    } finally {
      this.registering = false;
    }
  }

  async unregister(): Promise<ApiResult<null>> {
    if (!this.reg) return err(notRegistered('Nothing to unregister'));
    await this.dropRegistration('unregister');
    return ok(null);
  }

  call(input: CallInput): ApiResult<CallHandle> {
    const reg = this.reg;
    if (!reg) return err(notRegistered(`Calling ${input.target}`));
    if (this.active) return err(busy(`a call is up (${this.active.id}): hang up first`));
    const id = `call-${++this.counter}`;
    this.runForCall(`call to ${input.target}`);
    const session = new OutgoingCall(reg.endpoint, { target: input.target, durationMs: this.opts.maxCallMs ?? 3_600_000 });
    this.startCall(id, () => session.run());
    return ok({ callId: id });
  }

  answer(input: AnswerInput): Promise<ApiResult<CallHandle>> {
    const reg = this.reg;
    if (!reg) return Promise.resolve(err(notRegistered('Answering')));
    if (reg.waiter) return Promise.resolve(err(busy('already waiting for a call')));
    const auto = input.auto ?? true;
    reg.answering?.sub.dispose();
    reg.answering = { auto, sub: reg.endpoint.onIncomingCall((sip) => this.onIncoming(reg, sip)) };
    return new Promise((resolve) => {
      const waitMs = this.opts.answerWaitMs ?? 300_000;
      const timer = this.clock.setTimeout(() => {
        reg.waiter = undefined;
        if (!reg.answering?.auto) this.stopAnswering(reg);
        resolve(err({ code: 'SIP_TIMEOUT', message: `no call arrived within ${Math.round(waitMs / 1000)} s`, layer: 'api' }));
      }, waitMs);
      reg.waiter = { resolve, timer };
    });
  }

  async hangup(input: HangupInput): Promise<ApiResult<null>> {
    const c = this.active;
    if (!c || c.id !== input.callId) return err({ code: 'API_NO_SUCH_CALL', message: `no call ${input.callId}${c ? ` (the call up is ${c.id})` : ''}`, layer: 'api' });
    c.hangupRequested = true;
    this.byeAll();
    await this.within(c.done, this.opts.hangupWaitMs ?? 20_000);
    return ok(null);
  }

  /** Hangs up, un-REGISTERs, closes: nothing left behind. */
  async close(): Promise<void> {
    await this.dropRegistration('closing');
  }

  // ---- inside ---------------------------------------------------------------------------------

  private onIncoming(reg: Registration, sip: ServerCall): void {
    if (this.reg !== reg || this.active) {
      sip.reject(486, { reason: 'Busy Here' });
      return;
    }
    const id = `call-${++this.counter}`;
    this.runForCall(`call from ${sip.from || 'unknown caller'}`);
    const session = new IncomingCall(reg.endpoint, sip, {});
    this.startCall(id, () => session.run());
    const w = reg.waiter;
    if (w) {
      reg.waiter = undefined;
      this.clock.clearTimeout(w.timer);
      w.resolve(ok({ callId: id }));
    }
    if (!reg.answering?.auto) this.stopAnswering(reg);
  }

  private stopAnswering(reg: Registration): void {
    reg.answering?.sub.dispose();
    reg.answering = undefined;
  }

  private startCall(id: string, run: () => Promise<CallOutcome>): void {
    const c: ActiveCall = {
      id,
      hangupRequested: false,
      done: run()
        .then((outcome) => this.finishCall(outcome.ok, outcome.error))
        .catch((e: unknown) => this.finishCall(false, toErrorInfo(e)))
        .finally(() => {
          if (this.active === c) this.active = undefined;
        }),
    };
    this.active = c;
  }

  /** run.ended, then the diagnoses and the verdict, as `mediapath call` ends its runs. */
  private finishCall(callOk: boolean, error: ErrorInfo | undefined): void {
    const t = this.timeline;
    if (!t || this.runEnded) return;
    this.endRun(error, callOk);
    try {
      this.lastReport = concludeRun(t, this.profile);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'report of the call failed');
    }
  }

  /** BYE (CANCEL before an answer) on every SIP call of the account that is not over. */
  private byeAll(): void {
    for (const sip of this.reg?.endpoint.ua.activeCalls ?? []) {
      if (sip.endedWith || this.byeSent.has(sip)) continue;
      this.byeSent.add(sip);
      void sip.bye().catch(() => undefined);
    }
  }

  private async dropRegistration(why: string): Promise<void> {
    const reg = this.reg;
    if (!reg) return;
    this.reg = undefined;
    if (reg.waiter) {
      this.clock.clearTimeout(reg.waiter.timer);
      reg.waiter.resolve(err({ code: 'CLOSED', message: `stopped waiting for a call: ${why}`, layer: 'api' }));
      reg.waiter = undefined;
    }
    this.stopAnswering(reg);
    const c = this.active;
    if (c) {
      c.hangupRequested = true;
      for (const sip of reg.endpoint.ua.activeCalls) if (!sip.endedWith) void sip.bye().catch(() => undefined);
      await this.within(c.done, this.opts.hangupWaitMs ?? 20_000);
    }
    await reg.endpoint.close();
    if (!this.runEnded) this.endRun(undefined);
  }

  private async within(p: Promise<unknown>, ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([p, new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, ms)))]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  private newRun(runId: string, title: string, meta: Record<string, string>): void {
    const t = Timeline.start(this.clock, { toolVersion: this.opts.toolVersion, meta: { face: 'api', ...meta } });
    t.subscribe((e) => {
      if (this.timeline !== t || this.runId !== this.opts.host.currentRunId()) return;
      const parsed = engineEventSchema.safeParse(e);
      if (parsed.success) this.opts.host.publish(parsed.data);
    });
    this.timeline = t;
    this.runId = runId;
    this.runHasCall = false;
    this.runEnded = false;
    this.lastReport = undefined;
    this.opts.host.begin(runId, title);
    t.append({ type: 'run.started', at: this.clock.now(), runId, title: title.slice(0, 256), source: 'call', startedAt: this.clock.wallNow() });
    t.append(thresholdsEntry(this.clock.now(), this.profile));
  }

  /** The first call after a registration continues its run; later calls open a run of their own. */
  private runForCall(title: string): void {
    const t = this.timeline;
    if (t && !this.runHasCall && !this.runEnded && this.runId === this.opts.host.currentRunId()) {
      this.runHasCall = true;
      return;
    }
    const context = t ? this.contextOf(t) : [];
    this.newRun(`call-run-${++this.counter}`, title, { account: this.reg?.account.aor ?? '' });
    for (const e of context) this.append({ ...e, at: this.clock.now() });
    this.runHasCall = true;
  }

  /** The registration's and MRAS's latest entries and how their phases ended. */
  private contextOf(t: Timeline): Entry[] {
    const last = new Map<string, AnyEvent>();
    for (const e of t.events) {
      if (CONTEXT_TYPES.has(e.type)) last.set(e.type, e);
      if (e.type === 'phase' && (e['name'] === 'registration' || e['name'] === 'mras')) last.set(`phase:${String(e['name'])}`, e);
    }
    return [...last.values()].map(({ seq: _seq, ...rest }) => rest as Entry);
  }

  private append(e: Entry): void {
    this.timeline?.append(e);
    // A hangup asked for while the INVITE was still being prepared reaches the call once it exists.
    if (this.active?.hangupRequested) queueMicrotask(() => this.byeAll());
  }

  private endRun(error: ErrorInfo | undefined, runOk = !error): void {
    const t = this.timeline;
    if (!t || this.runEnded || !this.runId) return;
    this.runEnded = true;
    t.append({ type: 'run.ended', at: this.clock.now(), runId: this.runId, ok: runOk && !error, ...(error ? { error } : {}) });
  }
}
