import { WILDCARD_IP } from './ip';

/**
 * Ports of one protocol on one host. A binding on 0.0.0.0 takes the port on every address, so
 * it conflicts with any other binding of that port (no SO_REUSEADDR), like a bind() returning
 * EADDRINUSE.
 */
export class PortTable<T> {
  private readonly byPort = new Map<number, { ip: string; owner: T }[]>();
  private cursor: number;

  constructor(private readonly ephemeral: readonly [number, number] = [49152, 65535]) {
    this.cursor = ephemeral[0];
  }

  /**
   * Takes `port` (or an ephemeral one for 0/undefined) on `ip` for the owner `create` makes once
   * the port is known; undefined when the port is taken or none is left.
   */
  bind(ip: string, port: number | undefined, create: (port: number) => T): T | undefined {
    const p = port ? port : this.pickEphemeral();
    if (p === undefined) return undefined;
    const list = this.byPort.get(p);
    if (list?.some((e) => e.ip === ip || e.ip === WILDCARD_IP || ip === WILDCARD_IP)) return undefined;
    const owner = create(p);
    if (list) list.push({ ip, owner });
    else this.byPort.set(p, [{ ip, owner }]);
    return owner;
  }

  release(port: number, owner: T): void {
    const list = this.byPort.get(port);
    if (!list) return;
    const i = list.findIndex((e) => e.owner === owner);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(port);
  }

  /** The owner of `ip:port`: an exact binding first, else a wildcard one. */
  lookup(ip: string, port: number): T | undefined {
    const list = this.byPort.get(port);
    if (!list) return undefined;
    let wild: T | undefined;
    for (const e of list) {
      if (e.ip === ip) return e.owner;
      if (e.ip === WILDCARD_IP) wild = e.owner;
    }
    return wild;
  }

  owners(): T[] {
    return [...this.byPort.values()].flatMap((l) => l.map((e) => e.owner));
  }

  private pickEphemeral(): number | undefined {
    const [lo, hi] = this.ephemeral;
    const n = hi - lo + 1;
    for (let i = 0; i < n; i++) {
      const p = lo + ((this.cursor - lo + i) % n);
      if (!this.byPort.has(p)) {
        this.cursor = p + 1 > hi ? lo : p + 1;
        return p;
      }
    }
    return undefined;
  }
}
