import type { Clock } from '../../common/clock';
import type { ErrorInfo, MediapathError } from '../../common/errors';
import type { RandomSource } from '../../common/random';
import type { Net, TlsOptions } from '../../net/types';
import type { SipTimerConfig } from '../transaction/timers';
import type { SipTransportEvent, SipTransportKind } from '../transport/types';

export interface SipUserAgentOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly transport: SipTransportKind;
  /**
   * The registrar, which is also the outbound proxy for every request. `address` is an IP
   * literal; `host` a name resolved through Net. Port defaults to 5060 (5061 for TLS).
   */
  readonly registrar: { readonly address?: string; readonly host?: string; readonly port?: number };
  /** Address of record, `sip:alice@lab.test`. */
  readonly aor: string;
  /** Digest user name; default the AOR's user part. */
  readonly username?: string;
  readonly password?: string;
  readonly displayName?: string;
  /** Outgoing TLS checks (CA, server name, pin, self-signed when asked). */
  readonly tls?: TlsOptions;
  readonly timers?: Partial<SipTimerConfig>;
  /** Every wire message, public-address change, registration and call state change. */
  readonly onEvent?: (event: UaEvent) => void;
  /**
   * Where to bind: UDP socket, or a TCP listener (absent: a stream UA only connects out and
   * takes incoming requests on that connection). Default: UDP on 127.0.0.1 when the registrar
   * is on loopback, the wildcard address otherwise, ephemeral port.
   */
  readonly local?: { readonly ip: string; readonly port?: number };
  /** User-Agent header (default `mediapath`). */
  readonly userAgent?: string;
  /**
   * NAT keep-alive period (default 30 000 ms; 0 = off): RFC 5626 CRLF ping/pong on TCP/TLS
   * connections, a CRLFCRLF datagram to the registrar on UDP.
   */
  readonly keepAliveMs?: number;
  readonly connectTimeoutMs?: number;
  /** Refresh a registration at this fraction of the granted Expires (default 0.8). */
  readonly refreshAt?: number;
  /** After a failed refresh, try again after this long (default 30 000 ms). */
  readonly registerRetryMs?: number;
}

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'refreshing' | 'unregistering' | 'failed';

export interface RegistrationEvent {
  readonly type: 'registration';
  readonly at: number;
  readonly aor: string;
  readonly from: RegistrationState;
  readonly to: RegistrationState;
  readonly reason: string;
  /** Granted seconds, once registered. */
  readonly expires?: number;
  readonly contact?: string;
  readonly error?: ErrorInfo;
}

export type ClientCallState = 'calling' | 'proceeding' | 'early' | 'cancelling' | 'confirmed' | 'terminating' | 'terminated';
export type ServerCallState = 'incoming' | 'early' | 'accepted' | 'confirmed' | 'terminating' | 'terminated';

export interface CallStateEvent {
  readonly type: 'call.state';
  readonly at: number;
  readonly callId: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly from: ClientCallState | ServerCallState;
  readonly to: ClientCallState | ServerCallState;
  readonly reason: string;
}

export type UaEvent = SipTransportEvent | RegistrationEvent | CallStateEvent;

/** Why a call ended. */
export interface CallEnd {
  readonly reason: 'rejected' | 'cancelled' | 'local-bye' | 'remote-bye' | 'failed' | 'closed';
  /** The final response status that ended it (rejected, cancelled). */
  readonly status?: number;
  readonly error?: MediapathError;
}

export interface RegistrationInfo {
  readonly aor: string;
  readonly contact: string;
  /** Seconds granted by the registrar. */
  readonly expires: number;
  /** Clock time (monotonic ms) at which the binding lapses. */
  readonly expiresAt: number;
}
