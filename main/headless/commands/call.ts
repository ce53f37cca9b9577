import type { Command } from 'commander';
import { isIP } from 'node:net';
import { parseHostPort } from '../../common/address';
import { parseScenario, type Scenario, type ScenarioIssue } from '../scenario';
import type { Output } from '../output';
import { cliError, executeScenario, type RunFlags } from './run';

/**
 * `mediapath call` and `mediapath answer`: a scenario given as flags. The flags become the same
 * document a scenario file holds and go through the same checks (docs/scenario-reference.md), so
 * both ways of running behave alike; `--password-env NAME` keeps the password off the command line.
 */

export interface AccountFlags extends RunFlags {
  registrar: string;
  transport: string;
  aor: string;
  username?: string;
  password?: string;
  passwordEnv?: string;
  insecure?: boolean;
  dialect: string;
  strategy: string;
  codec: string;
  ptime?: string;
  thresholds: string;
  out?: string;
  name?: string;
}

/** The flags every call-making command shares. */
export function accountOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--registrar <host[:port]>', 'registrar and outbound proxy (name or IP, port 5060/5061 by default)')
    .option('--transport <udp|tcp|tls>', 'SIP transport', 'udp')
    .requiredOption('--aor <sip-uri>', 'address of record, e.g. sip:alice@example.com')
    .option('--username <name>', 'digest user name (default: the AOR user part)')
    .option('--password <pw>', 'digest password (visible to other users of this machine: prefer --password-env)')
    .option('--password-env <NAME>', 'take the password from this environment variable')
    .option('--insecure', 'TLS: accept a self-signed registrar certificate (a lab only)')
    .option('--dialect <v19|multipart-draft6>', 'ICE dialect of the offer', 'v19')
    .option('--strategy <lync|rfc8445>', 'ICE check strategy', 'lync')
    .option('--codec <PCMU|PCMA|G722|opus>', 'codec of the synthetic stream', 'PCMU')
    .option('--ptime <ms>', 'packet time')
    .option('--thresholds <profile>', 'microsoft-client-edge or microsoft-edge-edge', 'microsoft-client-edge')
    .option('--out <dir>', 'write report.json, junit.xml, intervals.csv (appended), summary.txt and timeline.jsonl there')
    .option('--name <name>', 'a name for the run in reports')
    .option('--json', 'print the JSON report on stdout')
    .option('--quiet', 'no progress lines on stderr');
}

/** `${` would be read as an environment reference by the scenario loader: write it literally. */
const literal = (s: string): string => s.replace(/\$\{/g, '$${');

/** The scenario document the flags describe. */
export function scenarioDocument(f: AccountFlags, mode: { call?: Record<string, unknown>; answer?: Record<string, unknown> }): Record<string, unknown> {
  const name = f.name ?? (mode.call ? 'call' : 'answer');
  const hp = parseHostPort(f.registrar);
  const host = hp?.host ?? f.registrar.replace(/^\[(.*)\]$/, '$1');
  const registrar = {
    ...(isIP(host) ? { address: host } : { host: literal(host) }),
    ...(hp ? { port: hp.port } : {}),
    transport: f.transport,
    ...(f.insecure ? { tls: { insecure: true } } : {}),
  };
  const password = f.passwordEnv !== undefined ? `\${ENV:${f.passwordEnv}}` : f.password !== undefined ? literal(f.password) : undefined;
  return {
    name: literal(name),
    registrar,
    accounts: [{ id: 'me', aor: literal(f.aor), ...(f.username ? { username: literal(f.username) } : {}), ...(password !== undefined ? { password } : {}) }],
    dialect: f.dialect,
    strategy: f.strategy,
    ...mode,
    media: { codec: f.codec, ...(f.ptime !== undefined ? { ptime: Number(f.ptime) } : {}) },
    thresholds: f.thresholds,
    ...(f.out ? { output: { dir: f.out, json: 'report.json', junit: 'junit.xml', csv: 'intervals.csv', summary: 'summary.txt', timeline: 'timeline.jsonl' } } : {}),
  };
}

/** Checks the flags as a scenario; issues name the field (`call.duration: …`). */
export function scenarioFromFlags(command: string, doc: Record<string, unknown>): { ok: true; value: Scenario } | { ok: false; error: ScenarioIssue[] } {
  const r = parseScenario(JSON.stringify(doc, null, 1), { file: `(${command} flags)`, env: process.env, baseDir: process.cwd() });
  return r.ok ? { ok: true, value: r.value } : { ok: false, error: r.error };
}

export function printFlagIssues(command: string, issues: readonly ScenarioIssue[], o: Output, json: boolean | undefined): void {
  if (json) o.out(JSON.stringify({ verdict: 'error', issues: issues.map((i) => ({ field: i.field, message: i.message })) }, null, 2) + '\n');
  else o.err(issues.map((i) => `mediapath ${command}: ${i.field ? `${i.field}: ` : ''}${i.message}\n`).join(''));
}

export async function runFromFlags(command: string, doc: Record<string, unknown>, f: RunFlags, o: Output, version: string): Promise<number> {
  const s = scenarioFromFlags(command, doc);
  if (!s.ok) {
    printFlagIssues(command, s.error, o, f.json);
    return 2;
  }
  try {
    return await executeScenario(s.value, o, f, version);
  } catch (e) {
    const err = cliError(e);
    if (f.json) o.out(JSON.stringify({ verdict: 'error', error: err.toInfo() }, null, 2) + '\n');
    else o.err(`mediapath ${command}: ${err.code}: ${err.message}\n`);
    return 2;
  }
}

interface CallFlags extends AccountFlags {
  target: string;
  duration: string;
  answerTimeout: string;
}

export function registerCall(program: Command, o: Output, setExit: (code: number) => void): void {
  accountOptions(
    program
      .command('call')
      .description('Register, get MRAS credentials, call TARGET, run media, report (a scenario file\'s `call`, from flags).')
      .requiredOption('--target <sip-uri>', 'whom to call'),
  )
    .option('--duration <s>', 'seconds of media after the answer', '10')
    .option('--answer-timeout <s>', 'seconds to wait for the 200 OK', '30')
    .action(async (f: CallFlags) => {
      const doc = scenarioDocument(f, { call: { target: literal(f.target), duration: Number(f.duration), answerTimeout: Number(f.answerTimeout) } });
      setExit(await runFromFlags('call', doc, f, o, program.version() ?? '0.0.0'));
    });
}
