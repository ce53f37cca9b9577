import type { TransportAddress } from '../../common/address';
import type { Clock } from '../../common/clock';
import type { Logger } from '../../common/logger';
import type { RandomSource } from '../../common/random';
import type { Net, StreamServer } from '../../net/types';
import type { MediaRelay, MrasLocation } from '../../mras/types';
import type { SipTimerConfig } from '../../sip/transaction/timers';

export type SipTransportKind = 'udp' | 'tcp' | 'tls';

/**
 * Where a message came from or must go: the transport, the peer's address and, on TCP, the
 * connection. Requests to a registered user go back over the flow its REGISTER came on, so a
 * client behind a NAT, or one that only keeps a TCP connection open, is still reachable
 * (the idea of RFC 5626 flows, without its Outbound signalling).
 */
export interface Flow {
  readonly transport: SipTransportKind;
  readonly remote: TransportAddress;
  readonly connId?: number;
}

/** One registered contact of an address-of-record (RFC 3261 §10.3). */
export interface Binding {
  /** `sip:alice@lab.test`. */
  readonly aor: string;
  /** The contact URI as registered. */
  readonly contact: string;
  /** Header parameters of the Contact as sent, `expires` left out (q, +sip.instance…). */
  readonly params: Readonly<Record<string, string | null>>;
  readonly callId: string;
  readonly cseq: number;
  readonly flow: Flow;
  readonly registeredAt: number;
  /** Monotonic ms. */
  readonly expiresAt: number;
}

export interface LabMrasConfig {
  readonly enabled: boolean;
  /** What the MRAS answer lists; each has hostName or directIPAddress. */
  readonly relays: readonly MediaRelay[];
  /** coturn's `--static-auth-secret`: credentials are minted REST-style from it. */
  readonly turnSecret: string;
  /** Longest grant, in minutes; a client asking for less gets less. Default 480. */
  readonly durationMinutes?: number;
  /** Sent in `<credentials><realm>` when set. */
  readonly realm?: string;
}

export interface LabProvisioningConfig {
  /** Default when MRAS is enabled: `sip:mras@<domain>;gruu;opaque=srvr:MRAS:lab`. */
  readonly mrasUri?: string;
  /** Default `sip:qos@<domain>;gruu;opaque=srvr:QoS:lab`. */
  readonly qosUri?: string;
  readonly minAudioPort?: number;
  readonly maxAudioPort?: number;
}

/** Failure knobs, changeable while running (`setKnobs`). */
export interface RegistrarKnobs {
  /** Drop SERVICE requests to the MRAS URI without any answer (an unreachable Edge). */
  readonly mrasSilent: boolean;
  /** Answer every MRAS request with this reasonPhrase and no credentials. */
  readonly mrasError: string | undefined;
  /** Leave mrasUri out of the provisioning answer (no Edge deployed). */
  readonly noProvisioningMrasUri: boolean;
}

export const DEFAULT_REGISTRAR_KNOBS: RegistrarKnobs = { mrasSilent: false, mrasError: undefined, noProvisioningMrasUri: false };

export interface RegistrationLimits {
  /** Shortest accepted registration in seconds (423 below it). Default 10. */
  readonly minExpires: number;
  /** Longest granted registration (longer asks are cut to it). Default 7200. */
  readonly maxExpires: number;
  /** When neither the Contact nor the request says. Default 3600 (RFC 3261 §10.2.1.1). */
  readonly defaultExpires: number;
  /** Bindings per address-of-record. Default 10. */
  readonly maxBindingsPerAor: number;
}

export interface LabRegistrarOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly random: RandomSource;
  /**
   * Ports left out (or 0) are ephemeral; UDP and TCP are served when their port key is present or
   * `transports` names them. TLS is served when `tls` is given: a listener made outside `Net`
   * (which listens in clear only), e.g. `TlsListener` from `main/lab/tls-listener`; the registrar
   * owns it from then on and closes it on stop.
   */
  readonly listen: {
    readonly ip: string;
    readonly udpPort?: number;
    readonly tcpPort?: number;
    readonly transports?: readonly ('udp' | 'tcp')[];
    readonly tls?: StreamServer;
  };
  /** Host written in our Via, Record-Route and Contact; default `listen.ip` (which must then be concrete). */
  readonly advertise?: string;
  /** The SIP domain users register in, e.g. `lab.test`. */
  readonly domain: string;
  /** Digest realm; default the domain. */
  readonly realm?: string;
  /** user → password. */
  readonly users: Readonly<Record<string, string>>;
  readonly digest: 'MD5' | 'SHA-256';
  /** Which requests must carry digest credentials. REGISTER always does. */
  readonly authenticate?: { readonly invite?: boolean; readonly subscribe?: boolean; readonly service?: boolean };
  readonly mras?: LabMrasConfig;
  readonly provisioning?: LabProvisioningConfig;
  readonly knobs?: Partial<RegistrarKnobs>;
  readonly registration?: Partial<RegistrationLimits>;
  /** RFC 3261 timers of the transaction layer (a lab on loopback may shorten them). */
  readonly timers?: SipTimerConfig;
  readonly onEvent?: (e: RegistrarEvent) => void;
  readonly logger?: Logger;
}

/** What the lab registrar reports; every SIP message in and out, with secrets redacted. */
export type RegistrarEvent =
  | { readonly type: 'sip.received' | 'sip.sent'; readonly at: number; readonly transport: SipTransportKind; readonly peer: string; readonly text: string }
  | { readonly type: 'sip.parse-error'; readonly at: number; readonly transport: SipTransportKind; readonly peer: string; readonly reason: string; readonly offset: number; readonly answered: boolean }
  | {
      readonly type: 'registration';
      readonly at: number;
      readonly aor: string;
      readonly contact: string;
      readonly state: 'registered' | 'refreshed' | 'unregistered' | 'expired';
      /** Seconds granted (0 when removed). */
      readonly expires: number;
      readonly transport: SipTransportKind;
      readonly peer: string;
    }
  | { readonly type: 'auth.challenge'; readonly at: number; readonly method: string; readonly status: 401 | 407; readonly stale: boolean; readonly reason: string; readonly user?: string }
  | { readonly type: 'provisioning'; readonly at: number; readonly aor: string; readonly mrasUri?: string; readonly qosUri?: string }
  | {
      readonly type: 'mras.issued';
      readonly at: number;
      readonly identity: string;
      readonly location: MrasLocation;
      readonly username: string;
      /** Unix seconds, as in the REST username. */
      readonly expiresAtUnix: number;
      readonly durationMinutes: number;
      readonly relays: readonly MediaRelay[];
    }
  | { readonly type: 'mras.refused'; readonly at: number; readonly status: number; readonly reasonPhrase?: string; readonly reason: string }
  | { readonly type: 'mras.dropped'; readonly at: number; readonly peer: string; readonly reason: string }
  | { readonly type: 'qoe.received'; readonly at: number; readonly from: string; readonly bytes: number }
  | { readonly type: 'proxy.forwarded'; readonly at: number; readonly method: string; readonly callId: string; readonly target: string; readonly transport: SipTransportKind }
  | { readonly type: 'proxy.rejected'; readonly at: number; readonly method: string; readonly callId: string; readonly status: number; readonly reason: string }
  /** A message that broke our own code (a bug): it was dropped, the registrar keeps running. */
  | { readonly type: 'registrar.error'; readonly at: number; readonly peer: string; readonly reason: string }
  /** Too many live transactions: a new request was refused with 503 before any state was kept. */
  | { readonly type: 'overload'; readonly at: number; readonly peer: string; readonly method: string };
