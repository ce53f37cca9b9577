import type { SeededRandom } from '../../common/random';
import { ImpairmentRule, type ImpairmentSpec } from './impairment';
import type { PacketView } from './packet';

/** `egress`: from the node onto its LAN (a host's upload); `ingress`: from the LAN to the node. */
export type LinkDirection = 'egress' | 'ingress';
export type LinkDirections = LinkDirection | 'both';

export interface LinkSideStats {
  /** Packets that entered this direction. */
  packets: number;
  dropped: number;
  duplicated: number;
}

/** One direction of a link: its impairment rules (first match wins) and whether it is cut. */
export class LinkSide {
  private rules: ImpairmentRule[] = [];
  down = false;
  readonly stats: LinkSideStats = { packets: 0, dropped: 0, duplicated: 0 };

  constructor(
    readonly direction: LinkDirection,
    private readonly rng: SeededRandom,
  ) {}

  get impaired(): boolean {
    return this.rules.length > 0;
  }

  /** Replaces the rules; each gets fresh random streams forked from this side's stream. */
  install(specs: readonly ImpairmentSpec[]): void {
    // Build all first so an invalid spec leaves the old rules in place.
    this.rules = specs.map(
      (s) => new ImpairmentRule(s, { loss: this.rng.fork(), delay: this.rng.fork(), reorder: this.rng.fork(), duplicate: this.rng.fork() }),
    );
  }

  ruleFor(p: PacketView, now: number): ImpairmentRule | undefined {
    const egress = this.direction === 'egress';
    for (const r of this.rules) if (r.matches(p, egress, now)) return r;
    return undefined;
  }

  specs(): ImpairmentSpec[] {
    return this.rules.map((r) => r.spec);
  }
}

/**
 * The attachment of one interface (a host's, or a router's) to a LAN. Impairment and cuts are
 * set per direction; the LAN itself is an ideal switch.
 */
export class Link {
  readonly egress: LinkSide;
  readonly ingress: LinkSide;

  constructor(
    readonly name: string,
    rng: SeededRandom,
  ) {
    this.egress = new LinkSide('egress', rng.fork());
    this.ingress = new LinkSide('ingress', rng.fork());
  }

  /** Replaces the impairment of the chosen direction(s); an array is a rule list, first match wins. */
  impair(spec: ImpairmentSpec | readonly ImpairmentSpec[], direction: LinkDirections = 'both'): void {
    const specs = Array.isArray(spec) ? (spec as readonly ImpairmentSpec[]) : [spec as ImpairmentSpec];
    for (const side of this.sides(direction)) side.install(specs);
  }

  /** Removes all impairment of the chosen direction(s). */
  clear(direction: LinkDirections = 'both'): void {
    for (const side of this.sides(direction)) side.install([]);
  }

  /** Drops everything crossing the chosen direction(s) until `restore` (reason `link-down`). */
  cut(direction: LinkDirections = 'both'): void {
    for (const side of this.sides(direction)) side.down = true;
  }

  restore(direction: LinkDirections = 'both'): void {
    for (const side of this.sides(direction)) side.down = false;
  }

  private sides(direction: LinkDirections): LinkSide[] {
    return direction === 'both' ? [this.egress, this.ingress] : [direction === 'egress' ? this.egress : this.ingress];
  }
}
