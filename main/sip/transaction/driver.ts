import type { TransportAddress } from '../../common/address';
import type { Clock, TimerHandle } from '../../common/clock';
import type { MediapathError } from '../../common/errors';
import type { SipMessage, SipRequest, SipResponse } from '../message';
import type { TxAction } from './actions';
import type { TransactionLayer } from './layer';

/** What the driver hands outward: wire sends, and everything meant for the TU. */
export interface TransactionDriverHooks {
  send(message: SipRequest | SipResponse, to: TransportAddress, txId: string): void;
  /** `response`, `request`, `failed` and `state` actions. */
  deliver(action: Exclude<TxAction, { kind: 'send' | 'timer' | 'clear-timers' }>): void;
}

/**
 * Runs a `TransactionLayer` on an injected Clock: `timer` actions become clock timers that feed
 * `onTimer` back, `clear-timers` cancels them, the rest goes to the hooks. With a FakeClock,
 * tests drive RFC 3261 timers without waiting; `close()` leaves no timer behind.
 */
export class TransactionDriver {
  private readonly handles = new Map<string, Map<string, TimerHandle>>();

  constructor(
    readonly layer: TransactionLayer,
    private readonly clock: Clock,
    private readonly hooks: TransactionDriverHooks,
  ) {}

  sendRequest(request: SipRequest, to: TransportAddress, reliable: boolean): string {
    const { txId, actions } = this.layer.sendRequest(request, to, reliable, this.clock.now());
    this.apply(actions);
    return txId;
  }

  onMessage(msg: SipMessage, from: TransportAddress, reliable: boolean): void {
    this.apply(this.layer.onMessage(msg, from, reliable, this.clock.now()));
  }

  respond(txId: string, response: SipResponse): void {
    this.apply(this.layer.respond(txId, response, this.clock.now()));
  }

  onTransportError(txId: string, error: MediapathError): void {
    this.apply(this.layer.onTransportError(txId, error, this.clock.now()));
  }

  /** Pending transaction timers. */
  get pendingTimers(): number {
    let n = 0;
    for (const m of this.handles.values()) n += m.size;
    return n;
  }

  close(): void {
    for (const m of this.handles.values()) for (const h of m.values()) this.clock.clearTimeout(h);
    this.handles.clear();
  }

  private apply(actions: readonly TxAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          this.hooks.send(a.message, a.to, a.txId);
          break;
        case 'timer': {
          let m = this.handles.get(a.txId);
          if (!m) this.handles.set(a.txId, (m = new Map()));
          this.clock.clearTimeout(m.get(a.name));
          const { txId, name } = a;
          m.set(
            name,
            this.clock.setTimeout(() => {
              this.handles.get(txId)?.delete(name);
              this.apply(this.layer.onTimer(txId, name, this.clock.now()));
            }, Math.max(0, Math.ceil(a.at - this.clock.now()))),
          );
          break;
        }
        case 'clear-timers':
          for (const h of this.handles.get(a.txId)?.values() ?? []) this.clock.clearTimeout(h);
          this.handles.delete(a.txId);
          break;
        default:
          this.hooks.deliver(a);
      }
    }
  }
}
