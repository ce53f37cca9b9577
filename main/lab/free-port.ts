import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { familyOf } from '../common/address';
import { MediapathError } from '../common/errors';

/**
 * Free ports for servers the lab starts as separate processes. The port is found by binding
 * port 0 and then released, so another process can still take it before the server binds it:
 * callers must detect a bind failure and retry with a fresh pick.
 */

/** Binds UDP `ip:port` exclusively, reports the port, and releases it. Undefined if taken. */
export function tryBindUdp(ip: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: familyOf(ip) === 6 ? 'udp6' : 'udp4' });
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind({ address: ip, port, exclusive: true }, () => {
      const bound = s.address().port;
      s.close(() => resolve(bound));
    });
  });
}

/** Listens on TCP `ip:port`, reports the port, and releases it. Undefined if taken. */
export function tryBindTcp(ip: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: ip, port, exclusive: true }, () => {
      const a = srv.address();
      const bound = typeof a === 'object' && a ? a.port : undefined;
      srv.close(() => resolve(bound));
    });
  });
}

export interface FreePortNeeds {
  readonly udp: boolean;
  readonly tcp: boolean;
}

/**
 * A port on `ip` that is free right now for every protocol in `needs` (a TURN listener takes the
 * same number on UDP and TCP). Gives up after `attempts` ephemeral picks.
 */
export async function pickFreePort(ip: string, needs: FreePortNeeds = { udp: true, tcp: true }, attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const first = needs.udp ? await tryBindUdp(ip, 0) : await tryBindTcp(ip, 0);
    if (first === undefined) break; // the address itself cannot be bound: no point retrying
    if (needs.udp && needs.tcp && (await tryBindTcp(ip, first)) === undefined) continue;
    return first;
  }
  throw new MediapathError('NET_BIND_FAILED', `no free port on ${ip} after ${attempts} attempts`, { layer: 'lab' });
}
