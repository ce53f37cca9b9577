import { useEffect, useRef, useState } from 'react';
import type { EngineEvent, MediapathApi } from '../../main/api';
import { callActive, type CallAction, type CallState } from '../model/call-state';
import { PHASE_LABELS, phasesOf } from '../model/phases';
import { plainError } from '../model/registration';
import type { Notify } from './account-panel';

/**
 * Where a running call stands: which of the five phases is running and how many are behind it.
 * Always rendered, empty when idle, so the bar does not grow when a call starts.
 */
export function CallProgress({ events, active }: { events: readonly EngineEvent[]; active: boolean }) {
  const phases = phasesOf(events);
  const finished = phases.filter((p) => p.state === 'done' || p.state === 'skipped' || p.state === 'failed').length;
  const running = phases.find((p) => p.state === 'running');
  const text = active ? (running ? `${PHASE_LABELS[running.name]}${running.detail ? `: ${running.detail}` : ''}…` : finished ? 'finishing…' : 'starting…') : '';
  return (
    <div className="call-progress" aria-live="polite" data-testid="call-progress">
      <progress max={phases.length} value={active ? finished : 0} aria-label="Call phases done" hidden={!active} />
      <span className="muted small">{text}</span>
    </div>
  );
}

/** Call, Hang up and Answer automatically, for the account chosen in the account panel. */
export function CallPanel({
  api,
  call,
  dispatch,
  target,
  onTarget,
  accountId,
  events,
  notify,
}: {
  api: MediapathApi;
  call: CallState;
  dispatch: (a: CallAction) => void;
  target: string;
  onTarget: (t: string) => void;
  accountId: string | undefined;
  events: readonly EngineEvent[];
  notify: Notify;
}) {
  const [autoAnswer, setAutoAnswer] = useState(false);
  const auto = useRef(false);
  useEffect(() => () => void (auto.current = false), []);
  const active = callActive(call);
  const hangupId = call.callId ?? call.runId;

  const place = async (): Promise<void> => {
    const t = target.trim();
    if (!/^sips?:[^\s@]+@[^\s@]+$/.test(t)) return notify('The target must be a SIP URI like sip:bob@example.com.', 'bad');
    dispatch({ type: 'place' });
    notify(`Calling ${t}…`, 'info');
    const r = await api.call({ target: t, ...(accountId ? { accountId } : {}) });
    if (r.ok) {
      dispatch({ type: 'placed', callId: r.value.callId });
      notify(`Calling: ${r.value.callId}`, 'ok');
    } else {
      dispatch({ type: 'failed' });
      notify(plainError(r.error), 'bad');
    }
  };

  const hangup = async (): Promise<void> => {
    if (!hangupId) return;
    dispatch({ type: 'hangup' });
    const r = await api.hangup({ callId: hangupId });
    if (r.ok) {
      dispatch({ type: 'hangup-done' });
      notify('Hung up.', 'ok');
    } else {
      dispatch({ type: 'hangup-failed', code: r.error.code });
      notify(r.error.code === 'API_NO_SUCH_CALL' ? 'The call had already ended.' : plainError(r.error), r.error.code === 'API_NO_SUCH_CALL' ? 'info' : 'bad');
    }
  };

  /**
   * Answer mode: `answer({ auto: true })` resolves when a call arrives (with its id, so it can be
   * hung up) or when none came in the engine's wait; it is asked again each time, so every call
   * that arrives is known here, until the box is cleared.
   */
  const waitForCalls = async (): Promise<void> => {
    while (auto.current) {
      const r = await api.answer({ ...(accountId ? { accountId } : {}), auto: true });
      if (!auto.current) return;
      if (r.ok) {
        dispatch({ type: 'answered', callId: r.value.callId });
        notify(`Answered a call: ${r.value.callId}`, 'ok');
      } else if (r.error.code !== 'SIP_TIMEOUT') {
        auto.current = false;
        setAutoAnswer(false);
        // CLOSED: the engine stopped waiting (Unregister, registering again): not a failure.
        return r.error.code === 'CLOSED' ? notify(`Automatic answer stopped: ${r.error.message}.`, 'info') : notify(plainError(r.error), 'bad');
      }
    }
  };

  const toggleAnswer = (on: boolean): void => {
    auto.current = on;
    setAutoAnswer(on);
    if (on) {
      notify('Incoming calls are answered automatically.', 'ok');
      void waitForCalls();
    } else {
      // The contract has no "stop answering": the engine keeps its answer mode until Unregister.
      notify('No longer following incoming calls here; the engine keeps answering until you unregister.', 'info');
    }
  };

  return (
    <section className="card call-panel" aria-labelledby="call-heading">
      <h2 id="call-heading">Call</h2>
      <form
        className="controls"
        aria-label="Call"
        onSubmit={(e) => {
          e.preventDefault();
          void place();
        }}
      >
        <label htmlFor="call-target">Target</label>
        <input id="call-target" name="target" className="target" value={target} onChange={(e) => onTarget(e.target.value)} placeholder="sip:bob@example.com" spellCheck={false} />
        <button type="submit" className="primary" disabled={active || !target.trim()}>
          Call
        </button>
        <button type="button" onClick={() => void hangup()} disabled={!active || !hangupId || call.phase === 'hanging-up'}>
          Hang up
        </button>
      </form>
      <label className="check">
        <input type="checkbox" name="auto-answer" role="switch" checked={autoAnswer} onChange={(e) => toggleAnswer(e.target.checked)} aria-checked={autoAnswer} /> Answer automatically
      </label>
      <p className="muted small call-state" data-testid="call-state">
        {call.phase === 'idle' ? 'No call.' : call.phase === 'placing' ? 'Placing the call…' : call.phase === 'hanging-up' ? 'Hanging up…' : `In a call${call.callId ? ` (${call.callId})` : ''}.`}
      </p>
      <CallProgress events={events} active={active} />
    </section>
  );
}
