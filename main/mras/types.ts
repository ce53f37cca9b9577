/**
 * MRAS ([MS-AVEDGEA] 2.2.2 request, 2.2.3 response) and in-band provisioning
 * ([MS-SIPREGE] provisionGroupList) as plain data. Passwords live in these objects: log them
 * only through common/redact (the `password` key is redacted by name).
 */
export const MRAS_NAMESPACE = 'http://schemas.microsoft.com/2006/09/sip/mrasp';
export const MRAS_CONTENT_TYPE = 'application/msrtc-media-relay-auth+xml';
/** 8 hours, what an Edge grants and what clients ask for (PROTOCOLS.md §1). */
export const MRAS_DEFAULT_DURATION_MINUTES = 480;

export type MrasLocation = 'internet' | 'intranet';

export interface MrasCredentialsRequest {
  readonly credentialsRequestId: string;
  /** The user's SIP URI. */
  readonly identity: string;
  readonly location: MrasLocation;
  readonly durationMinutes: number;
}

export interface MrasRequest {
  readonly requestId: string;
  readonly from: string;
  /** The mrasUri from provisioning (also the SERVICE Request-URI and To). */
  readonly to: string;
  readonly version: string;
  /** Optional; the server assumes `loadbalanced`. */
  readonly route?: string;
  readonly credentialsRequests: readonly MrasCredentialsRequest[];
}

export interface MediaRelay {
  readonly location?: string;
  /** One of hostName and directIPAddress is present. */
  readonly hostName?: string;
  readonly directIPAddress?: string;
  readonly udpPort?: number;
  readonly tcpPort?: number;
}

export interface MrasCredentials {
  readonly username: string;
  readonly password: string;
  /** Minutes; 480 when the server leaves it out. */
  readonly durationMinutes: number;
  readonly realm?: string;
}

export interface MrasCredentialsResponse {
  readonly credentialsRequestId: string;
  readonly credentials?: MrasCredentials;
  readonly mediaRelays: readonly MediaRelay[];
}

export interface MrasResponse {
  readonly requestId: string;
  readonly version?: string;
  readonly serverVersion?: string;
  readonly to?: string;
  readonly from?: string;
  /** `OK` on success; anything else is the server's refusal ("Request Malformed"…). */
  readonly reasonPhrase: string;
  readonly credentialsResponses: readonly MrasCredentialsResponse[];
}

/** What a client keeps from a successful answer. */
export interface MrasGrant {
  readonly credentials: MrasCredentials;
  readonly relays: readonly MediaRelay[];
}

export interface MrasError {
  readonly code: 'MRAS_PARSE' | 'MRAS_FAILED';
  readonly reason: string;
  /** XML line of a syntax error. */
  readonly line?: number;
  /** The server's reasonPhrase when it refused. */
  readonly reasonPhrase?: string;
}

/** The `ServerConfiguration` provisioning group: where MRAS and QoE live, the media ports. */
export interface ServerConfiguration {
  readonly mrasUri?: string;
  readonly qosUri?: string;
  readonly focusFactoryUri?: string;
  readonly ucMinAudioPort?: number;
  readonly ucMaxAudioPort?: number;
  readonly ucPortRangeEnabled?: boolean;
  /** Every property of the group, names lower-cased (they are matched case-insensitively). */
  readonly properties: Readonly<Record<string, string>>;
  /** Names of all provision groups the document carried. */
  readonly groups: readonly string[];
}
