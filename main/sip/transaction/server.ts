import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { type SipRequest, type SipResponse, sipResponse } from '../message';
import type { TxAction } from './actions';
import { TransactionBase } from './base';
import type { SipTimerConfig, SipTimerName } from './timers';

export type ServerInviteState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** RFC 3261 §17.2.1 with RFC 6026 §7.1 (a 2xx moves to Accepted; Timer L). */
const INVITE_TABLE: Record<ServerInviteState, readonly ServerInviteState[]> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.2.2. */
const NON_INVITE_TABLE: Record<ServerNonInviteState, readonly ServerNonInviteState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export interface ServerTransaction {
  readonly id: string;
  readonly state: string;
  readonly terminated: boolean;
  readonly request: SipRequest;
  /** A retransmission of the request (or, for INVITE, an ACK) arrived. */
  onRequest(request: SipRequest, from: TransportAddress, now: number): TxAction[];
  /** The TU answers. */
  respond(response: SipResponse, now: number): TxAction[];
  onTimer(name: SipTimerName, now: number): TxAction[];
  onTransportError(error: MediapathError, now: number): TxAction[];
}

/** 100 Trying built from the request (RFC 3261 §8.2.6: copy Via, From, To, Call-ID, CSeq, Timestamp). */
export function tryingFor(request: SipRequest): SipResponse {
  const copy = (name: string): [string, string][] => request.headers.filter((h) => h.name === name).map((h): [string, string] => [h.name, h.value]);
  return sipResponse(100, 'Trying', [...copy('Via'), ...copy('From'), ...copy('To'), ...copy('Call-ID'), ...copy('CSeq'), ...copy('Timestamp')]);
}

export class InviteServerTransaction extends TransactionBase<ServerInviteState> implements ServerTransaction {
  private lastResponse: SipResponse | undefined;
  private intervalG: number;

  constructor(id: string, readonly request: SipRequest, peer: TransportAddress, reliable: boolean, timers: SipTimerConfig) {
    super(id, peer, reliable, timers, 'proceeding', INVITE_TABLE);
    this.intervalG = timers.t1;
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  /**
   * §17.2.1: a 100 Trying goes out unless the TU answers within 200 ms; we always send it at
   * once, which is allowed and keeps the caller's Timer A quiet.
   */
  start(now: number, sendTrying: boolean): TxAction[] {
    return this.run(now, () => {
      if (sendTrying) {
        this.lastResponse = tryingFor(this.request);
        this.send(this.lastResponse);
      }
    });
  }

  onRequest(request: SipRequest, from: TransportAddress, now: number): TxAction[] {
    return this.run(now, () => {
      const s = this.state;
      if (request.method === 'ACK') {
        if (s === 'completed') {
          this.disarm('G');
          this.disarm('H');
          this.fsm.transition('confirmed', 'ACK received');
          if (!this.arm('I', this.reliable ? 0 : this.timers.t4)) this.terminate('reliable transport: no Timer I');
        } else if (s === 'accepted') {
          // RFC 6026 §7.1: the ACK for our 2xx is the TU's business.
          this.emit({ kind: 'request', txId: this.id, request, from });
        }
        return;
      }
      // A retransmitted INVITE: repeat the latest response (§17.2.1), nothing to the TU.
      if ((s === 'proceeding' || s === 'completed') && this.lastResponse) this.send(this.lastResponse);
    });
  }

  respond(response: SipResponse, now: number): TxAction[] {
    return this.run(now, () => {
      const s = this.state;
      if (s === 'accepted' && response.status >= 200 && response.status < 300) {
        this.send(response); // RFC 6026 §7.1: the TU retransmits its 2xx through us
        return;
      }
      if (s !== 'proceeding') return;
      this.lastResponse = response;
      this.send(response);
      if (response.status < 200) return;
      if (response.status < 300) {
        this.fsm.transition('accepted', `${response.status} sent`);
        if (!this.arm('L', 64 * this.timers.t1)) this.terminate('Timer L is zero');
        return;
      }
      this.fsm.transition('completed', `${response.status} sent`);
      if (!this.reliable) this.arm('G', this.intervalG);
      this.arm('H', 64 * this.timers.t1);
    });
  }

  onTimer(name: SipTimerName, now: number): TxAction[] {
    return this.run(now, () => {
      if (!this.due(name, now)) return;
      const s = this.state;
      if (name === 'G' && s === 'completed' && this.lastResponse) {
        this.send(this.lastResponse);
        this.intervalG = Math.min(2 * this.intervalG, this.timers.t2);
        this.arm('G', this.intervalG);
      } else if (name === 'H' && s === 'completed') {
        this.disarm('G');
        this.emit({
          kind: 'failed',
          txId: this.id,
          error: new MediapathError('SIP_TIMEOUT', `no ACK for the ${this.lastResponse?.status ?? ''} to INVITE (Timer H)`, { layer: 'sip', peer: this.peer }),
        });
        this.terminate('Timer H: no ACK');
      } else if ((name === 'I' && s === 'confirmed') || (name === 'L' && s === 'accepted')) {
        this.terminate(`Timer ${name}`);
      }
    });
  }

  onTransportError(error: MediapathError, now: number): TxAction[] {
    return this.run(now, () => {
      if (this.terminated) return;
      this.emit({ kind: 'failed', txId: this.id, error });
      this.terminate(`transport error: ${error.message}`);
    });
  }
}

export class NonInviteServerTransaction extends TransactionBase<ServerNonInviteState> implements ServerTransaction {
  private lastResponse: SipResponse | undefined;

  constructor(id: string, readonly request: SipRequest, peer: TransportAddress, reliable: boolean, timers: SipTimerConfig) {
    super(id, peer, reliable, timers, 'trying', NON_INVITE_TABLE);
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  onRequest(_request: SipRequest, _from: TransportAddress, now: number): TxAction[] {
    // §17.2.2: in Trying a retransmission is dropped; later it gets the latest response again.
    return this.run(now, () => {
      if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) this.send(this.lastResponse);
    });
  }

  respond(response: SipResponse, now: number): TxAction[] {
    return this.run(now, () => {
      const s = this.state;
      if (s !== 'trying' && s !== 'proceeding') return;
      this.lastResponse = response;
      this.send(response);
      if (response.status < 200) {
        if (s === 'trying') this.fsm.transition('proceeding', `${response.status} sent`);
        return;
      }
      this.fsm.transition('completed', `${response.status} sent`);
      if (!this.arm('J', this.reliable ? 0 : 64 * this.timers.t1)) this.terminate('reliable transport: no Timer J');
    });
  }

  onTimer(name: SipTimerName, now: number): TxAction[] {
    return this.run(now, () => {
      if (this.due(name, now) && name === 'J' && this.state === 'completed') this.terminate('Timer J');
    });
  }

  onTransportError(error: MediapathError, now: number): TxAction[] {
    return this.run(now, () => {
      if (this.terminated) return;
      this.emit({ kind: 'failed', txId: this.id, error });
      this.terminate(`transport error: ${error.message}`);
    });
  }
}
