import { reportFromTimeline, toVerdictEvent, type Report } from '../report';
import type { ThresholdProfile } from '../session/thresholds';
import { parseTimelineJsonl, timelineToJsonl, type Timeline, type TimelineReader } from '../session/timeline';

/**
 * How every run that made a call ends, whoever made it (`mediapath demo|run|call|answer`, the
 * desktop app, `mediapath serve`): the diagnoses and the verdict appended to the Timeline (the UI
 * shows them live), then the report of the final Timeline read back as a saved file gives it, so
 * `mediapath report` on the saved Timeline prints exactly this report.
 */

/** The Timeline as a saved file would give it back (JSON drops what JSON cannot carry). */
export function reloadedTimeline(t: TimelineReader): TimelineReader {
  const r = parseTimelineJsonl(timelineToJsonl(t));
  return r.ok ? r.value : t;
}

export function concludeRun(t: Timeline, profile: ThresholdProfile): Report {
  const first = reportFromTimeline(reloadedTimeline(t), { profile });
  const at = t.events[t.events.length - 1]?.at ?? t.header.originAt;
  for (const d of first.diagnoses) {
    t.append({ type: 'diagnosis', at, id: d.id, message: d.message.slice(0, 2048), evidence: d.evidence.slice(0, 64).map(String), severity: d.severity });
  }
  t.append(toVerdictEvent(first, at));
  return reportFromTimeline(reloadedTimeline(t), { profile });
}
