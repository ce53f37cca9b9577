import type { EngineEvent } from '../../main/api';

/**
 * Whether a call is up, from what the engine says: `call()` answers at once with the call's id
 * and the call runs until its run ends (`run.ended`) — hung up, or over by itself. The first
 * call after a registration continues the registration's run (no `run.started` of its own);
 * later calls open a run, and only that run's end ends the call. An answered call is announced
 * by `answer()` resolving with its id.
 */
export type CallPhase = 'idle' | 'placing' | 'in-call' | 'hanging-up';

export interface CallState {
  readonly phase: CallPhase;
  readonly callId: string | null;
  /** The call's own run, when it opened one. */
  readonly runId: string | null;
}

export type CallAction =
  | { readonly type: 'place' }
  | { readonly type: 'placed'; readonly callId: string }
  | { readonly type: 'failed' }
  | { readonly type: 'answered'; readonly callId: string }
  | { readonly type: 'hangup' }
  | { readonly type: 'hangup-done' }
  | { readonly type: 'hangup-failed'; readonly code: string }
  | { readonly type: 'event'; readonly event: EngineEvent };

export const IDLE: CallState = { phase: 'idle', callId: null, runId: null };

const up = (s: CallState): boolean => s.phase === 'placing' || s.phase === 'in-call' || s.phase === 'hanging-up';

export function callReducer(s: CallState, a: CallAction): CallState {
  switch (a.type) {
    case 'place':
      return { phase: 'placing', callId: null, runId: null };
    case 'placed':
      // An engine that answered only once the call was over has ended it already: keep the id.
      return s.phase === 'placing' ? { ...s, phase: 'in-call', callId: a.callId } : { ...s, callId: a.callId };
    case 'failed':
      return s.phase === 'placing' ? IDLE : s;
    case 'answered':
      return { phase: 'in-call', callId: a.callId, runId: s.phase === 'idle' ? null : s.runId };
    case 'hangup':
      return s.phase === 'in-call' ? { ...s, phase: 'hanging-up' } : s;
    case 'hangup-done':
      return s;
    case 'hangup-failed':
      // The call had ended by itself meanwhile: nothing left to hang up.
      return a.code === 'API_NO_SUCH_CALL' ? { ...s, phase: 'idle' } : s.phase === 'hanging-up' ? { ...s, phase: 'in-call' } : s;
    case 'event': {
      const e = a.event;
      if (e.type === 'run.started' && s.phase === 'placing') return { ...s, runId: e.runId };
      if (e.type === 'run.ended' && up(s) && (s.runId === null || s.runId === e.runId)) return { ...s, phase: 'idle' };
      return s;
    }
  }
}

export const callActive = (s: CallState): boolean => s.phase !== 'idle';
