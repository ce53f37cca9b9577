import type { IceStrategy } from '../ice/agent';
import type { CodecName } from '../media/codecs';
import type { DelaySource } from '../media/stream';
import { Endpoint, type EndpointOptions } from './endpoint';
import type { OfferDialect } from './sdp-bridge';

/**
 * One account's Endpoint on a real registrar, as every face that places or answers calls for a
 * user builds it (`mediapath run|call|answer`, the desktop app and `mediapath serve`): the
 * registrar as outbound proxy, IPv4 host candidates, loopback candidates only when the registrar
 * itself is on this machine (a lab), RTCP every second, one-way delay from RTT unless both ends
 * share this process's clock.
 */

/** The Endpoint's own options where they mean the same, plus the few an account run decides. */
export interface AccountEndpointOptions extends Pick<EndpointOptions, 'net' | 'clock' | 'random' | 'sink' | 'account' | 'registrar' | 'transport' | 'tls' | 'sipLocal' | 'registerExpires'> {
  readonly dialect: OfferDialect;
  readonly strategy: IceStrategy;
  readonly media: { readonly codec: CodecName; readonly ptimeMs?: number; readonly delaySource?: DelaySource };
  /** Default: whether the registrar's address is a loopback one. */
  readonly allowLoopback?: boolean;
  /** Interface names or CIDRs to gather on (empty or absent: all). */
  readonly interfaces?: readonly string[];
}

/** 127.0.0.0/8 and ::1: a lab on this machine, where host candidates must include loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return !!address && (/^127\./.test(address) || address === '::1');
}

export function accountEndpoint(o: AccountEndpointOptions): Endpoint {
  const include = o.interfaces?.length ? { include: [...o.interfaces] } : {};
  return new Endpoint({
    net: o.net,
    clock: o.clock,
    random: o.random,
    sink: o.sink,
    account: o.account,
    registrar: o.registrar,
    transport: o.transport,
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.sipLocal ? { sipLocal: o.sipLocal } : {}),
    ...(o.registerExpires !== undefined ? { registerExpires: o.registerExpires } : {}),
    dialect: o.dialect,
    ice: { strategy: o.strategy, interfaces: { allowLoopback: o.allowLoopback ?? isLoopbackAddress(o.registrar.address), families: [4], ...include } },
    media: { codec: o.media.codec, ...(o.media.ptimeMs !== undefined ? { ptimeMs: o.media.ptimeMs } : {}), rtcpIntervalMs: 1000, delaySource: o.media.delaySource ?? 'rtt' },
  });
}
