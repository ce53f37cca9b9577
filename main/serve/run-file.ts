import { engineEventSchema, type EngineEvent } from '../api';
import type { ErrorInfo } from '../common/errors';
import { err, ok, type Result } from '../common/result';

/**
 * A run on disk: JSON Lines, one event per line (DESIGN.md "The Timeline"). We write bare
 * EngineEvents; the session's Timeline files (main/session/timeline.ts) start with a header line
 * (`format: mediapath-timeline`) and hold every layer's raw events, of which the UI shows the
 * EngineEvents. A file is untrusted input: bounded in size and count; a line that is not JSON,
 * or not an object with a `type` and a finite `at`, fails the load with its number and reason;
 * an event that does not match the EngineEvent schema is left out and counted by type.
 */
export const RUN_FILE_LIMITS = { maxLines: 500_000, maxLineBytes: 1024 * 1024 } as const;

export interface ParsedRun {
  readonly events: EngineEvent[];
  readonly skipped: Record<string, number>;
}

export function serializeRun(events: readonly EngineEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}

/** Raw events whose EngineEvent name differs: the agent's state is `ice.state` in the API. */
function normalize(v: Record<string, unknown>): unknown {
  if (v['type'] === 'agent.state') return { ...v, type: 'ice.state' };
  if (v['type'] === 'candidate.prflx') {
    return v['side'] === 'local' ? { ...v, type: 'candidate.gathered', side: 'local' } : { ...v, type: 'candidate.remote', source: 'prflx' };
  }
  return v;
}

export function parseRun(text: string, limits: { maxLines: number; maxLineBytes: number } = RUN_FILE_LIMITS): Result<ParsedRun, ErrorInfo> {
  const fail = (line: number, reason: string): Result<ParsedRun, ErrorInfo> => err({ code: 'TIMELINE_INVALID', message: `line ${line}: ${reason}`, layer: 'api' });
  const events: EngineEvent[] = [];
  const skipped: Record<string, number> = {};
  let start = 0;
  let line = 0;
  let seenContent = false;
  while (start < text.length) {
    line++;
    if (line > limits.maxLines) return fail(line, `more than ${limits.maxLines} lines`);
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > limits.maxLineBytes) return fail(line, `longer than ${limits.maxLineBytes} characters`);
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      return fail(line, `not JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(line, 'not a JSON object');
    const obj = value as Record<string, unknown>;
    const first = !seenContent;
    seenContent = true;
    if (first && typeof obj['format'] === 'string' && !('type' in obj)) {
      if (obj['format'] !== 'mediapath-timeline') return fail(line, `unknown format "${String(obj['format']).slice(0, 40)}"`);
      continue;
    }
    if (typeof obj['type'] !== 'string' || obj['type'].length > 64) return fail(line, 'an event needs a string `type`');
    if (typeof obj['at'] !== 'number' || !Number.isFinite(obj['at'])) return fail(line, 'an event needs a finite number `at`');
    const parsed = engineEventSchema.safeParse(normalize(obj));
    if (parsed.success) events.push(parsed.data);
    else skipped[obj['type']] = (skipped[obj['type']] ?? 0) + 1;
  }
  return ok({ events, skipped });
}
