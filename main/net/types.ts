import type { TransportAddress, IpFamily } from '../common/address';
import type { Disposable } from '../common/events';
import type { MediapathError } from '../common/errors';

/**
 * A datagram socket as every layer above sees it. A host UDP socket, a TURN allocation and a
 * virtual-network socket all implement it, so ICE never asks what a candidate's base is.
 * `send` never throws: failures surface through `onError` (a network path failing is data).
 */
export interface DatagramSocket {
  /** The bound address; for a TURN allocation, the relayed address. */
  readonly local: TransportAddress;
  send(bytes: Uint8Array, to: TransportAddress): void;
  onMessage(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable;
  onError(cb: (error: MediapathError) => void): Disposable;
  close(): Promise<void>;
  readonly closed: boolean;
}

/** A connected byte stream (TCP or TLS). Framing is the caller's business (see framing.ts). */
export interface StreamSocket {
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  readonly secure: boolean;
  write(bytes: Uint8Array): void;
  onData(cb: (bytes: Uint8Array) => void): Disposable;
  /** Called once, when the stream ends for any reason; `error` is set when it did not end cleanly. */
  onClose(cb: (error?: MediapathError) => void): Disposable;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface StreamServer {
  readonly local: TransportAddress;
  onConnection(cb: (socket: StreamSocket) => void): Disposable;
  close(): Promise<void>;
}

export interface TlsOptions {
  /** PEM CA bundle to trust in addition to (or, with `caOnly`, instead of) the system store. */
  readonly ca?: string | Uint8Array;
  /** Server name for SNI and certificate checks; defaults to the host connected to. */
  readonly servername?: string;
  /** Accept a certificate that does not chain to a trusted CA. Only when the user asks. */
  readonly allowSelfSigned?: boolean;
  /** SHA-256 of the server certificate (hex, colons optional); when set the peer must match it. */
  readonly pinSha256?: string;
}

export interface ConnectOptions {
  /** Bind the local end first (ICE-TCP active candidates need a known local port). */
  readonly local?: TransportAddress;
  readonly tls?: TlsOptions;
  /** Give up connecting after this long. */
  readonly timeoutMs?: number;
}

export interface NetworkInterface {
  readonly name: string;
  readonly address: string;
  readonly family: IpFamily;
  readonly internal: boolean;
  /** `10.0.0.2/24` form. */
  readonly cidr: string;
}

/**
 * Everything the engine needs from a network. `node` implements it with real sockets; `virtual`
 * (the lab) with simulated hosts, NATs and links. Sockets come only from here.
 */
export interface Net {
  /** Port 0 (or omitted) asks for an ephemeral port. */
  bindUdp(addr: { ip: string; port?: number }): Promise<DatagramSocket>;
  connectTcp(to: TransportAddress, opts?: ConnectOptions): Promise<StreamSocket>;
  listenTcp(addr: { ip: string; port?: number }): Promise<StreamServer>;
  interfaces(): NetworkInterface[];
  /** Name → addresses (IP literals resolve to themselves). */
  resolve(host: string): Promise<string[]>;
}
