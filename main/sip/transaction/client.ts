import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { SipRequest, SipResponse } from '../message';
import type { TxAction } from './actions';
import { ackForNon2xx } from './ack';
import { TransactionBase } from './base';
import type { SipTimerConfig, SipTimerName } from './timers';

export type ClientInviteState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';
export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** RFC 3261 §17.1.1 with RFC 6026 §7.2 (2xx moves to Accepted, Timer M absorbs 2xx retransmits). */
const INVITE_TABLE: Record<ClientInviteState, readonly ClientInviteState[]> = {
  calling: ['proceeding', 'completed', 'accepted', 'terminated'],
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.1.2. */
const NON_INVITE_TABLE: Record<ClientNonInviteState, readonly ClientNonInviteState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

function timeout(request: SipRequest, timer: string, peer: TransportAddress): MediapathError {
  return new MediapathError('SIP_TIMEOUT', `${request.method} got no final response (Timer ${timer})`, {
    layer: 'sip',
    peer,
  });
}

export interface ClientTransaction {
  readonly id: string;
  readonly state: string;
  readonly terminated: boolean;
  start(now: number): TxAction[];
  onResponse(response: SipResponse, now: number): TxAction[];
  onTimer(name: SipTimerName, now: number): TxAction[];
  onTransportError(error: MediapathError, now: number): TxAction[];
}

export class InviteClientTransaction extends TransactionBase<ClientInviteState> implements ClientTransaction {
  private intervalA: number;
  private ack: SipRequest | undefined;

  constructor(id: string, readonly request: SipRequest, peer: TransportAddress, reliable: boolean, timers: SipTimerConfig) {
    super(id, peer, reliable, timers, 'calling', INVITE_TABLE);
    this.intervalA = timers.t1;
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  start(now: number): TxAction[] {
    return this.run(now, () => {
      this.send(this.request);
      if (!this.reliable) this.arm('A', this.intervalA);
      this.arm('B', 64 * this.timers.t1);
    });
  }

  onResponse(response: SipResponse, now: number): TxAction[] {
    return this.run(now, () => {
      const s = this.state;
      const provisional = response.status < 200;
      const success = response.status < 300 && !provisional;
      if (s === 'calling' || s === 'proceeding') {
        this.disarm('A');
        if (provisional) {
          if (s === 'calling') this.fsm.transition('proceeding', `${response.status} received`);
          this.emit({ kind: 'response', txId: this.id, response });
        } else if (success) {
          this.disarm('B');
          this.fsm.transition('accepted', `${response.status} received`);
          this.emit({ kind: 'response', txId: this.id, response });
          if (!this.arm('M', 64 * this.timers.t1)) this.terminate('Timer M is zero');
        } else {
          this.disarm('B');
          this.fsm.transition('completed', `${response.status} received`);
          this.ack = ackForNon2xx(this.request, response);
          this.send(this.ack);
          this.emit({ kind: 'response', txId: this.id, response });
          if (!this.arm('D', this.reliable ? 0 : this.timers.d)) this.terminate('reliable transport: no Timer D');
        }
      } else if (s === 'completed') {
        // A retransmitted final response: our ACK was lost, send it again; the TU saw it already.
        if (!provisional && !success && this.ack) this.send(this.ack);
      } else if (s === 'accepted') {
        // RFC 6026 §7.2: 2xx retransmissions go to the TU, which re-sends its own ACK.
        if (success) this.emit({ kind: 'response', txId: this.id, response });
      }
    });
  }

  onTimer(name: SipTimerName, now: number): TxAction[] {
    return this.run(now, () => {
      if (!this.due(name, now)) return;
      if (name === 'A' && this.state === 'calling') {
        this.send(this.request);
        this.intervalA *= 2; // §17.1.1.2: A doubles with no T2 cap for INVITE
        this.arm('A', this.intervalA);
      } else if (name === 'B' && this.state === 'calling') {
        this.emit({ kind: 'failed', txId: this.id, error: timeout(this.request, 'B', this.peer) });
        this.terminate('Timer B: no response');
      } else if ((name === 'D' && this.state === 'completed') || (name === 'M' && this.state === 'accepted')) {
        this.terminate(`Timer ${name}`);
      }
    });
  }

  onTransportError(error: MediapathError, now: number): TxAction[] {
    return this.run(now, () => {
      if (this.terminated) return;
      if (this.state === 'calling' || this.state === 'proceeding') this.emit({ kind: 'failed', txId: this.id, error });
      this.terminate(`transport error: ${error.message}`);
    });
  }
}

export class NonInviteClientTransaction extends TransactionBase<ClientNonInviteState> implements ClientTransaction {
  private intervalE: number;

  constructor(id: string, readonly request: SipRequest, peer: TransportAddress, reliable: boolean, timers: SipTimerConfig) {
    super(id, peer, reliable, timers, 'trying', NON_INVITE_TABLE);
    this.intervalE = timers.t1;
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  start(now: number): TxAction[] {
    return this.run(now, () => {
      this.send(this.request);
      if (!this.reliable) this.arm('E', this.intervalE);
      this.arm('F', 64 * this.timers.t1);
    });
  }

  onResponse(response: SipResponse, now: number): TxAction[] {
    return this.run(now, () => {
      const s = this.state;
      if (s !== 'trying' && s !== 'proceeding') return; // Completed absorbs retransmissions
      if (response.status < 200) {
        if (s === 'trying') this.fsm.transition('proceeding', `${response.status} received`);
        this.emit({ kind: 'response', txId: this.id, response });
        return;
      }
      this.disarm('E');
      this.disarm('F');
      this.fsm.transition('completed', `${response.status} received`);
      this.emit({ kind: 'response', txId: this.id, response });
      if (!this.arm('K', this.reliable ? 0 : this.timers.t4)) this.terminate('reliable transport: no Timer K');
    });
  }

  onTimer(name: SipTimerName, now: number): TxAction[] {
    return this.run(now, () => {
      if (!this.due(name, now)) return;
      const active = this.state === 'trying' || this.state === 'proceeding';
      if (name === 'E' && active) {
        this.send(this.request);
        // §17.1.2.2: doubling up to T2 while Trying; every T2 once Proceeding.
        this.intervalE = this.state === 'trying' ? Math.min(2 * this.intervalE, this.timers.t2) : this.timers.t2;
        this.arm('E', this.intervalE);
      } else if (name === 'F' && active) {
        this.disarm('E');
        this.emit({ kind: 'failed', txId: this.id, error: timeout(this.request, 'F', this.peer) });
        this.terminate('Timer F: no final response');
      } else if (name === 'K' && this.state === 'completed') {
        this.terminate('Timer K');
      }
    });
  }

  onTransportError(error: MediapathError, now: number): TxAction[] {
    return this.run(now, () => {
      if (this.terminated) return;
      if (this.state !== 'completed') this.emit({ kind: 'failed', txId: this.id, error });
      this.terminate(`transport error: ${error.message}`);
    });
  }
}
