import { familyOf, type TransportAddress } from '../../common/address';
import type { Net } from '../../net/types';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function isWildcard(ip: string): boolean {
  return WILDCARDS.has(ip);
}

/**
 * The address to write in Via and Contact for a socket bound to `bound`. A wildcard bind has no
 * address of its own: pick an interface of the same family, external first (a peer cannot reach
 * our loopback), so the sent-by is at least a real address of ours; `received`/`rport` correct it
 * later (RFC 3581).
 */
export function advertisedAddress(net: Net, bound: TransportAddress): TransportAddress {
  if (!isWildcard(bound.ip)) return bound;
  const family = bound.ip === '::' ? 6 : 4;
  const ifaces = net.interfaces().filter((i) => familyOf(i.address) === family);
  const pick = ifaces.find((i) => !i.internal) ?? ifaces[0];
  return { ip: pick?.address ?? (family === 6 ? '::1' : '127.0.0.1'), port: bound.port };
}
