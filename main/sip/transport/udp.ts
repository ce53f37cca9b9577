import type { TransportAddress } from '../../common/address';
import type { MediapathError } from '../../common/errors';
import type { Disposable } from '../../common/events';
import { createLogger } from '../../common/logger';
import { ok, type Result } from '../../common/result';
import type { DatagramSocket, Net } from '../../net/types';
import { BaseSipTransport, type BaseTransportOptions } from './base';
import { advertisedAddress } from './local-address';

export interface UdpSipTransportOptions extends BaseTransportOptions {
  readonly net: Net;
  /** Where to bind; default the wildcard address and an ephemeral port. */
  readonly local?: { readonly ip: string; readonly port?: number };
  /** Sent-by to write instead of the bound address (a known public address, a wildcard bind). */
  readonly advertise?: TransportAddress;
}

const CRLFCRLF = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]);

/** Only CR and LF: a keep-alive (RFC 5626 §3.5.1 uses STUN on UDP, many phones send CRLFs). */
function isKeepAlive(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  for (const b of bytes) if (b !== 0x0d && b !== 0x0a) return false;
  return true;
}

/**
 * SIP over UDP (RFC 3261 §18): one socket, one message per datagram, Content-Length optional on
 * receipt. Retransmission is the transaction layer's job, so sends are fire and forget.
 */
export class UdpSipTransport extends BaseSipTransport {
  readonly kind = 'udp' as const;
  readonly reliable = false;
  private readonly advertised: TransportAddress;
  private readonly subscriptions: Disposable[] = [];

  private constructor(
    opts: UdpSipTransportOptions,
    private readonly socket: DatagramSocket,
  ) {
    super(opts, createLogger('sip/transport/udp'));
    this.advertised = opts.advertise ?? advertisedAddress(opts.net, socket.local);
    this.subscriptions.push(
      socket.onMessage((bytes, from) => {
        if (isKeepAlive(bytes)) return;
        this.handleInbound(bytes, from, (answer) => socket.send(answer, from));
      }),
      socket.onError((e) => this.log.debug({ err: e.message }, 'UDP socket error')),
    );
  }

  static async open(opts: UdpSipTransportOptions): Promise<UdpSipTransport> {
    const socket = await opts.net.bindUdp(opts.local ?? { ip: '0.0.0.0' });
    return new UdpSipTransport(opts, socket);
  }

  get local(): TransportAddress {
    return this.socket.local;
  }

  sentBy(): TransportAddress {
    return this.advertised;
  }

  connect(): Promise<Result<TransportAddress, MediapathError>> {
    return Promise.resolve(ok(this.advertised));
  }

  protected write(bytes: Uint8Array, to: TransportAddress): Promise<Result<void, MediapathError>> {
    // A datagram socket reports failures through onError; RFC 3261 §18.1.1's switch to TCP for
    // large requests is not done: the lab's multipart INVITEs fit a loopback datagram.
    this.socket.send(bytes, to);
    return Promise.resolve(ok(undefined));
  }

  keepAlive(to: TransportAddress): void {
    if (!this.isClosed) this.socket.send(CRLFCRLF, to);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.finishClose();
    for (const s of this.subscriptions) s.dispose();
    await this.socket.close();
  }
}
