import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { appendIntervalCsv, humanSummary, toJunitXml, type Report } from '../../report';
import { DISTURBED_MAX_MS } from '../../lab/media-lab';
import { timelineToJsonl as timelineText, type AnyEvent, type Stamped, type TimelineReader } from '../../session/timeline';
import { candidateLabel, pairLabel, type CandidateViewData, type PairViewData } from '../../session/timeline-events';
import type { Output } from '../output';

/**
 * What `demo`, `run`, `call` and `answer` share at the end of a run: the diagnoses and the verdict
 * appended to the Timeline (the UI shows them live), the report of the final Timeline, the report
 * files, and the progress lines printed while the run goes.
 */

/** Moved down to main/serve (the desktop app and `mediapath serve` end their calls the same way). */
export { concludeRun } from '../../serve/run-conclusion';

export interface RunFiles {
  readonly dir: string;
  readonly json?: string;
  readonly junit?: string;
  readonly csv?: string;
  readonly summary?: string;
  readonly timeline?: string;
  /** The other side of an in-process call. */
  readonly peerTimeline?: string;
}

/** Writes the files asked for (the CSV is appended, its header once); returns what was written. */
export async function writeRunFiles(report: Report, t: TimelineReader, files: RunFiles, peer?: TimelineReader): Promise<string[]> {
  const written: string[] = [];
  const at = (p: string): string => path.resolve(files.dir, p);
  const put = async (p: string | undefined, text: string): Promise<void> => {
    if (!p) return;
    await mkdir(path.dirname(at(p)), { recursive: true });
    await writeFile(at(p), text, 'utf8');
    written.push(at(p));
  };
  await put(files.json, JSON.stringify(report, null, 2) + '\n');
  await put(files.junit, toJunitXml(report));
  await put(files.summary, humanSummary(report));
  await put(files.timeline, timelineText(t));
  if (peer) await put(files.peerTimeline, timelineText(peer));
  if (files.csv) {
    await mkdir(path.dirname(at(files.csv)), { recursive: true });
    const r = await appendIntervalCsv(at(files.csv), t);
    if (r.ok) written.push(at(files.csv));
  }
  return written;
}

/** Every report file, in `dir`, under the names the demo uses. */
export function allFiles(dir: string, prefix = ''): RunFiles {
  return {
    dir,
    json: `${prefix}report.json`,
    junit: `${prefix}junit.xml`,
    csv: `${prefix}intervals.csv`,
    summary: `${prefix}summary.txt`,
    timeline: `${prefix}timeline.jsonl`,
    peerTimeline: `${prefix}callee.timeline.jsonl`,
  };
}

/**
 * How late this process sent its packets (the media sessions' own send deviation, per interval):
 * past DISTURBED_MAX_MS the machine starved us, and the figures carry our scheduling stalls as well
 * as the network's (main/lab/media-lab.ts judges its runs the same way).
 */
export function sendDeviation(t: TimelineReader): { readonly maxMs: number; readonly disturbed: boolean } {
  let maxMs = 0;
  for (const e of t.events) {
    if (e.type !== 'media.stats') continue;
    const sj = (e as { stats?: { sendJitter?: { maxMs?: unknown } } }).stats?.sendJitter;
    if (typeof sj?.maxMs === 'number' && Number.isFinite(sj.maxMs)) maxMs = Math.max(maxMs, sj.maxMs);
  }
  return { maxMs, disturbed: maxMs > DISTURBED_MAX_MS };
}

export function disturbanceNote(t: TimelineReader): string {
  const d = sendDeviation(t);
  return d.disturbed
    ? `Note: this process was starved during the run (a packet left ${d.maxMs.toFixed(0)} ms late, limit ${DISTURBED_MAX_MS} ms): the figures carry our own scheduling stalls as well as the network's. Run again on a quieter machine.\n`
    : '';
}

const num = (v: unknown, digits: number, unit: string): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : undefined);

/**
 * Phase-by-phase progress from Timeline entries as they are appended: the phases, the
 * registration, MRAS credentials, candidates, the first checks to succeed, every path change,
 * the final re-INVITE, live media figures, diagnoses and the verdict.
 */
export function progressPrinter(o: Output, origin: number, label = ''): (e: Stamped<AnyEvent>) => void {
  const t = (at: number): string => `[${((at - origin) / 1000).toFixed(2).padStart(6)} s]${label ? ` ${label}` : ''}`;
  const line = (at: number, text: string): void => o.err(`${t(at)} ${text}\n`);
  let successes = 0;
  return (e) => {
    const x = e as AnyEvent & Record<string, unknown>;
    switch (e.type) {
      case 'phase': {
        const state = String(x['state']);
        const mark = state === 'running' ? '…' : state === 'done' ? 'ok' : state === 'skipped' ? 'skipped' : 'FAILED';
        line(e.at, `${String(x['name']).padEnd(12)} ${mark}${x['detail'] ? `  ${String(x['detail'])}` : ''}`);
        return;
      }
      case 'provisioning':
        line(e.at, `  provisioning: ${x['ok'] === false ? 'failed' : x['mrasUri'] ? `mrasUri ${String(x['mrasUri'])}` : 'no mrasUri'}`);
        return;
      case 'mras.credentials': {
        const relays = (x['relays'] as Array<Record<string, unknown>>).map((r) => `${String(r['host'])}${r['udpPort'] ? ` udp ${String(r['udpPort'])}` : ''}${r['tcpPort'] ? ` tcp ${String(r['tcpPort'])}` : ''}`);
        line(e.at, `  MRAS credentials: user ${String(x['username'])}, relays ${relays.join('; ')}`);
        return;
      }
      case 'mras.failed':
        line(e.at, `  MRAS failed: ${String((x['error'] as { code?: string })?.code)}: ${String((x['error'] as { message?: string })?.message)}`);
        return;
      case 'candidate.gathered':
        line(e.at, `  local  ${candidateLabel(x['candidate'] as CandidateViewData)}`);
        return;
      case 'candidate.remote':
        line(e.at, `  remote ${candidateLabel(x['candidate'] as CandidateViewData)}${x['source'] === 'prflx' ? ' (peer-reflexive)' : ''}`);
        return;
      case 'check':
        if (x['to'] === 'succeeded' && successes++ < 3) line(e.at, `  check succeeded: ${pairLabel(x['pair'] as PairViewData)}${typeof x['rtt'] === 'number' ? ` (${Math.round(x['rtt'])} ms)` : ''}`);
        return;
      case 'path.changed':
        if ((x['component'] ?? 1) === 1) line(e.at, `  PATH ${x['to'] ? pairLabel(x['to'] as PairViewData) : '(none)'}  [${String(x['reason'])}]`);
        return;
      case 'call.state':
        if (['early', 'confirmed', 'accepted', 'terminated'].includes(String(x['to']))) line(e.at, `  SIP ${String(x['direction'])} call ${String(x['to'])} (${String(x['reason'])})`);
        return;
      case 'call.reinvite':
        line(e.at, `  re-INVITE (${String(x['why'])}): ${x['error'] ? `failed: ${String((x['error'] as { message?: string }).message)}` : `${String(x['status'])}, ${((x['pairs'] as string[] | undefined) ?? []).join('; ')}`}`);
        return;
      case 'call.offer-retry':
        line(e.at, `  offer refused with ${String(x['status'])}${x['accept'] ? ` (Accept: ${(x['accept'] as string[]).join(', ')})` : ''}: INVITE again with ${String(x['to'])} instead of ${String(x['from'])}`);
        return;
      case 'qoe.sent':
        line(e.at, `  QoE report to ${String(x['qosUri'])}: ${x['error'] ? `not taken: ${String((x['error'] as { message?: string }).message)}` : `${String(x['status'])} after ${Math.round(Number(x['ms'] ?? 0))} ms`}`);
        return;
      case 'media.stats': {
        const s = x['stats'] as Record<string, unknown>;
        const p = x['path'] as { kind?: string } | null;
        const figures = [
          `sent ${String(s['packetsSent'] ?? 0)}`,
          `received ${String(s['packetsReceived'] ?? 0)}`,
          num(s['lossPct'], 2, '% loss'),
          num(s['jitterMs'], 1, ' ms jitter'),
          num(s['rttMs'], 1, ' ms rtt'),
          num(s['mos'], 2, ' MOS'),
        ].filter(Boolean);
        line(e.at, `  media epoch ${String(x['epoch'])} ${p?.kind ?? '-'}: ${figures.join(', ')}`);
        return;
      }
      case 'diagnosis':
        line(e.at, `  diagnosis [${String(x['severity'] ?? 'info')}] ${String(x['id'])}`);
        return;
      case 'verdict':
        line(e.at, `verdict: ${String(x['verdict']).toUpperCase()} — ${String(x['summary'])}`);
        return;
      case 'call.failed':
        line(e.at, `  call failed: ${String((x['error'] as { code?: string })?.code)}: ${String((x['error'] as { message?: string })?.message)}`);
        return;
      default:
        return;
    }
  };
}
