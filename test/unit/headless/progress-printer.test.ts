import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../../main/headless/commands/call-output';
import type { AnyEvent, Stamped } from '../../../main/session/timeline';

// The terminal's phase-by-phase progress: one line per event a user follows, none for the rest.
function print(events: Array<Record<string, unknown>>): string[] {
  const lines: string[] = [];
  const p = progressPrinter({ out: () => undefined, err: (t) => lines.push(t.trimEnd()) }, 1000);
  events.forEach((e, seq) => p({ seq, ...e } as unknown as Stamped<AnyEvent>));
  return lines;
}

describe('progress lines', () => {
  it('say the 415 retry and the QoE report', () => {
    const lines = print([
      { type: 'call.offer-retry', at: 1500, direction: 'outgoing', status: 415, accept: ['application/sdp'], from: 'multipart/alternative (draft-6 fallback + v19)', to: 'application/sdp (v19)' },
      { type: 'qoe.sent', at: 2500, direction: 'outgoing', qosUri: 'sip:qos@lab.test', status: 202, ms: 12.4 },
      { type: 'qoe.sent', at: 2600, direction: 'incoming', qosUri: 'sip:qos@lab.test', ms: 2000, error: { code: 'SIP_TIMEOUT', message: 'no answer within 2000 ms' } },
      { type: 'sip.sent', at: 2700, raw: 'BYE …' },
    ]);
    expect(lines).toEqual([
      '[  0.50 s]   offer refused with 415 (Accept: application/sdp): INVITE again with application/sdp (v19) instead of multipart/alternative (draft-6 fallback + v19)',
      '[  1.50 s]   QoE report to sip:qos@lab.test: 202 after 12 ms',
      '[  1.60 s]   QoE report to sip:qos@lab.test: not taken: no answer within 2000 ms',
    ]);
  });
});
