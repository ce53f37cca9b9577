import type { Clock, TimerHandle } from '../../common/clock';
import { StateMachine } from '../../common/fsm';

export interface KeepAliveOptions {
  /** Time between pings; 0 turns keep-alive off. */
  readonly intervalMs: number;
  /** RFC 5626 §4.4.1: a pong is due within 10 s. */
  readonly pongTimeoutMs?: number;
}

type KeepAliveState = 'idle' | 'awaiting-pong' | 'stopped';

const TABLE: Record<KeepAliveState, readonly KeepAliveState[]> = {
  idle: ['awaiting-pong', 'stopped'],
  'awaiting-pong': ['idle', 'stopped'],
  stopped: [],
};

/**
 * RFC 5626 §4.4.1 CRLF keep-alive on one stream connection: a double CRLF (ping) every
 * `intervalMs`, a single CRLF (pong) expected back within `pongTimeoutMs`. A missing pong fails
 * the flow only when this peer has answered a ping before: many servers never answer (RFC 5626
 * support is negotiated), and closing on them would drop the connection incoming calls use.
 */
export class CrlfKeepAlive {
  private readonly fsm: StateMachine<KeepAliveState>;
  private timer: TimerHandle | undefined;
  private answered = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: KeepAliveOptions,
    private readonly ping: () => void,
    private readonly onFlowFailed: () => void,
  ) {
    this.fsm = new StateMachine<KeepAliveState>('sip keep-alive', 'idle', TABLE, () => clock.now(), undefined, 'sip');
    this.schedule(opts.intervalMs);
  }

  /** Pongs seen so far. */
  get pongs(): number {
    return this.answered;
  }

  onPong(): void {
    if (!this.fsm.is('awaiting-pong')) return;
    this.answered++;
    this.fsm.transition('idle', 'pong');
    this.schedule(this.opts.intervalMs);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.fsm.is('stopped')) this.fsm.transition('stopped', 'stop');
  }

  private schedule(ms: number): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.opts.intervalMs <= 0 || this.fsm.is('stopped')) return;
    this.timer = this.clock.setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.fsm.is('idle')) {
      this.fsm.transition('awaiting-pong', 'ping sent');
      this.ping();
      this.schedule(this.opts.pongTimeoutMs ?? 10_000);
      return;
    }
    if (this.fsm.is('awaiting-pong')) {
      this.fsm.transition('idle', 'no pong');
      if (this.answered > 0) {
        this.stop();
        this.onFlowFailed();
        return;
      }
      // The peer never answered a ping: it does not do RFC 5626; keep pinging to hold the NAT open.
      const rest = Math.max(0, this.opts.intervalMs - (this.opts.pongTimeoutMs ?? 10_000));
      this.schedule(rest);
    }
  }
}
