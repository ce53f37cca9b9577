import { MediapathError } from '../../common/errors';
import { LOOPBACK_IP, parseIpv4 } from './ip';

/** The virtual network's name table: one flat zone, shared by every host. */
export class DnsTable {
  private readonly names = new Map<string, string[]>();

  /** Points `name` at `ips` (replacing what it had). */
  set(name: string, ips: string | readonly string[]): void {
    const list = typeof ips === 'string' ? [ips] : [...ips];
    for (const ip of list) {
      if (parseIpv4(ip) === undefined) throw new MediapathError('INVALID_ARGUMENT', `DNS ${name}: ${ip} is not an IPv4 address`, { layer: 'net' });
    }
    this.names.set(normalize(name), list);
  }

  /** Adds `ip` to what `name` resolves to. */
  add(name: string, ip: string): void {
    this.set(name, [...(this.names.get(normalize(name)) ?? []), ip]);
  }

  delete(name: string): void {
    this.names.delete(normalize(name));
  }

  /** IP literals resolve to themselves, `localhost` to 127.0.0.1, names through the table. */
  resolve(host: string): string[] {
    if (parseIpv4(host) !== undefined || host.includes(':')) return [host];
    const n = normalize(host);
    if (n === 'localhost') return [LOOPBACK_IP];
    const ips = this.names.get(n);
    if (!ips || ips.length === 0) throw new MediapathError('NET_RESOLVE_FAILED', `cannot resolve ${host}: no such name on the virtual network`, { layer: 'net' });
    return [...ips];
  }
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
