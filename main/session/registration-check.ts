import type { Clock } from '../common/clock';
import { type ErrorInfo, MediapathError, toErrorInfo } from '../common/errors';
import type { RandomSource } from '../common/random';
import { MrasClient, type MrasClientEvent } from '../mras/client';
import { buildProvisioningRequest, parseServerConfiguration, PROVISIONING_CONTENT_TYPE, PROVISIONING_EVENT } from '../mras/provisioning-xml';
import { MRAS_CONTENT_TYPE, type MrasLocation } from '../mras/types';
import type { Net, TlsOptions } from '../net/types';
import { getHeader } from '../sip/message';
import type { SipTimerConfig } from '../sip/transaction/timers';
import type { SipTransportKind } from '../sip/transport/types';
import { SipUserAgent, type UaEvent } from '../sip/ua';

/**
 * One pass of PROTOCOLS.md §0 steps 1–3 and back, as `mediapath register` runs it: REGISTER
 * (digest), the provisioning self-SUBSCRIBE (ServerConfiguration: mrasUri, qosUri), `SERVICE
 * <mrasUri>` for relay credentials through `MrasClient`, then un-REGISTER and close — each step
 * timed. It never throws: a failure is `ok: false` with a coded `error`, the steps run before it,
 * and a plain-sentence `diagnosis`.
 *
 * The session's `Endpoint` runs the same three steps and keeps going into calls; this is the
 * one-shot check without ICE or media, to be folded into it once both settle.
 */
export interface RegistrationCheckOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly transport: SipTransportKind;
  /** `address` an IP literal, or `host` a name resolved through Net; port defaults by transport. */
  readonly registrar: { readonly address?: string; readonly host?: string; readonly port?: number };
  readonly aor: string;
  readonly username?: string;
  readonly password: string;
  readonly tls?: TlsOptions;
  /** Where the SIP socket binds (default: the user agent's choice). */
  readonly local?: { readonly ip: string; readonly port?: number };
  readonly location: MrasLocation;
  /**
   * Bound on each step. SIP timers are scaled so a non-INVITE transaction gives up (Timer F =
   * 64·T1, RFC 3261 §17.1.2.2) within it, so an unreachable UDP registrar surfaces as SIP_TIMEOUT
   * in time; the TCP/TLS connect and the MRAS exchange get the same bound.
   */
  readonly timeoutMs: number;
  /** Seconds asked for in REGISTER (the binding is removed right after). Default 300. */
  readonly expires?: number;
  readonly onEvent?: (e: UaEvent | MrasClientEvent) => void;
}

export type RegistrationStepName = 'register' | 'provisioning' | 'mras' | 'unregister';

export interface RegistrationStep {
  readonly name: RegistrationStepName;
  readonly ms: number;
  readonly ok: boolean;
  /** What came back, in a few words (`200 OK, 300 s`, `SIP_AUTH_FAILED: …`). */
  readonly outcome: string;
}

export interface RegistrationCheckRelay {
  /** hostName or directIPAddress, as MRAS gave it. */
  readonly host: string;
  readonly udpPort: number | null;
  readonly tcpPort: number | null;
  readonly location: string | null;
}

export interface RegistrationCheckCredentials {
  readonly username: string;
  /** In clear: the caller masks it before printing. */
  readonly password: string;
  readonly realm: string | null;
  readonly durationMinutes: number;
  /** Epoch ms at which the grant lapses (counted from our send, which errs on the safe side). */
  readonly expiresAtWall: number;
  readonly relays: readonly RegistrationCheckRelay[];
}

export interface RegistrationCheckResult {
  readonly ok: boolean;
  readonly registered: { readonly ok: boolean; readonly expires: number | null; readonly contact: string | null };
  /** null when provisioning was not reached or failed. */
  readonly provisioning: { readonly mrasUri: string | null; readonly qosUri: string | null; readonly minAudioPort: number | null; readonly maxAudioPort: number | null } | null;
  readonly mras: RegistrationCheckCredentials | null;
  readonly steps: readonly RegistrationStep[];
  /** The first failure; `cause` keeps the transport's own error when it was presented as another. */
  readonly error?: ErrorInfo & { readonly cause?: ErrorInfo };
  /** Plain sentences, worst first ("no relay credentials: …"). */
  readonly diagnosis: readonly string[];
}

const NET_UNREACHABLE = new Set(['NET_CONNECT_FAILED', 'NET_SOCKET_ERROR', 'NET_RESOLVE_FAILED']);
/** Other Nets may still report a refused TLS connect as NET_TLS_FAILED; the errno in the message tells. */
const SOCKET_UNREACHABLE = /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)\b/;

/** SIP timers that make a non-INVITE transaction end (Timer F = 64·T1) within `timeoutMs`. */
export function timersWithin(timeoutMs: number): Partial<SipTimerConfig> {
  const t1 = Math.max(1, Math.min(500, Math.floor(timeoutMs / 64)));
  return { t1, t2: Math.max(t1, Math.min(4000, t1 * 8)) };
}

/**
 * RFC 3261 §8.1.3.1 treats a transport failure like a missing answer: to the user both mean
 * "the registrar cannot be reached". A refused or failed TCP/TLS connect is presented as
 * SIP_TIMEOUT (the code an unreachable UDP registrar gets) with the net error kept as `cause`;
 * a TLS handshake or trust failure is not unreachability and keeps its own code.
 */
function presentRegisterError(e: unknown): ErrorInfo & { cause?: ErrorInfo } {
  const info = toErrorInfo(e);
  const unreachable = NET_UNREACHABLE.has(info.code) || (info.code === 'NET_TLS_FAILED' && SOCKET_UNREACHABLE.test(info.message));
  if (!unreachable) return info;
  return {
    code: 'SIP_TIMEOUT',
    message: `registrar unreachable: ${info.message}`,
    ...(info.layer ? { layer: info.layer } : {}),
    ...(info.peer ? { peer: info.peer } : {}),
    cause: info,
  };
}

function registerDiagnosis(err: ErrorInfo & { cause?: ErrorInfo }, timeoutMs: number): string {
  switch (err.code) {
    case 'SIP_AUTH_FAILED':
      return 'not registered: the registrar refused the credentials (wrong user name or password for this realm)';
    case 'SIP_TIMEOUT':
      return err.cause
        ? `not registered: the registrar cannot be reached (${err.cause.code}: ${err.cause.message})`
        : `not registered: no answer from the registrar within ${timeoutMs} ms (wrong address or port, or a firewall dropping SIP)`;
    case 'NET_TLS_FAILED':
      return `not registered: the TLS handshake failed (${err.message}); trust the registrar's certificate with --ca, or --insecure for a lab`;
    default:
      return `not registered: ${err.code}: ${err.message}`;
  }
}

function mrasDiagnosis(err: ErrorInfo, timeoutMs: number): string {
  const phrase = typeof err.response?.['reasonPhrase'] === 'string' ? ` (reasonPhrase "${err.response['reasonPhrase']}")` : '';
  switch (err.code) {
    case 'MRAS_TIMEOUT':
    case 'SIP_TIMEOUT':
      return `no relay credentials: the MRAS service did not answer within ${timeoutMs} ms, so calls can use no media relay (Edge)`;
    case 'MRAS_FAILED':
    case 'MRAS_PARSE':
      return `no relay credentials: the MRAS service refused or garbled the request${phrase} (${err.code}: ${err.message}), so calls can use no media relay (Edge)`;
    default:
      return `no relay credentials: SERVICE to MRAS failed (${err.code}: ${err.message}), so calls can use no media relay (Edge)`;
  }
}

export async function runRegistrationCheck(o: RegistrationCheckOptions): Promise<RegistrationCheckResult> {
  const { clock } = o;
  const steps: RegistrationStep[] = [];
  const diagnosis: string[] = [];
  let registered: RegistrationCheckResult['registered'] = { ok: false, expires: null, contact: null };
  let provisioning: RegistrationCheckResult['provisioning'] = null;
  let mras: RegistrationCheckCredentials | null = null;
  let error: RegistrationCheckResult['error'];
  let unregisterOutcome = '';

  const ua = new SipUserAgent({
    net: o.net,
    clock,
    random: o.random,
    transport: o.transport,
    registrar: o.registrar,
    aor: o.aor,
    password: o.password,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.local ? { local: o.local } : {}),
    timers: timersWithin(o.timeoutMs),
    connectTimeoutMs: o.timeoutMs,
    // One short pass: no keep-alives to schedule.
    keepAliveMs: 0,
    onEvent: (e) => {
      if (e.type === 'registration' && e.to === 'unregistered' && e.from === 'unregistering') unregisterOutcome = e.reason;
      o.onEvent?.(e);
    },
  });
  const timed = async <T>(name: RegistrationStepName, work: () => Promise<T>, outcome: (v: T) => string): Promise<T> => {
    const t0 = clock.now();
    try {
      const v = await work();
      steps.push({ name, ms: round(clock.now() - t0), ok: true, outcome: outcome(v) });
      return v;
    } catch (e) {
      const info = toErrorInfo(e);
      steps.push({ name, ms: round(clock.now() - t0), ok: false, outcome: `${info.code}: ${info.message}` });
      throw e;
    }
  };

  let mrasClient: MrasClient | undefined;
  /** Steps 1–3; each failure records its error and diagnosis and ends the pass. */
  const pass = async (): Promise<void> => {
    // 1. REGISTER
    try {
      const info = await timed('register', () => ua.register(o.expires ?? 300), (i) => `registered for ${i.expires} s`);
      registered = { ok: true, expires: info.expires, contact: info.contact };
    } catch (e) {
      error = presentRegisterError(e);
      diagnosis.push(registerDiagnosis(error, o.timeoutMs));
      return;
    }

    // 2. provisioning self-SUBSCRIBE
    let mrasUri: string | undefined;
    try {
      const config = await timed(
        'provisioning',
        async () => {
          const res = await ua.subscribe({ event: PROVISIONING_EVENT, accept: PROVISIONING_CONTENT_TYPE, contentType: PROVISIONING_CONTENT_TYPE, body: buildProvisioningRequest() });
          const parsed = parseServerConfiguration(res.body);
          if (!parsed.ok) throw new MediapathError(parsed.error.code, `provisioning answer unreadable: ${parsed.error.reason}`, { layer: 'mras' });
          return parsed.value;
        },
        (c) => (c.mrasUri ? `mrasUri ${c.mrasUri}` : 'no mrasUri'),
      );
      mrasUri = config.mrasUri;
      provisioning = {
        mrasUri: config.mrasUri ?? null,
        qosUri: config.qosUri ?? null,
        minAudioPort: config.ucMinAudioPort ?? null,
        maxAudioPort: config.ucMaxAudioPort ?? null,
      };
    } catch (e) {
      error = toErrorInfo(e);
      diagnosis.push(`no relay credentials: provisioning failed (${error.code}: ${error.message}), so the MRAS URI is unknown`);
      return;
    }
    if (mrasUri === undefined) {
      // PROTOCOLS.md §0 step 2: no mrasUri ⇒ no Edge ⇒ host candidates only. Not a failure of the check.
      diagnosis.push('no relay credentials: provisioning carried no mrasUri (no Edge deployed), so calls can offer host candidates only');
      return;
    }

    // 3. SERVICE <mrasUri>
    const uri = mrasUri;
    const client = new MrasClient({
      clock,
      mrasUri: uri,
      identity: ua.aor,
      location: o.location,
      random: o.random,
      timeoutMs: o.timeoutMs,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      request: async (xml) => {
        const res = await ua.service(uri, MRAS_CONTENT_TYPE, xml);
        const ct = getHeader(res, 'Content-Type');
        return { status: res.status, reason: res.reason, body: res.body, ...(ct !== undefined ? { contentType: ct } : {}) };
      },
    });
    mrasClient = client;
    try {
      const grant = await timed('mras', () => client.get(), (g) => `${g.relays.length} relay(s), ${g.durationMinutes} min`);
      mras = {
        username: grant.username,
        password: grant.password,
        realm: grant.realm ?? null,
        durationMinutes: grant.durationMinutes,
        expiresAtWall: grant.expiresAtWall,
        relays: grant.relays.map((r) => ({ host: r.directIPAddress ?? r.hostName ?? '', udpPort: r.udpPort ?? null, tcpPort: r.tcpPort ?? null, location: r.location ?? null })),
      };
      if (grant.relays.length === 0) diagnosis.push('MRAS granted credentials but listed no relay: calls can use no media relay (Edge)');
    } catch (e) {
      error = toErrorInfo(e);
      diagnosis.push(mrasDiagnosis(error, o.timeoutMs));
    }
  };

  try {
    await pass();
  } catch (e) {
    // Our own bug, not the server's: still report it as data.
    error ??= toErrorInfo(e);
  } finally {
    mrasClient?.close();
    // 4. un-REGISTER (only when a binding exists), then close the transport.
    if (registered.ok) {
      const t0 = clock.now();
      await ua.unregister();
      const ok = /^2\d\d\b/.test(unregisterOutcome);
      steps.push({ name: 'unregister', ms: round(clock.now() - t0), ok, outcome: unregisterOutcome || 'not sent' });
      if (!ok) diagnosis.push(`the binding may remain until it expires: un-REGISTER ${unregisterOutcome || 'was not answered'}`);
    }
    await ua.close(Math.min(o.timeoutMs, 4000));
  }
  return {
    ok: error === undefined && registered.ok && steps.every((s) => s.ok),
    registered,
    provisioning,
    mras,
    steps,
    ...(error ? { error } : {}),
    diagnosis,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
