import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { RealClock } from '../../common/clock';
import { MediapathError, toErrorInfo } from '../../common/errors';
import { CryptoRandom } from '../../common/random';
import { NodeNet } from '../../net/node/node-net';
import type { TlsOptions } from '../../net/types';
import { nextIncomingCall, IncomingCall } from '../../session/call-answer';
import { thresholdsEntry, type Entry } from '../../session/call-events';
import { OutgoingCall } from '../../session/call';
import type { CallOutcome } from '../../session/call-session';
import { accountEndpoint } from '../../session/account-endpoint';
import { Timeline } from '../../session/timeline';
import { humanSummary } from '../../report';
import { describeScenario, formatScenarioIssue, validateScenarioFile, type Scenario, type ScenarioIssue } from '../scenario';
import type { Output } from '../output';
import { concludeRun, progressPrinter, writeRunFiles } from './call-output';

export interface RunFlags {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

async function tlsOf(s: Scenario): Promise<TlsOptions | undefined> {
  const t = s.registrar.tls;
  if (!t) return undefined;
  return {
    ...(t.caFile ? { ca: await readFile(t.caFile, 'utf8') } : {}),
    ...(t.serverName ? { servername: t.serverName } : {}),
    ...(t.insecure ? { allowSelfSigned: true } : {}),
  };
}

/**
 * Runs one checked scenario against a real registrar on real sockets: the account registers,
 * provisions and gets MRAS credentials, then calls (or answers `calls` calls), and the Timeline is
 * judged and written as the scenario's `output` asks. Returns the exit code: 0 pass, 1 a threshold
 * missed, 2 could not run (registration, MRAS, no call, no media path, no media).
 */
export async function executeScenario(s: Scenario, o: Output, f: RunFlags, version: string): Promise<number> {
  const clock = new RealClock();
  const net = new NodeNet();
  const random = new CryptoRandom();
  const account = s.mode.kind === 'call' ? s.mode.from : s.mode.as;
  const timeline = Timeline.start(clock, { toolVersion: version, meta: { scenario: s.name, mode: s.mode.kind, account: account.aor, strategy: s.strategy, dialect: s.dialect } });
  if (!f.quiet) {
    o.err(`mediapath: ${describeScenario(s)}\n`);
    timeline.subscribe(progressPrinter(o, clock.now()));
  }
  const runId = `${s.name}-${clock.wallNow()}`;
  timeline.append({ type: 'run.started', at: clock.now(), runId: runId.slice(0, 128), title: describeScenario(s).slice(0, 256), source: 'call', startedAt: clock.wallNow() });
  timeline.append(thresholdsEntry(clock.now(), s.thresholds));
  const endpoint = accountEndpoint({
    net,
    clock,
    random,
    sink: (e: Entry) => void timeline.append(e),
    account: { aor: account.aor, username: account.username, ...(account.password !== undefined ? { password: account.password } : {}), ...(account.displayName ? { displayName: account.displayName } : {}) },
    registrar: { ...(s.registrar.address ? { address: s.registrar.address } : {}), ...(s.registrar.host ? { host: s.registrar.host } : {}), port: s.registrar.port },
    transport: s.registrar.transport,
    ...(s.registrar.tls ? { tls: (await tlsOf(s))! } : {}),
    dialect: s.dialect,
    strategy: s.strategy,
    media: { codec: s.media.codec, ptimeMs: s.media.ptimeMs },
  });
  const outcomes: CallOutcome[] = [];
  let error: ReturnType<typeof toErrorInfo> | undefined;
  try {
    await endpoint.start();
    if (s.mode.kind === 'call') {
      outcomes.push(await new OutgoingCall(endpoint, { target: s.mode.target, durationMs: s.mode.durationMs, answerTimeoutMs: s.mode.answerTimeoutMs }).run());
    } else {
      for (let i = 0; i < s.mode.calls; i++) {
        const sip = await nextIncomingCall(endpoint, s.mode.timeoutMs);
        if (!sip) {
          if (outcomes.length === 0) {
            error = { code: 'SIP_TIMEOUT', message: `no call arrived within ${s.mode.timeoutMs / 1000} s`, layer: 'session' };
            timeline.append({ type: 'call.failed', at: clock.now(), direction: 'incoming', error });
          }
          break;
        }
        outcomes.push(await new IncomingCall(endpoint, sip, { ...(s.mode.durationMs !== undefined ? { durationMs: s.mode.durationMs } : {}) }).run());
      }
    }
  } catch (e) {
    error = toErrorInfo(e);
  } finally {
    await endpoint.close();
  }
  error ??= outcomes.find((x) => x.error)?.error;
  timeline.append({ type: 'run.ended', at: clock.now(), runId: runId.slice(0, 128), ok: !error && outcomes.length > 0 && outcomes.every((x) => x.ok), ...(error ? { error } : {}) });
  const report = concludeRun(timeline, s.thresholds);
  const written = await writeRunFiles(report, timeline, s.output);
  if (f.json) o.out(JSON.stringify(report, null, 2) + '\n');
  else o.out(humanSummary(report) + (written.length ? `\nWritten:\n${written.map((p) => `  ${p}\n`).join('')}` : ''));
  return report.exitCode;
}

export function printIssues(issues: readonly ScenarioIssue[], o: Output, json: boolean | undefined): void {
  if (json) o.out(JSON.stringify({ verdict: 'error', issues }, null, 2) + '\n');
  else o.err(issues.map((i) => `${i.line > 0 ? formatScenarioIssue(i) : `${i.file}: ${i.field ? `${i.field}: ` : ''}${i.message}`}\n`).join(''));
}

export function cliError(e: unknown): MediapathError {
  return e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
}

/** `mediapath run SCENARIO.yaml`: validate (exit 2 with file:line: field errors), then run it. */
export function registerRun(program: Command, o: Output, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('Run a scenario file (docs/scenario-reference.md): register, MRAS, call or answer, media, reports.')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--json', 'print the JSON report on stdout')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (file: string, f: RunFlags) => {
      const r = await validateScenarioFile(file);
      if (!r.ok) {
        printIssues(r.error, o, f.json);
        setExit(2);
        return;
      }
      try {
        setExit(await executeScenario(r.value, o, f, program.version() ?? '0.0.0'));
      } catch (e) {
        const err = cliError(e);
        if (f.json) o.out(JSON.stringify({ verdict: 'error', error: err.toInfo() }, null, 2) + '\n');
        else o.err(`mediapath run: ${err.code}: ${err.message}\n`);
        setExit(2);
      }
    });
}
