import { MediapathError } from '../../common/errors';
import type { Fabric } from './fabric';
import { Firewall, type FirewallConfig, type FirewallDrop } from './firewall';
import type { Iface, NetworkNode } from './lan';
import type { Link } from './link';
import type { Nat } from './nat';
import type { Packet } from './packet';

// The topology is a tree, so a packet crosses each router at most twice (out and back by
// hairpin); this guard only catches a bug.
const MAX_ROUTER_HOPS = 32;

/**
 * A router between an inside LAN and the LAN in front of it (the internet, or an outer LAN for
 * nested NAT). Outbound: firewall `out`, then NAT. Inbound: NAT, then firewall `in`, so rules
 * always see inside addresses. Without NAT it routes the inside subnet as is.
 */
export class VirtualRouter implements NetworkNode {
  private fw: Firewall | undefined;
  /** @internal set by the network when it wires the router. */
  outside!: Iface;
  /** @internal */
  inside!: Iface;

  constructor(
    readonly name: string,
    private readonly fabric: Fabric,
    /** The NAT, when this router translates. */
    readonly nat: Nat | undefined,
    firewall: FirewallConfig | undefined,
    private readonly onFirewallDrop: (d: FirewallDrop) => void,
  ) {
    this.setFirewall(firewall);
  }

  /** The router's address on the outside LAN: the NAT's public address. */
  get publicIp(): string {
    return this.outside.ip;
  }

  get insideIp(): string {
    return this.inside.ip;
  }

  /** The uplink of the site (the router's outside interface). */
  get wanLink(): Link {
    return this.outside.link;
  }

  /** The router's attachment to its inside LAN. */
  get lanLink(): Link {
    return this.inside.link;
  }

  get firewall(): Firewall | undefined {
    return this.fw;
  }

  /** Installs, replaces (flushing flow state) or removes the firewall. */
  setFirewall(config: FirewallConfig | undefined): void {
    if (!config) {
      this.fw = undefined;
      return;
    }
    if (this.fw) this.fw.configure(config);
    else this.fw = new Firewall(config, () => this.fabric.now(), this.onFirewallDrop);
  }

  receive(p: Packet, via: Iface): void {
    if (++p.hops > MAX_ROUTER_HOPS) {
      this.fabric.drop(p, 'ttl', this.name);
      return;
    }
    if (via === this.inside) this.fromInside(p);
    else if (via === this.outside) this.fromOutside(p);
    else throw new MediapathError('INTERNAL', `router ${this.name}: packet from a foreign interface`, { layer: 'net' });
  }

  private fromInside(p: Packet): void {
    if (p.dst.ip === this.inside.ip) {
      this.fabric.drop(p, 'port-unreachable', this.name);
      return;
    }
    if (this.fw && !this.fw.check('out', p)) {
      this.fabric.drop(p, 'firewall', this.name);
      return;
    }
    if (this.nat) {
      const refused = this.nat.outbound(p);
      if (refused) {
        this.fabric.drop(p, refused, this.name);
        return;
      }
    }
    if (p.dst.ip !== this.outside.ip) {
      this.fabric.transmit(p, this.outside);
      return;
    }
    // To our own public address from inside: hairpinning (RFC 4787 §6), with the translated
    // source, so the peer sees the sender's public mapping (REQ-9).
    if (!this.nat) {
      this.fabric.drop(p, 'port-unreachable', this.name);
      return;
    }
    if (!this.nat.config.hairpinning) {
      this.nat.refuseHairpin(p);
      this.fabric.drop(p, 'no-hairpin', this.name);
      return;
    }
    this.nat.stats.hairpinned++;
    this.fromOutside(p);
  }

  private fromOutside(p: Packet): void {
    if (this.nat) {
      if (p.dst.ip !== this.outside.ip) {
        this.fabric.drop(p, 'no-route', this.name);
        return;
      }
      const refused = this.nat.inbound(p);
      if (refused) {
        this.fabric.drop(p, refused, this.name);
        return;
      }
    } else if (p.dst.ip === this.outside.ip) {
      this.fabric.drop(p, 'port-unreachable', this.name);
      return;
    }
    if (this.fw && !this.fw.check('in', p)) {
      this.fabric.drop(p, 'firewall', this.name);
      return;
    }
    this.fabric.transmit(p, this.inside);
  }
}
