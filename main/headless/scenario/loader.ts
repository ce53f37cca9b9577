import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { MediapathError } from '../../common/errors';
import { REDACTED } from '../../common/redact';
import { err, ok, type Result } from '../../common/result';
import { CODECS, type CodecName } from '../../media/codecs';
import { METRICS, THRESHOLD_PROFILES, userProfile, type MetricLimit, type MetricName, type ThresholdProfile } from '../../session/thresholds';
import { substituteEnv, type Env } from './env';
import { SCENARIO_FIELD_NAMES, scenarioSchema, type ScenarioData } from './schema';

/**
 * Loads a scenario file: YAML with line numbers kept, `${ENV:NAME}` substituted, then checked
 * against the schema. Every problem is reported, each naming the file, the line and the field
 * (`scenario.yaml:7: call.duration: expected a number of seconds…`), sorted by line. Nothing here
 * throws on a bad file; `loadScenarioFile` turns the list into one SCENARIO_INVALID error.
 */

export interface ScenarioIssue {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  /** `accounts[0].password`; empty for the file as a whole. */
  readonly field: string;
  readonly message: string;
}

export function formatScenarioIssue(i: ScenarioIssue): string {
  return `${i.file}:${i.line}: ${i.field ? `${i.field}: ` : ''}${i.message}`;
}

export interface ScenarioAccount {
  readonly id: string;
  readonly aor: string;
  readonly username: string;
  readonly password?: string;
  readonly displayName?: string;
}

export type ScenarioMode =
  | { readonly kind: 'call'; readonly from: ScenarioAccount; readonly target: string; readonly durationMs: number; readonly answerTimeoutMs: number }
  | { readonly kind: 'answer'; readonly as: ScenarioAccount; readonly calls: number; readonly durationMs?: number; readonly timeoutMs: number };

/** A checked scenario, defaults filled in, paths absolute. */
export interface Scenario {
  readonly file: string;
  readonly version: 1;
  readonly name: string;
  readonly registrar: {
    readonly host?: string;
    readonly address?: string;
    readonly port: number;
    readonly transport: 'udp' | 'tcp' | 'tls';
    readonly tls?: { readonly caFile?: string; readonly serverName?: string; readonly insecure: boolean };
  };
  readonly accounts: readonly ScenarioAccount[];
  readonly dialect: 'v19' | 'multipart-draft6';
  readonly strategy: 'lync' | 'rfc8445';
  readonly mode: ScenarioMode;
  readonly media: { readonly codec: CodecName; readonly ptimeMs: number };
  readonly thresholds: ThresholdProfile;
  readonly output: {
    readonly dir: string;
    readonly json?: string;
    readonly junit?: string;
    readonly csv?: string;
    readonly summary?: string;
    readonly timeline?: string;
  };
}

/** Bounds: a scenario is a page of text; aliases are bounded so a crafted file cannot blow up. */
export const SCENARIO_LIMITS = { maxBytes: 256 * 1024, maxAliasCount: 100 } as const;

type PathKey = string | number;

function fieldName(p: readonly PathKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** Where a path points in the document: the value if it is a scalar, else its key; else the nearest ancestor's key. */
function locate(doc: Document, p: readonly PathKey[]): number {
  let node: unknown = doc.contents;
  let pos = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const k of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(k));
      if (!pair) return pos;
      pos = (pair.key as YamlNode).range?.[0] ?? pos;
      node = pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      const item = node.items[k] as YamlNode | undefined;
      if (!item) return pos;
      pos = item.range?.[0] ?? pos;
      node = item;
    } else {
      return pos;
    }
  }
  return isScalar(node) && node.range ? node.range[0] : pos;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function suggest(key: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of new Set(SCENARIO_FIELD_NAMES)) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  null: 'nothing',
  undefined: 'nothing',
};

const errorMap: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    if (issue.received === 'undefined') return { message: 'missing (required)' };
    return { message: `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${TYPE_WORDS[issue.received] ?? issue.received}` };
  }
  if (issue.code === z.ZodIssueCode.invalid_enum_value) return { message: `expected one of ${issue.options.join(', ')}; got ${JSON.stringify(issue.received)}` };
  return { message: ctx.defaultError };
};

/** `${ENV:NAME}` in every string value (never in keys); issues for unset or malformed references. */
function substitute(doc: Document, env: Env, issue: (p: PathKey[], pos: number, message: string) => void): void {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const p: PathKey[] = [];
      for (let i = 0; i < ancestors.length; i++) {
        const a = ancestors[i];
        const next = ancestors[i + 1] ?? node;
        if (isPair(a) && isScalar(a.key)) p.push(String(a.key.value));
        else if (isSeq(a)) p.push(a.items.indexOf(next as never));
      }
      const s = substituteEnv(node.value, env);
      const pos = node.range?.[0] ?? 0;
      for (const name of s.missing) issue(p, pos, `environment variable ${name} is not set`);
      for (const m of s.malformed) issue(p, pos, `${m} is not a reference this file understands: write \${ENV:NAME}, or $\${ for a literal \${`);
      node.value = s.value;
    },
  });
}

export interface ParseScenarioOptions {
  /** Shown in messages; also the base of relative paths unless `baseDir` is given. */
  readonly file: string;
  readonly env?: Env;
  readonly baseDir?: string;
}

export function parseScenario(text: string, opts: ParseScenarioOptions): Result<Scenario, ScenarioIssue[]> {
  const file = opts.file;
  const shown = path.basename(file);
  const lc = new LineCounter();
  const at = (pos: number, field: string, message: string): ScenarioIssue => {
    const lp = lc.linePos(pos);
    return { file: shown, line: lp.line, column: lp.col, field, message };
  };
  if (text.length > SCENARIO_LIMITS.maxBytes) return err([{ file: shown, line: 1, column: 1, field: '', message: `file larger than ${SCENARIO_LIMITS.maxBytes} bytes` }]);
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return err(doc.errors.map((e) => at(e.pos[0], '', `YAML: ${e.message.split('\n')[0]}`)));

  const issues: ScenarioIssue[] = [];
  substitute(doc, opts.env ?? {}, (p, pos, message) => issues.push(at(pos, fieldName(p), message)));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: SCENARIO_LIMITS.maxAliasCount });
  } catch (e) {
    return err([at(0, '', `YAML: ${(e as Error).message}`)]);
  }
  if (data === null || data === undefined) return err([at(0, '', 'the file is empty: expected registrar, accounts and call or answer')]);
  const parsed = scenarioSchema.safeParse(data, { errorMap });
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      if (zi.code === z.ZodIssueCode.unrecognized_keys) {
        for (const k of zi.keys) issues.push(at(locate(doc, [...zi.path, k]), fieldName([...zi.path, k]), `unknown field${suggest(k)}`));
      } else {
        issues.push(at(locate(doc, zi.path), fieldName(zi.path), zi.message));
      }
    }
  }
  if (issues.length > 0 || !parsed.success) return err(dedupe(issues).sort((a, b) => a.line - b.line || a.column - b.column));
  return ok(normalize(parsed.data, path.resolve(file), opts.baseDir ?? path.dirname(path.resolve(file))));
}

function dedupe(issues: readonly ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = formatScenarioIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function account(a: ScenarioData['accounts'][number]): ScenarioAccount {
  const user = /^sips?:([^@;]+)@/i.exec(a.aor)?.[1] ?? a.aor;
  return {
    id: a.id,
    aor: a.aor,
    username: a.username ?? user,
    ...(a.password !== undefined ? { password: a.password } : {}),
    ...(a.displayName !== undefined ? { displayName: a.displayName } : {}),
  };
}

function thresholds(t: ScenarioData['thresholds']): ThresholdProfile {
  if (typeof t === 'string') return THRESHOLD_PROFILES[t]!;
  const base = t.profile ? THRESHOLD_PROFILES[t.profile] : undefined;
  const limits: Partial<Record<MetricName, MetricLimit | null>> = {};
  const values = t as Record<string, unknown>;
  for (const m of METRICS) {
    const v = values[m];
    if (v === undefined) continue;
    // MOS is a floor; every other figure a ceiling (docs/scenario-reference.md).
    limits[m] = v === null ? null : m === 'mos' ? { min: v as number } : { max: v as number };
  }
  return userProfile(t.name ?? (base ? `${base.name}+custom` : 'custom'), limits, base);
}

function normalize(d: ScenarioData, file: string, base: string): Scenario {
  const accounts = d.accounts.map(account);
  const byId = (id: string | undefined): ScenarioAccount => accounts.find((a) => a.id === id) ?? accounts[0]!;
  const dir = path.resolve(base, d.output.dir);
  const out = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(dir, p));
  const r = d.registrar;
  const mode: ScenarioMode = d.call
    ? { kind: 'call', from: byId(d.call.from), target: d.call.target, durationMs: d.call.duration, answerTimeoutMs: d.call.answerTimeout }
    : { kind: 'answer', as: byId(d.answer!.as), calls: d.answer!.calls, ...(d.answer!.duration !== undefined ? { durationMs: d.answer!.duration } : {}), timeoutMs: d.answer!.timeout };
  const output = { json: out(d.output.json), junit: out(d.output.junit), csv: out(d.output.csv), summary: out(d.output.summary), timeline: out(d.output.timeline) };
  return {
    file,
    version: 1,
    name: d.name ?? path.basename(file).replace(/\.ya?ml$/i, ''),
    registrar: {
      ...(r.host !== undefined ? { host: r.host } : {}),
      ...(r.address !== undefined ? { address: r.address } : {}),
      port: r.port ?? (r.transport === 'tls' ? 5061 : 5060),
      transport: r.transport,
      ...(r.tls
        ? { tls: { ...(r.tls.ca !== undefined ? { caFile: path.resolve(base, r.tls.ca) } : {}), ...(r.tls.serverName !== undefined ? { serverName: r.tls.serverName } : {}), insecure: r.tls.insecure } }
        : {}),
    },
    accounts,
    dialect: d.dialect,
    strategy: d.strategy,
    mode,
    media: { codec: d.media.codec, ptimeMs: d.media.ptime ?? CODECS[d.media.codec].defaultPtimeMs },
    thresholds: thresholds(d.thresholds),
    output: { dir, ...Object.fromEntries(Object.entries(output).filter(([, v]) => v !== undefined)) },
  };
}

/** Reads and checks a scenario file: what `mediapath scenario check` and `mediapath run` use. */
export async function validateScenarioFile(file: string, env: Env = process.env): Promise<Result<Scenario, ScenarioIssue[]>> {
  const shown = path.basename(file);
  try {
    const st = await stat(file);
    if (!st.isFile()) return err([{ file: shown, line: 0, column: 0, field: '', message: 'not a file' }]);
    if (st.size > SCENARIO_LIMITS.maxBytes) return err([{ file: shown, line: 1, column: 1, field: '', message: `file larger than ${SCENARIO_LIMITS.maxBytes} bytes` }]);
    return parseScenario(await readFile(file, 'utf8'), { file, env });
  } catch (e) {
    return err([{ file: shown, line: 0, column: 0, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
}

/** The issues as one error (exit code 2 in the CLI): every issue on its own line. */
export function scenarioError(issues: readonly ScenarioIssue[]): MediapathError {
  const lines = issues.map((i) => (i.line > 0 ? formatScenarioIssue(i) : `${i.file}: ${i.field ? `${i.field}: ` : ''}${i.message}`));
  return new MediapathError('SCENARIO_INVALID', lines.join('\n'), { layer: 'cli' });
}

export async function loadScenarioFile(file: string, env: Env = process.env): Promise<Scenario> {
  const r = await validateScenarioFile(file, env);
  if (!r.ok) throw scenarioError(r.error);
  return r.value;
}

/** The scenario with passwords replaced, for printing. */
export function redactScenario(s: Scenario): Scenario {
  return { ...s, accounts: s.accounts.map((a) => (a.password !== undefined ? { ...a, password: REDACTED } : a)), mode: s.mode.kind === 'call' ? { ...s.mode, from: redactAccount(s.mode.from) } : { ...s.mode, as: redactAccount(s.mode.as) } };
}

function redactAccount(a: ScenarioAccount): ScenarioAccount {
  return a.password !== undefined ? { ...a, password: REDACTED } : a;
}

/** One line for people: `call sip:bob@… from alice for 30 s over tls (v19, lync), thresholds microsoft-client-edge`. */
export function describeScenario(s: Scenario): string {
  const registrar = `${s.registrar.host ?? s.registrar.address}:${s.registrar.port}/${s.registrar.transport}`;
  const what =
    s.mode.kind === 'call'
      ? `call ${s.mode.target} as ${s.mode.from.aor} for ${s.mode.durationMs / 1000} s`
      : `answer ${s.mode.calls} call${s.mode.calls === 1 ? '' : 's'} as ${s.mode.as.aor}${s.mode.durationMs !== undefined ? `, ${s.mode.durationMs / 1000} s each` : ''}`;
  return `${s.name}: ${what} via ${registrar} (${s.dialect}, ${s.strategy}, ${s.media.codec}/${s.media.ptimeMs} ms), thresholds ${s.thresholds.name}`;
}
