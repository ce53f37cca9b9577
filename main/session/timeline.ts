import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Clock } from '../common/clock';
import type { Disposable } from '../common/events';
import { err, ok, type Result } from '../common/result';
import { KNOWN_EVENT_SCHEMAS, isKnownEventType } from './timeline-events';

/**
 * The Timeline (DESIGN.md "The Timeline"): every observable step of a run, in order, each with
 * the monotonic time it happened (`at`, ms on the run's Clock) and a sequence number (`seq`, 1, 2,
 * 3… in append order) that diagnoses cite as evidence. It is append-only; the UI subscribes to it
 * live, and a run is saved as JSON Lines (a header line, then one event per line) and can be
 * loaded again. Every report is a function of the header and the events, so a run saved and
 * loaded again gives the same report.
 */

/** What every event is: a type and a monotonic time. The engine's EngineEvent union fits this. */
export interface TimelineEvent {
  readonly type: string;
  readonly at: number;
}

/** An event as the Timeline holds it: with its sequence number. */
export type Stamped<E extends TimelineEvent = TimelineEvent> = E & { readonly seq: number };

/** Any plain-data event (tests, tools and loaded files, where the exact union is not known). */
export type AnyEvent = TimelineEvent & { readonly [k: string]: unknown };

export const TIMELINE_FORMAT = 'mediapath-timeline';
export const TIMELINE_VERSION = 1;

export interface TimelineHeader {
  readonly format: typeof TIMELINE_FORMAT;
  readonly version: typeof TIMELINE_VERSION;
  readonly tool: string;
  readonly toolVersion: string;
  /** Wall-clock time (ISO 8601, UTC) at which the run's clock read `originAt`. */
  readonly startedAt: string;
  /** The monotonic clock (ms) at `startedAt`: an event's wall time is startedAt + (at − originAt). */
  readonly originAt: number;
  /** A few words about the run (scenario name, side, account), shown in reports. */
  readonly meta?: Readonly<Record<string, string | number | boolean>>;
}

/** What reports and rules read: the header and the events. A Timeline is one; so is a loaded file. */
export interface TimelineReader<E extends TimelineEvent = TimelineEvent> {
  readonly header: TimelineHeader;
  readonly events: readonly Stamped<E>[];
}

export interface TimelineStartOptions {
  readonly toolVersion: string;
  readonly tool?: string;
  readonly meta?: TimelineHeader['meta'];
}

export class Timeline<E extends TimelineEvent = AnyEvent> implements TimelineReader<E> {
  private readonly list: Stamped<E>[] = [];
  private readonly listeners = new Set<(e: Stamped<E>) => void>();

  constructor(
    readonly header: TimelineHeader,
    events: readonly Stamped<E>[] = [],
  ) {
    this.list.push(...events);
  }

  /** A new, empty Timeline whose origin is the clock's present. */
  static start<E extends TimelineEvent = AnyEvent>(clock: Clock, opts: TimelineStartOptions): Timeline<E> {
    return new Timeline<E>({
      format: TIMELINE_FORMAT,
      version: TIMELINE_VERSION,
      tool: opts.tool ?? 'mediapath',
      toolVersion: opts.toolVersion,
      startedAt: new Date(clock.wallNow()).toISOString(),
      originAt: clock.now(),
      ...(opts.meta ? { meta: opts.meta } : {}),
    });
  }

  get events(): readonly Stamped<E>[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  /**
   * Appends an event and tells the subscribers. Emitters stamp `at` from the same Clock, but one
   * may stamp a moment it computed a little earlier (a pacing task's due time); so that `at` never
   * runs backwards along the Timeline such an event takes the previous event's time.
   */
  append(event: E): Stamped<E> {
    const last = this.list[this.list.length - 1];
    const seq = (last?.seq ?? 0) + 1;
    const at = last && event.at < last.at ? last.at : event.at;
    // seq first on the saved line; an event that already carries a seq gets ours.
    const stamped = Object.assign({ seq }, event, { seq, at }) as Stamped<E>;
    this.list.push(stamped);
    for (const cb of [...this.listeners]) {
      try {
        cb(stamped);
      } catch {
        // A failing view must not stop the run or the other views.
      }
    }
    return stamped;
  }

  /** Hears every event appended from now on; with `replay`, first every event already there. */
  subscribe(cb: (e: Stamped<E>) => void, opts: { readonly replay?: boolean } = {}): Disposable {
    if (opts.replay) for (const e of [...this.list]) cb(e);
    this.listeners.add(cb);
    return { dispose: () => void this.listeners.delete(cb) };
  }

  /** Epoch ms of a monotonic time of this run. */
  wallTimeOf(at: number): number {
    return wallTimeOf(this.header, at);
  }

  toJsonl(): string {
    return timelineToJsonl(this);
  }
}

export function wallTimeOf(header: TimelineHeader, at: number): number {
  return Date.parse(header.startedAt) + (at - header.originAt);
}

/** The header line, then one JSON object per event, each line ended by `\n`. */
export function timelineToJsonl(t: TimelineReader): string {
  const lines = [JSON.stringify(t.header)];
  for (const e of t.events) lines.push(JSON.stringify(e));
  return lines.join('\n') + '\n';
}

/** Why a saved Timeline did not load: the file, the 1-based line, the field, and what was wrong. */
export interface TimelineLoadError {
  readonly code: 'TIMELINE_INVALID';
  readonly file: string;
  readonly line: number;
  readonly field?: string;
  readonly reason: string;
}

export function formatTimelineLoadError(e: TimelineLoadError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}` : e.file;
  return `${where}: ${e.field ? `${e.field}: ` : ''}${e.reason}`;
}

/** Bounds for loading: a SIP message is far below a line's bound, a long call far below the count. */
export const TIMELINE_LIMITS = { maxLineBytes: 1 << 20, maxEvents: 2_000_000 } as const;

const headerSchema = z
  .object({
    format: z.literal(TIMELINE_FORMAT),
    version: z.literal(TIMELINE_VERSION),
    tool: z.string(),
    toolVersion: z.string(),
    startedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date'),
    originAt: z.number().finite(),
    meta: z.record(z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  // Within a version the header only gains fields: a newer writer's file still loads here.
  .passthrough();

const baseEventSchema = z.object({ seq: z.number().int().positive().optional(), type: z.string().min(1), at: z.number().finite() }).passthrough();

function issueAt(prefix: string, issue: z.ZodIssue): { field: string; reason: string } {
  const field = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))].join('').replace(/^\./, '');
  return { field, reason: issue.message };
}

/**
 * Reads a Timeline from JSON Lines. Every line is checked: the header's format and version, then
 * for each event `seq` (strictly increasing), `type`, `at` (never decreasing) and, for the event
 * types reports read, their fields. The first problem ends the load with its line number.
 * The header line may be missing (a bare event list, as main/serve exports); see headerFrom.
 */
export function parseTimelineJsonl(text: string, file = 'timeline.jsonl'): Result<Timeline<AnyEvent>, TimelineLoadError> {
  const fail = (line: number, reason: string, field?: string): Result<never, TimelineLoadError> =>
    err({ code: 'TIMELINE_INVALID', file, line, ...(field ? { field } : {}), reason });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return fail(1, 'empty file: expected a header line');
  if (lines.length - 1 > TIMELINE_LIMITS.maxEvents) return fail(TIMELINE_LIMITS.maxEvents + 2, `more than ${TIMELINE_LIMITS.maxEvents} events`);

  const parseLine = (i: number): Result<unknown, TimelineLoadError> => {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.length > TIMELINE_LIMITS.maxLineBytes) return fail(i + 1, `line longer than ${TIMELINE_LIMITS.maxLineBytes} characters`);
    if (raw.trim() === '') return fail(i + 1, 'empty line');
    try {
      return ok(JSON.parse(raw) as unknown);
    } catch (e) {
      return fail(i + 1, `not JSON: ${(e as Error).message}`);
    }
  };

  const h = parseLine(0);
  if (!h.ok) return h;
  // A file without our header line (main/serve exports bare EngineEvent lines) still loads: its
  // header is made up from its `run.started` event, and events without `seq` are numbered in order.
  const headed = typeof h.value === 'object' && h.value !== null && 'format' in h.value;
  let header: TimelineHeader | undefined;
  if (headed) {
    const hp = headerSchema.safeParse(h.value);
    if (!hp.success) {
      const first = issueAt('header', hp.error.issues[0]!);
      return fail(1, first.reason, first.field);
    }
    header = hp.data as TimelineHeader;
  }

  const events: Stamped<AnyEvent>[] = [];
  let lastSeq = 0;
  let lastAt = -Infinity;
  for (let i = headed ? 1 : 0; i < lines.length; i++) {
    const v = i === 0 ? h : parseLine(i);
    if (!v.ok) return v;
    const base = baseEventSchema.safeParse(v.value);
    if (!base.success) {
      const first = issueAt('', base.error.issues[0]!);
      return fail(i + 1, first.reason, first.field);
    }
    const e = base.data;
    const seq = e.seq ?? lastSeq + 1;
    if (seq <= lastSeq) return fail(i + 1, `seq ${seq} does not follow ${lastSeq}`, 'seq');
    if (e.at < lastAt) return fail(i + 1, `at ${e.at} is earlier than the previous event's ${lastAt}`, 'at');
    if (isKnownEventType(e.type)) {
      const known = KNOWN_EVENT_SCHEMAS[e.type].safeParse(v.value);
      if (!known.success) {
        const first = issueAt(e.type, known.error.issues[0]!);
        return fail(i + 1, first.reason, first.field);
      }
    }
    lastSeq = seq;
    lastAt = e.at;
    // The value as written (passthrough keeps every field), so a report sees what was saved.
    events.push((e.seq === undefined ? { seq, ...(v.value as object) } : v.value) as Stamped<AnyEvent>);
  }
  return ok(new Timeline<AnyEvent>(header ?? headerFrom(events), events));
}

/** A header for a file that has none: from its `run.started` event (main/api), else the first event. */
function headerFrom(events: readonly Stamped<AnyEvent>[]): TimelineHeader {
  const started = events.find((e) => e.type === 'run.started');
  const wall = typeof started?.['startedAt'] === 'number' && Number.isFinite(started['startedAt']) ? started['startedAt'] : 0;
  return {
    format: TIMELINE_FORMAT,
    version: TIMELINE_VERSION,
    tool: 'mediapath',
    toolVersion: 'unknown',
    startedAt: new Date(Math.min(Math.max(wall, 0), 8.64e15)).toISOString(),
    originAt: started?.at ?? events[0]?.at ?? 0,
  };
}

/** Writes the Timeline as JSON Lines. */
export async function saveTimeline(t: TimelineReader, file: string): Promise<void> {
  await writeFile(file, timelineToJsonl(t), 'utf8');
}

/** Reads and checks a saved Timeline; errors name the file as given and the line. */
export async function loadTimelineFile(file: string): Promise<Result<Timeline<AnyEvent>, TimelineLoadError>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return err({ code: 'TIMELINE_INVALID', file, line: 0, reason: `cannot read: ${(e as Error).message}` });
  }
  return parseTimelineJsonl(text, file);
}
