import { readFile, stat } from 'node:fs/promises';
import {
  INPUT_SCHEMAS,
  isApiMethod,
  RUN_FILE_MAX_BYTES,
  type ApiHandlers,
  type ApiMethod,
  type ApiResult,
  type EngineEvent,
  type MediapathApi,
  type RunView,
  type Settings,
  type Unsubscribe,
  type VersionInfo,
} from '../api';
import { toErrorInfo, type ErrorInfo } from '../common/errors';
import { createLogger, type Logger } from '../common/logger';
import { err, ok } from '../common/result';
import { EXPECTED_PATH, ICE_SCENARIOS } from '../lab/ice-scenarios';
import type { EmbeddedLab } from './embedded-lab';
import { EngineSession, profileOf, type EngineSessionOptions } from './engine-session';
import { isLabTarget, runLabCall, type LabCallRunner } from './lab-call';
import { runLabIce, type IceScenarioRunner } from './lab-run';
import { exportRun } from './run-export';
import { parseRun } from './run-file';
import { MemorySecretStore, type SecretStore } from './secret-store';
import type { SettingsStore } from './settings-store';

export interface ApiServerOptions {
  readonly version: string;
  readonly host: VersionInfo['host'];
  readonly settings: SettingsStore;
  /** The lab ICE runner (default: main/lab's virtual-network scenarios). */
  readonly runIce?: IceScenarioRunner;
  /** A call to the embedded lab (default: the loopback demo call, main/serve/lab-call.ts). */
  readonly runCall?: LabCallRunner;
  readonly wallNow?: () => number;
  readonly logger?: Logger;
  /** Events kept for the current run; a run longer than this keeps its first events only. */
  readonly maxEvents?: number;
  /** Where remembered passwords live (default: this process's memory only). */
  readonly secrets?: SecretStore;
  /** The embedded lab (`mediapath serve --lab`): its alice account in the settings, bob to call. */
  readonly lab?: EmbeddedLab;
  /** The session's sockets, clock, randomness and bounds (tests). */
  readonly engine?: Pick<EngineSessionOptions, 'net' | 'clock' | 'random' | 'maxCallMs' | 'answerWaitMs' | 'hangupWaitMs'>;
}

/**
 * The engine side of MediapathApi, implemented once and used by both faces: the Electron IPC
 * handlers (main/app) and the WebSocket bridge (main/serve). `invoke` is the one door for
 * values from outside: it checks the method name, validates the input with the method's zod
 * schema, and turns anything thrown into a coded ErrorInfo — nothing throws across it.
 */
export class ApiServer implements MediapathApi {
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private events: EngineEvent[] = [];
  private runId: string | null = null;
  private runName = 'no run yet';
  private busy = false;
  private runCounter = 0;
  private readonly log: Logger;
  private readonly maxEvents: number;
  private readonly handlers: ApiHandlers;
  private readonly engine: EngineSession;

  constructor(private readonly opts: ApiServerOptions) {
    this.log = opts.logger ?? createLogger('serve/api-server');
    this.maxEvents = opts.maxEvents ?? 200_000;
    this.engine = new EngineSession({
      host: { begin: (runId, name) => this.beginRun(runId, name), publish: (e) => this.publish(e), currentRunId: () => this.runId },
      secrets: opts.secrets ?? new MemorySecretStore(),
      settings: () => this.settings(),
      ...(opts.lab ? { lab: opts.lab, clock: opts.lab.clock } : {}),
      toolVersion: opts.version,
      logger: this.log,
      ...opts.engine,
    });
    const inCall = (what: string): ErrorInfo => ({ code: 'API_BUSY', message: `a call is up: hang up before ${what}`, layer: 'api' });
    this.handlers = {
      version: async () => ok({ name: 'mediapath', version: opts.version, host: opts.host }),
      scenarios: async () =>
        ok({
          ice: ICE_SCENARIOS.map((name) => ({ name, expectedPath: EXPECTED_PATH[name].path, strategies: [...EXPECTED_PATH[name].strategies] })),
          strategies: ['lync', 'rfc8445'],
        }),
      runScenario: async (input) => {
        if (this.engine.inCall) return err(inCall('running a lab scenario'));
        if (this.busy) return err({ code: 'API_BUSY', message: 'a run is in progress: wait for its verdict', layer: 'api' });
        this.busy = true;
        const runId = `lab-${input.scenario}-${input.strategy}-${input.seed}-${++this.runCounter}`;
        this.beginRun(runId, `lab ICE ${input.scenario} (${input.strategy}, seed ${input.seed})`);
        try {
          const outcome = await runLabIce(input, runId, (e) => this.publish(e), {
            ...(opts.runIce ? { run: opts.runIce } : {}),
            ...(opts.wallNow ? { wallNow: opts.wallNow } : {}),
          });
          return ok({ runId, ok: outcome.ok, verdict: outcome.verdict, events: this.events.length });
        } finally {
          this.busy = false;
        }
      },
      register: async (input) => {
        if (this.busy) return err({ code: 'API_BUSY', message: 'a run is in progress: wait for its verdict', layer: 'api' });
        return this.engine.register(input);
      },
      unregister: async () => this.engine.unregister(),
      call: async (input) => {
        if (this.busy) return err({ code: 'API_BUSY', message: 'a run is in progress: wait for its verdict', layer: 'api' });
        if (this.engine.registered) return this.engine.call(input);
        if (!isLabTarget(input.target)) return err({ code: 'API_NOT_REGISTERED', message: `Calling ${input.target}: register an account first`, layer: 'api' });
        if (opts.lab) {
          // The embedded lab's own account needs no typing: calling bob registers alice first.
          const r = await this.engine.register({ account: opts.lab.account });
          return r.ok ? this.engine.call(input) : r;
        }
        // No embedded lab in this process: the whole demo call, one shot (lab-call.ts).
        this.busy = true;
        const runId = `lab-call-${++this.runCounter}`;
        this.beginRun(runId, `lab call to ${input.target}`);
        try {
          const outcome = await (opts.runCall ?? runLabCall)(input, runId, (e) => this.publish(e));
          return ok({ callId: outcome.callId });
        } finally {
          this.busy = false;
        }
      },
      answer: async (input) => {
        if (this.busy) return err({ code: 'API_BUSY', message: 'a run is in progress: wait for its verdict', layer: 'api' });
        return this.engine.answer(input);
      },
      hangup: async (input) => this.engine.hangup(input),
      openRun: async (input) => {
        if (this.engine.inCall) return err(inCall('opening a run'));
        if (this.busy) return err({ code: 'API_BUSY', message: 'a run is in progress: open the file after its verdict', layer: 'api' });
        let text: string;
        let name: string;
        if ('path' in input) {
          const st = await stat(input.path).catch(() => undefined);
          if (!st?.isFile()) return err({ code: 'INVALID_ARGUMENT', message: `no such file: ${input.path}`, layer: 'api' });
          if (st.size > RUN_FILE_MAX_BYTES) return err({ code: 'TIMELINE_INVALID', message: `file larger than ${RUN_FILE_MAX_BYTES} bytes`, layer: 'api' });
          text = await readFile(input.path, 'utf8');
          name = input.path;
        } else {
          text = input.text;
          name = input.name ?? 'opened run';
        }
        const parsed = parseRun(text);
        if (!parsed.ok) return parsed;
        const { events, skipped } = parsed.value;
        if (!events.length) return err({ code: 'TIMELINE_INVALID', message: `no events the UI can show${Object.keys(skipped).length ? ` (only ${Object.keys(skipped).join(', ')})` : ''}`, layer: 'api' });
        const started = events.find((e) => e.type === 'run.started');
        this.runId = started?.type === 'run.started' ? started.runId : `file-${++this.runCounter}`;
        this.runName = name;
        this.events = events.slice(0, this.maxEvents);
        return ok({ ...this.view(), ...(Object.keys(skipped).length ? { skipped } : {}) });
      },
      exportRun: async (input) => {
        if (!this.events.length) return err({ code: 'INVALID_ARGUMENT', message: 'nothing to export: run a scenario or open a run first', layer: 'api' });
        const timeline = this.engine.currentTimeline();
        return ok(
          exportRun(input?.format ?? 'jsonl', {
            runId: this.runId,
            name: this.runName,
            events: this.events,
            ...(timeline ? { timeline } : {}),
            profile: profileOf(await this.settings()),
            ...(opts.wallNow ? { now: new Date(opts.wallNow()) } : {}),
          }),
        );
      },
      currentRun: async () => ok(this.view()),
      revealMrasCredentials: async () => this.engine.revealMrasCredentials(),
      getSettings: async () => ok(await this.settings()),
      saveSettings: async (input) => {
        // The lab's account is the lab's, not the user's: it is offered, never written.
        const lab = opts.lab?.account.id;
        await opts.settings.save(lab ? { ...input, accounts: input.accounts.filter((a) => a.id !== lab) } : input);
        return ok(await this.settings());
      },
    };
  }

  /** The stored settings, with the embedded lab's alice first among the accounts when a lab runs. */
  private async settings(): Promise<Settings> {
    const s = await this.opts.settings.load();
    const lab = this.opts.lab?.account;
    if (!lab) return s;
    return { ...s, accounts: [lab, ...s.accounts.filter((a) => a.id !== lab.id)] };
  }

  /** Hangs up, un-REGISTERs: the session leaves nothing behind (the lab is its owner's to stop). */
  async close(): Promise<void> {
    await this.engine.close();
  }

  /** The one door for untrusted callers: method name and input checked, nothing thrown. */
  async invoke(method: unknown, input: unknown): Promise<ApiResult<unknown>> {
    if (!isApiMethod(method)) return err({ code: 'INVALID_ARGUMENT', message: `unknown method ${JSON.stringify(String(method)).slice(0, 80)}`, layer: 'api' });
    return this.dispatch(method, input);
  }

  private async dispatch<M extends ApiMethod>(method: M, input: unknown): Promise<ApiResult<unknown>> {
    const parsed = INPUT_SCHEMAS[method].safeParse(input === null ? undefined : input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return err({ code: 'INVALID_ARGUMENT', message: `${method}: ${issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'invalid input'}`, layer: 'api' });
    }
    try {
      const handler = this.handlers[method] as (i: unknown) => Promise<ApiResult<unknown>>;
      return await handler(parsed.data);
    } catch (e) {
      const info = toErrorInfo(e);
      this.log.warn({ method, code: info.code, error: info.message }, 'api call failed');
      return err(info);
    }
  }

  onDidEvent(cb: (e: EngineEvent) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Listeners attached (the bridges detach theirs on close; tests check it drops to 0). */
  listenerCount(): number {
    return this.listeners.size;
  }

  // MediapathApi, typed: each goes through the same validation as values from outside.
  version = () => this.dispatch('version', undefined) as ReturnType<MediapathApi['version']>;
  scenarios = () => this.dispatch('scenarios', undefined) as ReturnType<MediapathApi['scenarios']>;
  runScenario: MediapathApi['runScenario'] = (i) => this.dispatch('runScenario', i) as ReturnType<MediapathApi['runScenario']>;
  register: MediapathApi['register'] = (i) => this.dispatch('register', i) as ReturnType<MediapathApi['register']>;
  unregister = () => this.dispatch('unregister', undefined) as ReturnType<MediapathApi['unregister']>;
  call: MediapathApi['call'] = (i) => this.dispatch('call', i) as ReturnType<MediapathApi['call']>;
  answer: MediapathApi['answer'] = (i) => this.dispatch('answer', i) as ReturnType<MediapathApi['answer']>;
  hangup: MediapathApi['hangup'] = (i) => this.dispatch('hangup', i) as ReturnType<MediapathApi['hangup']>;
  openRun: MediapathApi['openRun'] = (i) => this.dispatch('openRun', i) as ReturnType<MediapathApi['openRun']>;
  exportRun: MediapathApi['exportRun'] = (i) => this.dispatch('exportRun', i) as ReturnType<MediapathApi['exportRun']>;
  currentRun = () => this.dispatch('currentRun', undefined) as ReturnType<MediapathApi['currentRun']>;
  getSettings = () => this.dispatch('getSettings', undefined) as ReturnType<MediapathApi['getSettings']>;
  saveSettings: MediapathApi['saveSettings'] = (i) => this.dispatch('saveSettings', i) as ReturnType<MediapathApi['saveSettings']>;
  revealMrasCredentials = () => this.dispatch('revealMrasCredentials', undefined) as ReturnType<MediapathApi['revealMrasCredentials']>;

  private view(): RunView {
    return { runId: this.runId, name: this.runName, events: this.events };
  }

  private beginRun(runId: string, name: string): void {
    this.runId = runId;
    this.runName = name;
    this.events = [];
  }

  private publish(e: EngineEvent): void {
    if (this.events.length < this.maxEvents) this.events.push(e);
    for (const cb of [...this.listeners]) {
      try {
        cb(e);
      } catch (x) {
        this.log.warn({ error: (x as Error).message }, 'event listener threw');
      }
    }
  }
}
