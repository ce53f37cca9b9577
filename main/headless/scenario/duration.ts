/**
 * Durations in a scenario: a number of seconds (`30`, `2.5`) or a string with units
 * (`90s`, `2m`, `1m30s`, `500ms`, `1h`). Returns milliseconds, or undefined when the text is not
 * a duration or not positive.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export const DURATION_HINT = 'expected a number of seconds (e.g. 30) or a duration like 90s, 2m, 1m30s';

export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  if (!/^(\d+(\.\d+)?(ms|s|m|h)\s*)+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total > 0 && Number.isFinite(total) ? total : undefined;
}
