import { MediapathError, type Layer } from './errors';

export interface Transition<S extends string> {
  readonly from: S;
  readonly to: S;
  readonly reason: string;
  readonly at: number;
}

/**
 * One chokepoint per state machine: the table says which moves are legal, `transition` is the
 * only way to change state, and every change is stamped and reported once. An illegal move is a
 * bug in our code, so it throws (it never comes from the network).
 */
export class StateMachine<S extends string> {
  private current: S;

  constructor(
    private readonly name: string,
    initial: S,
    private readonly table: Readonly<Record<S, readonly S[]>>,
    private readonly now: () => number,
    private readonly onTransition: (t: Transition<S>) => void = () => undefined,
    private readonly layer: Layer = 'common',
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  canMove(to: S): boolean {
    return this.table[this.current].includes(to);
  }

  transition(to: S, reason: string): Transition<S> {
    const from = this.current;
    if (!this.table[from].includes(to)) {
      throw new MediapathError('INTERNAL', `${this.name}: illegal transition ${from} → ${to} (${reason})`, {
        layer: this.layer,
      });
    }
    this.current = to;
    const t = { from, to, reason, at: this.now() };
    this.onTransition(t);
    return t;
  }
}
