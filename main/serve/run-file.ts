import { engineEventSchema, type EngineEvent } from '../api';
import type { ErrorInfo } from '../common/errors';
import { err, ok, type Result } from '../common/result';

/**
 * A run on disk: JSON Lines, one EngineEvent per line (DESIGN.md "The Timeline"). A file is
 * untrusted input: bounded in size and count, every line checked against the event schema, and
 * the first bad line reported by number and reason; nothing here throws.
 */
export const RUN_FILE_LIMITS = { maxLines: 500_000, maxLineBytes: 1024 * 1024 } as const;

export function serializeRun(events: readonly EngineEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}

export function parseRun(text: string, limits: { maxLines: number; maxLineBytes: number } = RUN_FILE_LIMITS): Result<EngineEvent[], ErrorInfo> {
  const fail = (line: number, reason: string): Result<EngineEvent[], ErrorInfo> => err({ code: 'TIMELINE_INVALID', message: `line ${line}: ${reason}`, layer: 'api' });
  const events: EngineEvent[] = [];
  let start = 0;
  let line = 0;
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
    const parsed = engineEventSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(line, `not an event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
    }
    events.push(parsed.data);
  }
  return ok(events);
}
