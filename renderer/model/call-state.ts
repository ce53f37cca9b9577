import type { EngineEvent } from '../../main/api';

/**
 * Whether a call is up, from what the engine says: `call()` answers at once with a call id, the
 * call's Timeline then starts (`run.started`) and ends (`run.ended`). Hang up is offered from the
 * press of Call until that end. An auto-answered call shows up as a run with source `call`.
 */
export type CallPhase = 'idle' | 'placing' | 'in-call' | 'hanging-up';

export interface CallState {
  readonly phase: CallPhase;
  readonly callId: string | null;
  readonly runId: string | null;
}

export type CallAction =
  | { readonly type: 'place' }
  | { readonly type: 'placed'; readonly callId: string }
  | { readonly type: 'failed' }
  | { readonly type: 'hangup' }
  | { readonly type: 'hangup-done' }
  | { readonly type: 'hangup-failed'; readonly code: string }
  | { readonly type: 'event'; readonly event: EngineEvent };

export const IDLE: CallState = { phase: 'idle', callId: null, runId: null };

export function callReducer(s: CallState, a: CallAction): CallState {
  switch (a.type) {
    case 'place':
      return { phase: 'placing', callId: null, runId: null };
    case 'placed':
      // An engine that answers only when the call is over has already ended it: keep the id only.
      return { ...s, callId: a.callId };
    case 'failed':
      return s.phase === 'placing' ? IDLE : s;
    case 'hangup':
      return s.phase === 'idle' ? s : { ...s, phase: 'hanging-up' };
    case 'hangup-done':
      return s;
    case 'hangup-failed':
      // The call had ended by itself meanwhile: nothing left to hang up.
      return a.code === 'API_NO_SUCH_CALL' ? { ...s, phase: 'idle' } : s.phase === 'hanging-up' ? { ...s, phase: 'in-call' } : s;
    case 'event': {
      const e = a.event;
      if (e.type === 'run.started') {
        if (s.phase === 'placing') return { ...s, phase: 'in-call', runId: e.runId };
        if (s.phase === 'idle' && e.source === 'call') return { phase: 'in-call', callId: null, runId: e.runId };
        return s;
      }
      if (e.type === 'run.ended' && (s.phase === 'in-call' || s.phase === 'hanging-up') && (s.runId === null || s.runId === e.runId)) return { ...s, phase: 'idle' };
      return s;
    }
  }
}

export const callActive = (s: CallState): boolean => s.phase !== 'idle';
