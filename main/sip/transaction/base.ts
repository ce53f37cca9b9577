import type { TransportAddress } from '../../common/address';
import { StateMachine } from '../../common/fsm';
import type { SipRequest, SipResponse } from '../message';
import type { TxAction } from './actions';
import type { SipTimerConfig, SipTimerName } from './timers';

/**
 * What every transaction shares: one state machine (the only place its state changes, each
 * change reported as a `state` action), its armed timers, and the action list of the input
 * being handled. Timers that fire late, twice, or after termination are ignored here, so a
 * driver may be sloppy about cancelling them.
 */
export abstract class TransactionBase<S extends string> {
  protected now = 0;
  private out: TxAction[] = [];
  private readonly armed = new Map<SipTimerName, number>();
  protected readonly fsm: StateMachine<S>;

  constructor(
    readonly id: string,
    readonly peer: TransportAddress,
    readonly reliable: boolean,
    protected readonly timers: SipTimerConfig,
    initial: S,
    table: Readonly<Record<S, readonly S[]>>,
  ) {
    this.fsm = new StateMachine<S>(`sip tx ${id}`, initial, table, () => this.now, (t) => this.out.push({ kind: 'state', txId: id, from: t.from, to: t.to, reason: t.reason }), 'sip');
  }

  get state(): S {
    return this.fsm.state;
  }

  abstract get terminated(): boolean;

  /** Runs one input at time `now` and returns what it produced. */
  protected run(now: number, body: () => void): TxAction[] {
    this.now = now;
    this.out = [];
    body();
    return this.out;
  }

  protected emit(a: TxAction): void {
    this.out.push(a);
  }

  protected send(message: SipRequest | SipResponse): void {
    this.emit({ kind: 'send', txId: this.id, message, to: this.peer });
  }

  /** Arms `name` after `delay` ms; a zero delay (reliable transport) is reported as false. */
  protected arm(name: SipTimerName, delay: number): boolean {
    if (delay <= 0) return false;
    const at = this.now + delay;
    this.armed.set(name, at);
    this.emit({ kind: 'timer', txId: this.id, name, at });
    return true;
  }

  protected disarm(name: SipTimerName): void {
    this.armed.delete(name);
  }

  /**
   * True when `name` is armed and due: it is consumed. Platform timers have millisecond
   * granularity, so a firing up to 1 ms early still counts.
   */
  protected due(name: SipTimerName, now: number): boolean {
    const at = this.armed.get(name);
    if (at === undefined || now < at - 1) return false;
    this.armed.delete(name);
    return true;
  }

  protected terminate(reason: string): void {
    this.fsm.transition('terminated' as S, reason);
    this.armed.clear();
    this.emit({ kind: 'clear-timers', txId: this.id });
  }
}
