import type { Clock, TimerHandle } from '../common/clock';
import { type ErrorInfo, MediapathError, toErrorInfo } from '../common/errors';
import { StateMachine } from '../common/fsm';
import { createLogger, type Logger } from '../common/logger';
import { CryptoRandom, type RandomSource } from '../common/random';
import { MrasCredentialCache, type MrasCredentialGrant } from './cache';
import { MRAS_CONTENT_TYPE, MRAS_DEFAULT_DURATION_MINUTES, type MediaRelay, type MrasLocation } from './types';
import { buildMrasRequest, credentialsRequestFor, readMrasGrant } from './xml';

/**
 * The MRAS client (PROTOCOLS.md §0 step 3, §1), independent of the user agent: it builds the
 * credentials request, hands the XML to `request` (which sends `SERVICE <mrasUri>` however the
 * caller's UA does it), reads the answer into a grant, caches it by relay, and renews it before
 * the server's `duration` runs out, at `renewAt` of it (80 % by default; the PROTOCOLS.md §1
 * advice to "re-request before duration runs out").
 *
 * Failures are coded: a SIP-level failure thrown by `request` (SIP_TIMEOUT, SIP_AUTH_FAILED…)
 * passes through untouched; a non-2xx answer or a refusal in the XML is MRAS_FAILED (with the
 * status or the server's reasonPhrase); unreadable XML is MRAS_PARSE; no answer within
 * `timeoutMs` is MRAS_TIMEOUT. A failed renewal is retried with exponential backoff while the
 * old grant is still good; once it expires, the next `get()` asks afresh.
 */

/** What the SIP side got back for the SERVICE request. */
export interface MrasServiceAnswer {
  readonly status: number;
  readonly reason?: string;
  readonly contentType?: string;
  readonly body: string;
}

export type MrasClientState = 'idle' | 'requesting' | 'valid' | 'renewing' | 'backoff' | 'expired' | 'closed';

const TRANSITIONS: Record<MrasClientState, readonly MrasClientState[]> = {
  idle: ['requesting', 'closed'],
  // idle: the first request failed (the caller decides when to ask again)
  requesting: ['valid', 'idle', 'closed'],
  valid: ['renewing', 'expired', 'closed'],
  renewing: ['valid', 'backoff', 'expired', 'closed'],
  backoff: ['renewing', 'expired', 'closed'],
  // valid: a renewal that was in flight when the grant expired came back with credentials
  expired: ['requesting', 'valid', 'closed'],
  closed: [],
};

export type MrasClientEvent =
  | {
      readonly type: 'mras.credentials';
      readonly at: number;
      readonly requestId: string;
      readonly relays: readonly MediaRelay[];
      readonly username: string;
      readonly realm?: string;
      readonly durationMinutes: number;
      /** Monotonic ms (the Timeline's base). */
      readonly expiresAt: number;
      /** Epoch ms. */
      readonly expiresAtWall: number;
      readonly renewAt: number;
      readonly renewal: boolean;
    }
  | {
      readonly type: 'mras.failed';
      readonly at: number;
      readonly error: ErrorInfo;
      readonly renewal: boolean;
      /** When the next automatic attempt is due (renewals only). */
      readonly retryAt?: number;
    }
  | { readonly type: 'mras.expired'; readonly at: number; readonly username: string }
  | { readonly type: 'mras.state'; readonly at: number; readonly from: MrasClientState; readonly to: MrasClientState; readonly reason: string };

export interface MrasRetryPolicy {
  /** First retry delay after a failed renewal. Default 10 s. */
  readonly initialMs: number;
  /** Cap on the doubling delay. Default 10 min. */
  readonly maxMs: number;
}

export interface MrasClientOptions {
  readonly clock: Clock;
  /** Sends `SERVICE <mrasUri>` with this body (Content-Type MRAS_CONTENT_TYPE) and resolves with the final answer. */
  readonly request: (xmlBody: string) => Promise<MrasServiceAnswer>;
  /** From provisioning; the request's `to`. */
  readonly mrasUri: string;
  /** The user's SIP URI. */
  readonly identity: string;
  readonly location: MrasLocation;
  /** Asked for; the server may grant less. Default 480. */
  readonly durationMinutes?: number;
  /** Fraction of the granted duration after which to renew. Default 0.8. */
  readonly renewAt?: number;
  /** Bound on one exchange. Default 32 s (64·T1, as SIP Timer F). */
  readonly timeoutMs?: number;
  readonly retry?: Partial<MrasRetryPolicy>;
  /** For request IDs. Default: crypto. */
  readonly random?: RandomSource;
  readonly onEvent?: (e: MrasClientEvent) => void;
  readonly logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 32_000;
const DEFAULT_RETRY: MrasRetryPolicy = { initialMs: 10_000, maxMs: 600_000 };

export class MrasClient {
  readonly cache: MrasCredentialCache;
  private readonly fsm: StateMachine<MrasClientState>;
  private readonly log: Logger;
  private readonly random: RandomSource;
  private readonly retry: MrasRetryPolicy;
  private readonly renewFraction: number;
  private inflight: Promise<MrasCredentialGrant> | undefined;
  private renewTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private failures = 0;

  constructor(private readonly opts: MrasClientOptions) {
    const f = opts.renewAt ?? 0.8;
    if (!(f > 0 && f < 1)) throw new MediapathError('INVALID_ARGUMENT', `renewAt ${f} must be between 0 and 1`, { layer: 'mras' });
    this.renewFraction = f;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.random = opts.random ?? new CryptoRandom();
    this.log = opts.logger ?? createLogger('mras/client');
    this.cache = new MrasCredentialCache(() => opts.clock.now());
    this.fsm = new StateMachine<MrasClientState>('mras client', 'idle', TRANSITIONS, () => opts.clock.now(), (t) => {
      this.log.debug(t, 'state');
      this.emit({ type: 'mras.state', at: t.at, from: t.from, to: t.to, reason: t.reason });
    }, 'mras');
  }

  get state(): MrasClientState {
    return this.fsm.state;
  }

  /** The live grant, from the cache when there is one, else from a new SERVICE exchange. */
  get(): Promise<MrasCredentialGrant> {
    if (this.fsm.is('closed')) return Promise.reject(this.closedError());
    const live = this.cache.latest();
    if (live) return Promise.resolve(live);
    return this.inflight ?? this.fetch(false);
  }

  /** Asks again now, even with a live grant (joins an exchange already in flight). */
  refresh(): Promise<MrasCredentialGrant> {
    if (this.fsm.is('closed')) return Promise.reject(this.closedError());
    return this.inflight ?? this.fetch(this.cache.latest() !== undefined);
  }

  /** The newest live grant, without asking. */
  current(): MrasCredentialGrant | undefined {
    return this.cache.latest();
  }

  /** Credentials for one relay (by host and ports), if a live grant covers it. */
  credentialsFor(relay: MediaRelay): MrasCredentialGrant | undefined {
    return this.cache.forRelay(relay);
  }

  /** Milliseconds of validity left; 0 without a live grant. */
  timeLeftMs(): number {
    return this.cache.timeLeftMs();
  }

  /** Timers this client holds (tests assert 0 after close). */
  pendingTimers(): number {
    return [this.renewTimer, this.expiryTimer, this.retryTimer].filter((t) => t !== undefined).length;
  }

  /** Stops renewal; an exchange in flight still settles, but changes nothing. */
  close(): void {
    if (this.fsm.is('closed')) return;
    this.clearTimers();
    this.fsm.transition('closed', 'closed by the owner');
  }

  private fetch(renewal: boolean): Promise<MrasCredentialGrant> {
    this.fsm.transition(renewal ? 'renewing' : 'requesting', renewal ? 'renewal due' : 'credentials needed');
    this.opts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const p = this.exchange()
      .then(
        (grant) => {
          if (this.fsm.is('closed')) return grant;
          this.accept(grant, renewal);
          return grant;
        },
        (e: unknown) => {
          const error = e instanceof MediapathError ? e : new MediapathError('MRAS_FAILED', `MRAS request failed: ${String(e)}`, { layer: 'mras' }, { cause: e });
          if (!this.fsm.is('closed')) this.onFailure(error, renewal);
          throw error;
        },
      )
      .finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      });
    this.inflight = p;
    return p;
  }

  /** One SERVICE exchange, bounded by `timeoutMs`. */
  private async exchange(): Promise<MrasCredentialGrant> {
    const { clock } = this.opts;
    const requestId = String(1 + this.random.int(2 ** 31 - 1));
    const xml = buildMrasRequest(
      credentialsRequestFor({
        requestId,
        identity: this.opts.identity,
        mrasUri: this.opts.mrasUri,
        location: this.opts.location,
        durationMinutes: this.opts.durationMinutes ?? MRAS_DEFAULT_DURATION_MINUTES,
      }),
    );
    const sentAt = clock.now();
    const sentAtWall = clock.wallNow();
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        timer = undefined;
        reject(new MediapathError('MRAS_TIMEOUT', `no MRAS answer within ${timeoutMs} ms`, { layer: 'mras' }));
      }, timeoutMs);
    });
    let answer: MrasServiceAnswer;
    try {
      answer = await Promise.race([this.opts.request(xml), timeout]);
    } finally {
      clock.clearTimeout(timer);
    }
    if (answer.status < 200 || answer.status >= 300) {
      const what = `${answer.status}${answer.reason ? ` ${answer.reason}` : ''}`;
      throw new MediapathError('MRAS_FAILED', `SERVICE to the MRAS URI answered ${what}`, {
        layer: 'mras',
        response: { code: answer.status, ...(answer.reason !== undefined ? { reason: answer.reason } : {}) },
      });
    }
    const grant = readMrasGrant(answer.body, requestId);
    if (!grant.ok) {
      const ct = answer.contentType && !answer.contentType.toLowerCase().includes(MRAS_CONTENT_TYPE) ? ` (Content-Type ${answer.contentType.slice(0, 80)})` : '';
      throw new MediapathError(grant.error.code, `${grant.error.reason}${ct}`, {
        layer: 'mras',
        ...(grant.error.reasonPhrase !== undefined ? { response: { reasonPhrase: grant.error.reasonPhrase } } : {}),
      });
    }
    const { credentials, relays } = grant.value;
    // The server's clock starts no earlier than our send: counting from it errs on the safe side.
    const lifetimeMs = credentials.durationMinutes * 60_000;
    return {
      requestId,
      username: credentials.username,
      password: credentials.password,
      ...(credentials.realm !== undefined ? { realm: credentials.realm } : {}),
      relays,
      durationMinutes: credentials.durationMinutes,
      issuedAt: sentAt,
      renewAt: sentAt + this.renewFraction * lifetimeMs,
      expiresAt: sentAt + lifetimeMs,
      expiresAtWall: sentAtWall + lifetimeMs,
    };
  }

  private accept(grant: MrasCredentialGrant, renewal: boolean): void {
    const { clock } = this.opts;
    this.failures = 0;
    this.cache.put(grant);
    this.fsm.transition('valid', `credentials for ${grant.relays.length} relay(s), ${grant.durationMinutes} min`);
    this.clearTimers();
    this.renewTimer = clock.setTimeout(() => {
      this.renewTimer = undefined;
      if (this.fsm.is('valid')) this.fetch(true).catch(() => undefined);
    }, Math.max(0, grant.renewAt - clock.now()));
    this.expiryTimer = clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.onExpired(grant);
    }, Math.max(0, grant.expiresAt - clock.now()));
    this.emit({
      type: 'mras.credentials',
      at: clock.now(),
      requestId: grant.requestId,
      relays: grant.relays,
      username: grant.username,
      ...(grant.realm !== undefined ? { realm: grant.realm } : {}),
      durationMinutes: grant.durationMinutes,
      expiresAt: grant.expiresAt,
      expiresAtWall: grant.expiresAtWall,
      renewAt: grant.renewAt,
      renewal,
    });
  }

  private onFailure(error: MediapathError, renewal: boolean): void {
    const { clock } = this.opts;
    const at = clock.now();
    if (this.fsm.is('renewing') && this.cache.latest()) {
      this.failures++;
      const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (this.failures - 1));
      this.fsm.transition('backoff', `${error.code}: retry in ${delay} ms`);
      this.retryTimer = clock.setTimeout(() => {
        this.retryTimer = undefined;
        if (this.fsm.is('backoff')) this.fetch(true).catch(() => undefined);
      }, delay);
      this.emit({ type: 'mras.failed', at, error: error.toInfo(), renewal, retryAt: at + delay });
      return;
    }
    if (this.fsm.is('requesting')) this.fsm.transition('idle', `${error.code}`);
    this.emit({ type: 'mras.failed', at, error: error.toInfo(), renewal });
  }

  private onExpired(grant: MrasCredentialGrant): void {
    if (this.fsm.is('closed') || this.cache.latest()) return; // a newer grant took over
    this.opts.clock.clearTimeout(this.renewTimer);
    this.opts.clock.clearTimeout(this.retryTimer);
    this.renewTimer = undefined;
    this.retryTimer = undefined;
    this.cache.evictExpired();
    if (!this.fsm.is('expired')) this.fsm.transition('expired', 'duration ran out before a renewal succeeded');
    this.emit({ type: 'mras.expired', at: this.opts.clock.now(), username: grant.username });
  }

  private clearTimers(): void {
    const { clock } = this.opts;
    clock.clearTimeout(this.renewTimer);
    clock.clearTimeout(this.expiryTimer);
    clock.clearTimeout(this.retryTimer);
    this.renewTimer = undefined;
    this.expiryTimer = undefined;
    this.retryTimer = undefined;
  }

  private emit(e: MrasClientEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (x) {
      this.log.warn({ err: toErrorInfo(x).message }, 'MRAS event listener threw');
    }
  }

  private closedError(): MediapathError {
    return new MediapathError('CLOSED', 'MRAS client is closed', { layer: 'mras' });
  }
}
