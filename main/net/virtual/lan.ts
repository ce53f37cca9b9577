import { MediapathError } from '../../common/errors';
import { cidrContains, formatIpv4, parseIpv4, type Cidr } from './ip';
import type { Link } from './link';
import type { Packet } from './packet';

/** Something with interfaces on LANs: a host or a router. */
export interface NetworkNode {
  readonly name: string;
  /** A packet reached this node through `via` (after the link's ingress side). */
  receive(p: Packet, via: Iface): void;
}

/** One address of a node on one LAN, and the link that attaches it. */
export interface Iface {
  /** `eth0`, `wan`, `lan`… */
  readonly name: string;
  readonly owner: NetworkNode;
  readonly lan: Lan;
  readonly ip: string;
  readonly link: Link;
}

/**
 * A broadcast domain: an ideal switch between the interfaces on it. Packets for an address on
 * the LAN go straight to it; for a subnet routed by a plain router, to that router; anything
 * else to the LAN's gateway (the router it sits behind). The internet is the root LAN.
 */
export class Lan {
  private readonly byIp = new Map<string, Iface>();
  private readonly routes: { readonly cidr: Cidr; readonly via: Iface }[] = [];
  private nextHost: number;
  /** The inside interface of the router this LAN sits behind (none for the internet). */
  gateway: Iface | undefined;
  /** The LAN in front of the gateway. */
  parent: Lan | undefined;

  constructor(
    readonly name: string,
    readonly cidr: Cidr,
    /** Where automatic addresses come from (the CIDR itself unless told). */
    private readonly pool: Cidr = cidr,
  ) {
    this.nextHost = pool.base + 1;
  }

  /** Where a packet for `ip` goes next from this LAN, or undefined for no route. */
  target(ip: string, from: Iface): Iface | undefined {
    const direct = this.byIp.get(ip);
    if (direct) return direct === from ? undefined : direct;
    if (this.routes.length > 0) {
      const n = parseIpv4(ip);
      if (n !== undefined) for (const r of this.routes) if (r.via !== from && cidrContains(r.cidr, n)) return r.via;
    }
    return this.gateway && this.gateway !== from ? this.gateway : undefined;
  }

  has(ip: string): boolean {
    return this.byIp.has(ip);
  }

  /** @internal */
  attach(iface: Iface): void {
    const n = parseIpv4(iface.ip);
    if (n === undefined || !cidrContains(this.cidr, n)) {
      throw new MediapathError('INVALID_ARGUMENT', `${iface.ip} is not an address of LAN ${this.name} (${this.cidr.text})`, { layer: 'net' });
    }
    if (this.byIp.has(iface.ip)) {
      throw new MediapathError('INVALID_ARGUMENT', `${iface.ip} is already taken on LAN ${this.name}`, { layer: 'net' });
    }
    this.byIp.set(iface.ip, iface);
  }

  /** @internal a plain (non-NAT) router makes `cidr` reachable through `via`. */
  addRoute(cidr: Cidr, via: Iface): void {
    this.routes.push({ cidr, via });
  }

  /** Next free address of the pool (skipping the network and broadcast addresses). */
  allocateIp(): string {
    const last = this.pool.base + (this.pool.prefix >= 31 ? 2 ** (32 - this.pool.prefix) - 1 : 2 ** (32 - this.pool.prefix) - 2);
    for (let n = this.nextHost; n <= last; n++) {
      const ip = formatIpv4(n);
      if (!this.byIp.has(ip)) {
        this.nextHost = n + 1;
        return ip;
      }
    }
    throw new MediapathError('INVALID_ARGUMENT', `LAN ${this.name} has no free address left in ${this.pool.text}`, { layer: 'net' });
  }

  /** Addresses in use on this LAN. */
  addresses(): string[] {
    return [...this.byIp.keys()];
  }
}
