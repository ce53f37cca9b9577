import { describe, expect, it } from 'vitest';
import { engineEventSchema, type EngineEvent } from '../../../main/api';
import { FakeClock } from '../../../main/common/clock';
import { runIceScenario } from '../../../main/lab/ice-scenarios';
import { reportFromTimeline, toVerdictEvent } from '../../../main/report';
import { iceToEngineEvent } from '../../../main/serve/ice-timeline';
import { diagnose, toDiagnosisEvent } from '../../../main/session/diagnosis';
import { Timeline, parseTimelineJsonl } from '../../../main/session/timeline';
import { callTimeline } from '../../fixtures/timeline/build';

/** main/api's EngineEvent union goes into the Timeline as it is, and the report reads it. */
describe('a Timeline of main/api EngineEvents', () => {
  it('the lab udp-blocked run as main/serve maps it: same path, same diagnosis', async () => {
    const t = Timeline.start<EngineEvent>(new FakeClock(), { toolVersion: 'test' });
    const r = await runIceScenario('udp-blocked', {
      onEvent: (side, e) => {
        const m = iceToEngineEvent(side, e);
        if (m) t.append(m);
      },
    });
    expect(r.leftovers).toEqual({ timers: 0, openResources: 0 });
    const report = reportFromTimeline(t);
    expect(report.finalPath).toMatchObject({ pathKind: 'relay', local: 'relay' });
    expect(report.diagnoses.map((d) => d.id)).toEqual(['relay-one-transport']);
    expect(report.candidates.remote.length).toBeGreaterThan(0);
    const back = parseTimelineJsonl(t.toJsonl());
    expect(back.ok && JSON.stringify(reportFromTimeline(back.value))).toBe(JSON.stringify(report));
  });

  it('diagnoses and the verdict become valid diagnosis and verdict events', () => {
    const t = callTimeline();
    for (const d of diagnose(t)) expect(engineEventSchema.safeParse(toDiagnosisEvent(d, 15_020)).success).toBe(true);
    const v = toVerdictEvent(reportFromTimeline(t), 15_020);
    expect(engineEventSchema.safeParse(v).success).toBe(true);
    expect(v.verdict).toBe('fail');
    expect(v.checks[0]).toEqual({ name: 'epoch 1 relay lossPct', ok: false, detail: 'packet loss 1.19% (limit < 1%, any 15 s)' });
    expect(v.checks).toHaveLength(5 + 12 - 2);
  });
});
