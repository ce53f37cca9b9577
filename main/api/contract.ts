import { z } from 'zod';
import type { ErrorInfo } from '../common/errors';
import type { Result } from '../common/result';
import type { ApiMethodName } from './channels';
import type { EngineEvent } from './events';

/**
 * The one contract (DESIGN.md "IPC contract"): call-style methods that never throw across the
 * boundary — each resolves to a Result with a coded ErrorInfo — and one event subscription that
 * carries the Timeline. Every input has a zod schema here; the engine side validates every value
 * it receives with it before use, whatever carried it (Electron IPC or the WebSocket bridge).
 */

export type ApiResult<T> = Result<T, ErrorInfo>;
export type Unsubscribe = () => void;

const text = (max: number) => z.string().max(max);
const nonEmpty = (max: number) => z.string().min(1).max(max);

export const ICE_STRATEGIES = ['lync', 'rfc8445'] as const;
export const SIP_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;

// ---- inputs ---------------------------------------------------------------------------------

/** No argument: the wire carries `undefined` (or JSON `null`, which the bridge maps to it). */
export const noInputSchema = z.undefined();

export const runScenarioInputSchema = z
  .object({
    kind: z.literal('ice'),
    /** A lab ICE scenario name (the engine checks it against its list: SCENARIO_INVALID). */
    scenario: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/),
    strategy: z.enum(ICE_STRATEGIES),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
  })
  .strict();
export type RunScenarioInput = z.infer<typeof runScenarioInputSchema>;

/** `sip:user@domain`, `sips:…`: checked loosely here, exactly by the SIP layer. */
const sipUri = z.string().regex(/^sips?:[^\s@]+@[^\s@]+$/, 'a SIP URI like sip:alice@example.com');
/** `host` or `host:port` (IPv6 in brackets). */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'host or host:port');

export const accountSchema = z
  .object({
    id: nonEmpty(64),
    aor: sipUri,
    registrar: hostPort,
    transport: z.enum(SIP_TRANSPORTS),
    username: nonEmpty(256),
    displayName: text(256).optional(),
  })
  .strict();
export type Account = z.infer<typeof accountSchema>;

export const registerInputSchema = z
  .object({
    account: accountSchema,
    /**
     * Absent: the engine takes it from its SecretStore (remembered earlier), or the embedded lab's
     * own account's. Settings never hold it; `remember` keeps it in the SecretStore (the OS
     * keychain through Electron's safeStorage; memory only, for this process, under `serve`).
     */
    password: z.string().max(1024).optional(),
    remember: z.boolean().optional(),
  })
  .strict();
export type RegisterInput = z.infer<typeof registerInputSchema>;

export const callInputSchema = z.object({ target: sipUri, accountId: nonEmpty(64).optional() }).strict();
export type CallInput = z.infer<typeof callInputSchema>;

export const answerInputSchema = z.object({ accountId: nonEmpty(64).optional(), auto: z.boolean().optional() }).strict();
export type AnswerInput = z.infer<typeof answerInputSchema>;

export const hangupInputSchema = z.object({ callId: nonEmpty(256) }).strict();
export type HangupInput = z.infer<typeof hangupInputSchema>;

/** A saved run is at most this big; larger files are refused before they are read. */
export const RUN_FILE_MAX_BYTES = 32 * 1024 * 1024;

export const openRunInputSchema = z.union([
  z.object({ text: z.string().max(RUN_FILE_MAX_BYTES), name: text(256).optional() }).strict(),
  z.object({ path: nonEmpty(4096).regex(/\.jsonl$/i, 'a .jsonl file') }).strict(),
]);
export type OpenRunInput = z.infer<typeof openRunInputSchema>;

/**
 * jsonl: the Timeline as saved runs are (openRun reads it back); json: the report (main/report's
 * schema); junit/csv/summary: the CLI's report formats; bundle: all of them in one .zip.
 */
export const EXPORT_FORMATS = ['jsonl', 'json', 'junit', 'csv', 'summary', 'bundle'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** Absent input means jsonl. */
export const exportRunInputSchema = z.object({ format: z.enum(EXPORT_FORMATS) }).strict().optional();
export type ExportRunInput = z.infer<typeof exportRunInputSchema>;

export const settingsSchema = z
  .object({
    theme: z.enum(['system', 'light', 'dark']),
    accounts: z.array(accountSchema).max(16),
    /** Named thresholds profile for verdicts (issue 6). */
    thresholdsProfile: z.enum(['client-to-edge', 'edge-to-edge', 'custom']),
    dialect: z.enum(['rfc8445', 'lync-ice2', 'lync-ice-v6']),
    /** Interface names or CIDRs to gather on; empty means all. */
    interfaces: z.array(nonEmpty(64)).max(32),
    lab: z.object({ scenario: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/), strategy: z.enum(ICE_STRATEGIES), seed: z.number().int().min(0).max(2 ** 31 - 1) }).strict(),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  accounts: [],
  thresholdsProfile: 'client-to-edge',
  dialect: 'lync-ice2',
  interfaces: [],
  lab: { scenario: 'promotion', strategy: 'lync', seed: 1 },
};

// ---- outputs --------------------------------------------------------------------------------

export interface VersionInfo {
  readonly name: 'mediapath';
  readonly version: string;
  /** Which face serves this API: the Electron shell or the `mediapath serve` bridge. */
  readonly host: 'electron' | 'serve' | 'test';
}

export interface ScenarioCatalog {
  readonly ice: ReadonlyArray<{ readonly name: string; readonly expectedPath: string; readonly strategies: readonly string[] }>;
  readonly strategies: readonly string[];
}

export interface RunSummary {
  readonly runId: string;
  readonly ok: boolean;
  readonly verdict: 'pass' | 'fail' | 'error';
  readonly events: number;
}

/**
 * Where the password used for a registration is kept: the OS keychain (Electron safeStorage),
 * this process's memory only (`mediapath serve`: gone when it exits), or nowhere.
 */
export type PasswordStorage = 'keychain' | 'memory' | 'none';

export interface RegistrationInfo {
  /** One of REGISTRATION_STATES (main/api/events.ts). */
  readonly state: string;
  /** `host:port` the REGISTER went to. */
  readonly registrar: string;
  readonly aor: string;
  readonly transport: (typeof SIP_TRANSPORTS)[number];
  /** Wall-clock milliseconds (Date.now()) at which the binding expires unless refreshed. */
  readonly expiresAt?: number;
  readonly passwordStored?: PasswordStorage;
}

export interface CallHandle {
  readonly callId: string;
}

export interface RunView {
  readonly runId: string | null;
  readonly name: string;
  readonly events: readonly EngineEvent[];
  /** Lines of an opened file that are not EngineEvents the UI shows (other layers' raw events), by type. */
  readonly skipped?: Readonly<Record<string, number>>;
}

/** The live MRAS credential in clear, asked for on purpose (never on the Timeline or in a saved run). */
export interface MrasSecret {
  readonly username: string;
  readonly password: string;
  /** Wall-clock expiry, Date.now() milliseconds. */
  readonly expiresAt: number;
}

export interface RunExport {
  readonly fileName: string;
  readonly mimeType: string;
  /** The file's content: text as is, or base64 of the bytes (the bundle is a .zip). */
  readonly text: string;
  readonly encoding: 'utf8' | 'base64';
}

// ---- the contract ---------------------------------------------------------------------------

export interface MediapathApi {
  version(): Promise<ApiResult<VersionInfo>>;
  scenarios(): Promise<ApiResult<ScenarioCatalog>>;
  /** Runs a lab scenario to its end; its events stream through onDidEvent meanwhile. */
  runScenario(input: RunScenarioInput): Promise<ApiResult<RunSummary>>;
  /**
   * REGISTER, provisioning and MRAS for one account (a new run: its events stream meanwhile);
   * resolves once the account is registered (MRAS failing leaves it registered, host-only).
   * Replaces an earlier registration; API_BUSY while a call is up.
   */
  register(input: RegisterInput): Promise<ApiResult<RegistrationInfo>>;
  /** Un-REGISTERs (hanging up a call first); API_NOT_REGISTERED when nothing is registered. */
  unregister(): Promise<ApiResult<null>>;
  /**
   * Places a call from the registered account and resolves at once with its handle; the call
   * runs in the background (events streaming) until hangup or the far end's BYE, then the run
   * ends with diagnoses and a verdict. API_NOT_REGISTERED, API_BUSY (a call is up). Without a
   * registration, sip:bob@lab.test still runs the whole one-shot lab call and resolves at its end.
   */
  call(input: CallInput): Promise<ApiResult<CallHandle>>;
  /**
   * Answer mode: waits for the next incoming call (at most 5 minutes: SIP_TIMEOUT) and resolves
   * with its handle once it is being answered (183, checks, 200 — as `mediapath answer` does);
   * with `auto` (default true) later calls are answered automatically too, until unregister.
   */
  answer(input: AnswerInput): Promise<ApiResult<CallHandle>>;
  /** BYE (CANCEL before the answer); resolves once the call's run has its verdict. API_NO_SUCH_CALL. */
  hangup(input: HangupInput): Promise<ApiResult<null>>;
  /** Loads a saved run (JSON Lines, one EngineEvent per line); it becomes the current run. */
  openRun(input: OpenRunInput): Promise<ApiResult<RunView>>;
  exportRun(input?: ExportRunInput): Promise<ApiResult<RunExport>>;
  /** The current run's events so far: what a page that (re)connects renders first. */
  currentRun(): Promise<ApiResult<RunView>>;
  getSettings(): Promise<ApiResult<Settings>>;
  saveSettings(input: Settings): Promise<ApiResult<Settings>>;
  /** The registered account's live MRAS username and password (the inspector's reveal). */
  revealMrasCredentials(): Promise<ApiResult<MrasSecret>>;
  onDidEvent(cb: (e: EngineEvent) => void): Unsubscribe;
}

export type ApiMethod = Exclude<keyof MediapathApi, 'onDidEvent'>;
export type ApiInput<M extends ApiMethod> = Parameters<MediapathApi[M]>[0];
export type ApiOutput<M extends ApiMethod> = Awaited<ReturnType<MediapathApi[M]>> extends Result<infer T, ErrorInfo> ? T : never;

/** What an engine side implements once: one handler per method, already-validated input in. */
export type ApiHandlers = { readonly [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiResult<ApiOutput<M>>> };

/** The validator of every method's input: a method without one fails to compile. */
export const INPUT_SCHEMAS: { readonly [M in ApiMethod]: z.ZodType<ApiInput<M>, z.ZodTypeDef, unknown> } = {
  version: noInputSchema,
  scenarios: noInputSchema,
  runScenario: runScenarioInputSchema,
  register: registerInputSchema,
  unregister: noInputSchema,
  call: callInputSchema,
  answer: answerInputSchema,
  hangup: hangupInputSchema,
  openRun: openRunInputSchema,
  exportRun: exportRunInputSchema,
  currentRun: noInputSchema,
  getSettings: noInputSchema,
  saveSettings: settingsSchema,
  revealMrasCredentials: noInputSchema,
};

// The channel list and the interface must name the same methods, both ways.
type Unlisted = Exclude<ApiMethod, ApiMethodName>;
type Unknown = Exclude<ApiMethodName, ApiMethod>;
export const METHODS_MATCH_CHANNELS: [Unlisted | Unknown] extends [never] ? true : { unlisted: Unlisted; unknown: Unknown } = true;
