import { DEFAULT_DIAGNOSIS_OPTIONS, type Diagnosis, type DiagnosisOptions, type DiagnosisRule } from '../../../../main/session/diagnosis';
import type { AnyEvent, TimelineReader } from '../../../../main/session/timeline';
import { newTimeline } from '../../../fixtures/timeline/build';

/** A Timeline of these events, in this order. */
export function tl(...events: AnyEvent[]): TimelineReader<AnyEvent> {
  const t = newTimeline();
  for (const e of events) t.append(e);
  return t;
}

export function run(rule: DiagnosisRule, t: Pick<TimelineReader, 'events'>, opts: DiagnosisOptions = {}): Diagnosis | undefined {
  return rule.evaluate(t.events, { ...DEFAULT_DIAGNOSIS_OPTIONS, ...opts });
}

/** The seq of the first event of this type (to check a diagnosis's evidence). */
export function seqOf(t: Pick<TimelineReader, 'events'>, type: string, nth = 0): number {
  const e = t.events.filter((x) => x.type === type)[nth];
  if (!e) throw new Error(`no ${type} #${nth}`);
  return e.seq;
}

export const grant = (at: number, expiresAt = at + 8 * 3600_000): AnyEvent => ({
  type: 'mras.credentials',
  at,
  requestId: '1',
  relays: [{ hostName: 'av.lab.test', udpPort: 3478, tcpPort: 443, location: 'internet' }],
  username: '1767225600:alice',
  durationMinutes: 480,
  expiresAt,
  renewal: false,
});

export const relayStep = (at: number, protocol: 'udp' | 'tcp' | 'tls', state: 'gathered' | 'failed', error?: { code: string; message: string; response?: { code: number } }): AnyEvent => ({
  type: 'gather.step',
  at,
  step: {
    kind: 'relay',
    server: `turn 203.0.113.10:${protocol === 'udp' ? 3478 : 443}`,
    protocol,
    component: 1,
    state,
    ms: 100,
    ...(error ? { reason: error.message, error } : {}),
  },
});
