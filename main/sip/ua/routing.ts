import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { Net } from '../../net/types';
import { parseNameAddr } from '../header-values';
import { getHeader, type SipRequest } from '../message';
import { parseSipUri } from '../uri';
import { defaultSipPort, type SipTransportKind } from '../transport/types';

/**
 * Where a SIP URI's requests go: its host (resolved through Net) and port, 5060 or 5061 when
 * absent. RFC 3263 NAPTR/SRV lookups are not done: the lab and tests name hosts or addresses.
 */
export async function resolveSipUri(net: Net, uri: string, kind: SipTransportKind): Promise<TransportAddress> {
  const u = parseSipUri(uri);
  if (!u.ok) throw new MediapathError('INVALID_ARGUMENT', `not a SIP URI: ${uri}`, { layer: 'sip' });
  const host = u.value.params['maddr'] ?? u.value.host;
  const ips = await net.resolve(host);
  const ip = ips[0];
  if (ip === undefined) throw new MediapathError('NET_RESOLVE_FAILED', `${host} has no address`, { layer: 'sip' });
  return { ip, port: u.value.port ?? defaultSipPort(kind) };
}

/**
 * The next hop of a request (RFC 3261 §8.1.2): the first Route when there is one, else the
 * outbound proxy when configured (a phone sends everything through its registrar), else the
 * Request-URI.
 */
export async function nextHop(net: Net, req: SipRequest, kind: SipTransportKind, outbound: TransportAddress | undefined): Promise<TransportAddress> {
  const route = getHeader(req, 'Route');
  if (route !== undefined) {
    const n = parseNameAddr(route);
    if (n.ok) return resolveSipUri(net, n.value.uri, kind);
  }
  if (outbound) return outbound;
  return resolveSipUri(net, req.uri, kind);
}
