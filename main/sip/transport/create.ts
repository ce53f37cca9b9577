import type { TransportAddress } from '../../common/address';
import type { Clock } from '../../common/clock';
import type { Net, StreamServer, TlsOptions } from '../../net/types';
import type { SipLimits } from '../limits';
import type { KeepAliveOptions } from './keepalive';
import { StreamSipTransport } from './stream';
import type { SipTransport, SipTransportKind } from './types';
import { UdpSipTransport } from './udp';

export interface SipTransportOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly kind: SipTransportKind;
  /** UDP: the socket to bind (default wildcard, ephemeral). TCP: listen here. TLS: use `server`. */
  readonly local?: { readonly ip: string; readonly port?: number };
  /** TLS (or TCP) listener made outside Net; the transport owns it. */
  readonly server?: StreamServer;
  readonly tls?: TlsOptions;
  readonly connectTimeoutMs?: number;
  readonly keepAlive?: KeepAliveOptions;
  readonly advertise?: TransportAddress;
  readonly limits?: SipLimits;
}

/** The transport for `kind`, bound or listening as asked. */
export async function openSipTransport(o: SipTransportOptions): Promise<SipTransport> {
  const common = { clock: o.clock, ...(o.limits ? { limits: o.limits } : {}), ...(o.advertise ? { advertise: o.advertise } : {}) };
  if (o.kind === 'udp') {
    return UdpSipTransport.open({ ...common, net: o.net, ...(o.local ? { local: o.local } : {}) });
  }
  return StreamSipTransport.open({
    ...common,
    net: o.net,
    kind: o.kind,
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.local && o.kind === 'tcp' ? { listen: o.local } : {}),
    ...(o.server ? { server: o.server } : {}),
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    ...(o.keepAlive ? { keepAlive: o.keepAlive } : {}),
  });
}
