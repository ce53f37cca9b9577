import type { EngineEvent, PairView } from '../../main/api';
import { pairLabel, pathKind } from './format';

export interface PathChangeRow {
  readonly at: number;
  readonly component: number;
  readonly reason: string;
  readonly from: PairView | null;
  readonly to: PairView | null;
  readonly fromLabel: string;
  readonly toLabel: string;
  readonly kind: 'host' | 'srflx' | 'relay' | 'none';
}

export interface TimelineMark {
  readonly at: number;
  readonly label: string;
  readonly lane: 'sip' | 'phase';
}

export interface PathTimelineModel {
  readonly changes: readonly PathChangeRow[];
  /** Index in `changes` of the path in use now (the last change of component 1), or -1. */
  readonly current: number;
  readonly marks: readonly TimelineMark[];
  readonly start: number;
  readonly end: number;
}

/** Every path change with its reason, plus the call's SIP messages and phase steps for context. */
export function pathTimelineOf(events: readonly EngineEvent[]): PathTimelineModel {
  const changes: PathChangeRow[] = [];
  const marks: TimelineMark[] = [];
  for (const e of events) {
    if (e.type === 'path.changed') {
      changes.push({
        at: e.at,
        component: e.component,
        reason: e.reason,
        from: e.from ?? null,
        to: e.to ?? null,
        fromLabel: e.from ? pairLabel(e.from) : '(none)',
        toLabel: e.to ? pairLabel(e.to) : '(none)',
        kind: e.to ? pathKind(e.to) : 'none',
      });
    } else if (e.type === 'sip.sent' || e.type === 'sip.received') {
      marks.push({ at: e.at, label: firstLine(e.text), lane: 'sip' });
    } else if (e.type === 'phase' && (e.state === 'done' || e.state === 'failed')) {
      marks.push({ at: e.at, label: `${e.name} ${e.state}`, lane: 'phase' });
    }
  }
  let current = -1;
  for (let i = changes.length - 1; i >= 0; i--) {
    if (changes[i]!.component === 1) {
      current = i;
      break;
    }
  }
  const start = events[0]?.at ?? 0;
  const end = Math.max(start + 1, events.at(-1)?.at ?? start);
  return { changes, current, marks, start, end };
}

/** The request or status line of a SIP message. */
export function firstLine(text: string): string {
  const i = text.search(/\r?\n/);
  return (i < 0 ? text : text.slice(0, i)).slice(0, 200);
}
