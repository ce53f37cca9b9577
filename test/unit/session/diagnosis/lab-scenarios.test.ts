import { describe, expect, it } from 'vitest';
import { ICE_SCENARIOS, type IceScenarioName } from '../../../../main/lab/ice-scenarios';
import { DIAGNOSIS_RULES, diagnose, type DiagnosisId } from '../../../../main/session/diagnosis';
import { iceScenarioTimeline } from '../../../fixtures/timeline/build';

/**
 * What every rule says about each field scenario of the lab (PROTOCOLS.md §7), per side and ICE
 * strategy. The lab's relays are configured right, so only the path rules speak: UDP blocked on
 * the caller's site ⇒ relay over TCP only; reflexive paths ⇒ the SfB srflx trap (our agents keep
 * the srflx local candidate of a valid pair, as RFC 8445 §7.2.5.3.2 allows).
 */
const EXPECTED: Record<IceScenarioName, { caller: DiagnosisId[]; callee: DiagnosisId[]; callerRfc?: DiagnosisId[] }> = {
  'inside-inside': { caller: [], callee: [] },
  'inside-outside': { caller: ['srflx-nominated'], callee: ['srflx-nominated'] },
  'outside-outside': { caller: ['srflx-nominated'], callee: ['srflx-nominated'] },
  symmetric: { caller: [], callee: [] },
  'udp-blocked': { caller: ['relay-one-transport'], callee: ['srflx-nominated'] },
  promotion: { caller: [], callee: [] },
  // lync: after consent loss the call fails over to srflx → relay; rfc8445 needs an ICE restart
  'consent-loss': { caller: ['srflx-nominated'], callee: [], callerRfc: [] },
};

describe('diagnoses of the lab ICE scenarios', () => {
  for (const name of ICE_SCENARIOS) {
    for (const strategy of ['lync', 'rfc8445'] as const) {
      it(`${name} (${strategy})`, async () => {
        const exp = EXPECTED[name];
        const caller = diagnose(await iceScenarioTimeline(name, 'caller', { strategy })).map((d) => d.id);
        const callee = diagnose(await iceScenarioTimeline(name, 'callee', { strategy })).map((d) => d.id);
        expect(caller).toEqual(strategy === 'rfc8445' && exp.callerRfc ? exp.callerRfc : exp.caller);
        expect(callee).toEqual(exp.callee);
      });
    }
  }

  it('has one rule per id, and diagnoses come in rule order', () => {
    const ids = DIAGNOSIS_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'no-mras-uri',
      'mras-failed',
      'no-reflexive-candidates',
      'relay-one-transport',
      'turn-credentials-untrusted',
      'relay-address-unreachable',
      'no-pair-succeeded',
      'srflx-nominated',
      'path-unsettled',
    ]);
  });
});
