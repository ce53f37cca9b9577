import type { Command } from 'commander';
import * as path from 'node:path';
import { CryptoRandom, SeededRandom } from '../../common/random';
import { MediapathError, toErrorInfo } from '../../common/errors';
import { CALL_SCENARIOS, startLoopbackLab, startVirtualLab, type CallScenarioName, type LabCallWorld } from '../../lab/call-lab';
import { PacingScheduler } from '../../media/stream';
import { humanSummary, type Report } from '../../report';
import { thresholdsEntry } from '../../session/call-events';
import { runTwoPartyCall } from '../../session/call-run';
import { DEFAULT_PROFILE } from '../../session/thresholds';
import type { Output } from '../output';
import { warmUpCallCode } from '../../serve/warm-up';
import { allFiles, concludeRun, disturbanceNote, progressPrinter, writeRunFiles } from './call-output';

interface DemoFlags {
  scenario?: string;
  seed: string;
  strategy: string;
  dialect: string;
  duration?: string;
  out?: string;
  labTurn?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

/** Whether the report shows what the scenario's world expects (path, path change, diagnoses). */
export function expectationMet(world: Pick<LabCallWorld, 'expected'>, r: Report): { ok: boolean; detail: string } {
  const exp = world.expected;
  const final = r.finalPath;
  const pathOk = exp.path === null ? !final : final?.pathKind === exp.path;
  // Through our own relay: reached over the expected transport (`relay/udp(tcp) …` in the label).
  const relayOk = !exp.relayProtocol || final?.local !== 'relay' || final.label.startsWith(`relay/udp(${exp.relayProtocol})`);
  const changeOk = !exp.pathChange || r.pathChanges.some((c) => c.reason === exp.pathChange);
  const ids = r.diagnoses.map((d) => d.id);
  const diagOk = ids.length === exp.diagnoses.length && ids.every((id, i) => id === exp.diagnoses[i]);
  const want = `${exp.path ?? 'no path'}${exp.relayProtocol ? ` (relay over ${exp.relayProtocol})` : ''}${exp.pathChange ? `, a ${exp.pathChange} change` : ''}, diagnoses [${exp.diagnoses.join(', ')}]`;
  const got = `${final?.pathKind ?? 'no path'}, diagnoses [${ids.join(', ')}]`;
  const ok = pathOk && relayOk && changeOk && diagOk;
  return { ok, detail: ok ? `as expected: ${want}` : `expected ${want}; got ${got}` };
}

/**
 * `mediapath demo`: the product's main job on one machine. It starts the lab in this process
 * (registrar with provisioning and MRAS, and a TURN server: coturn on loopback when installed,
 * else the lab's own), registers two accounts on loopback, makes a call whose path is promoted
 * from the relay to the direct path while media runs, prints every phase as it happens and the
 * summary, and writes the reports. `--scenario` runs a field scenario end to end on the virtual
 * network instead (fake time: seconds of call in well under a second).
 */
export function registerDemo(program: Command, o: Output, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description(`A whole call in the embedded lab: registration, MRAS, gathering, checks with a promotion, media, reports. Scenarios on the virtual network: ${CALL_SCENARIOS.join(', ')}`)
    .option('--scenario <name>', 'run a field scenario on the virtual network instead of loopback')
    .option('--seed <n>', 'random seed of a --scenario run', '1')
    .option('--strategy <lync|rfc8445>', 'ICE check strategy', 'lync')
    .option('--dialect <v19|multipart-draft6>', 'ICE dialect of the offer', 'multipart-draft6')
    .option('--duration <s>', 'seconds of media after the answer (default 5; 12 for consent-loss)')
    .option('--out <dir>', 'where the reports go', 'mediapath-demo')
    .option('--lab-turn', 'use the lab TURN server even when coturn is installed')
    .option('--json', 'print the JSON report on stdout (progress still on stderr unless --quiet)')
    .option('--quiet', 'no progress lines')
    .action(async (f: DemoFlags) => {
      let world: LabCallWorld | undefined;
      let scheduler: PacingScheduler | undefined;
      try {
        if (f.scenario !== undefined && !CALL_SCENARIOS.includes(f.scenario as CallScenarioName)) throw usage(`--scenario must be one of ${CALL_SCENARIOS.join(', ')}, got "${f.scenario}"`);
        if (f.strategy !== 'lync' && f.strategy !== 'rfc8445') throw usage(`--strategy must be lync or rfc8445, got "${f.strategy}"`);
        if (f.dialect !== 'v19' && f.dialect !== 'multipart-draft6') throw usage(`--dialect must be v19 or multipart-draft6, got "${f.dialect}"`);
        const seed = Number(f.seed);
        if (!Number.isInteger(seed) || seed < 0) throw usage(`--seed must be a non-negative integer, got "${f.seed}"`);
        const duration = f.duration === undefined ? undefined : Number(f.duration);
        if (duration !== undefined && !(Number.isFinite(duration) && duration >= 1 && duration <= 3600)) throw usage(`--duration must be 1–3600 seconds, got "${f.duration}"`);
        const name = f.scenario as CallScenarioName | undefined;
        // The first call of a fresh process meets cold code (module loading, the JIT): one quick
        // call on the virtual network first, in fake time, so the real call measures the path.
        if (!name) await warmUpCallCode();
        world = name ? await startVirtualLab(name, { seed, ...(duration ? { mediaMs: duration * 1000 } : {}) }) : await startLoopbackLab({ ...(f.labTurn ? { labTurn: true } : {}), ...(duration ? { mediaMs: duration * 1000 } : {}) });
        const w = world;
        if (!f.quiet) o.err(`mediapath demo${name ? ` --scenario ${name}` : ''}: the lab is up\n${w.description.map((d) => `  ${d}\n`).join('')}`);
        const random = w.kind === 'virtual' ? new SeededRandom(seed) : undefined;
        // On the virtual network the stream is paced on the run's own fake clock.
        scheduler = w.kind === 'virtual' ? new PacingScheduler({ clock: w.clock }) : undefined;
        const profile = DEFAULT_PROFILE;
        const print = f.quiet ? undefined : progressPrinter(o, w.clock.now());
        const result = await runTwoPartyCall(w, {
          strategy: f.strategy,
          dialect: f.dialect,
          codec: 'PCMU',
          random: random ? { caller: random.fork(), callee: random.fork() } : { caller: new CryptoRandom(), callee: new CryptoRandom() },
          toolVersion: programVersion(program),
          title: `demo ${name ?? 'loopback'}`,
          meta: { demo: name ?? 'loopback', network: w.kind, turn: w.turn.kind, strategy: f.strategy, dialect: f.dialect, ...(w.kind === 'virtual' ? { seed } : {}) },
          preamble: [thresholdsEntry(0, profile)],
          ...(scheduler ? { scheduler } : {}),
          ...(print ? { onEntry: (side, e) => side === 'caller' && print(e) } : {}),
        });
        scheduler?.close();
        await w.close();
        const report = concludeRun(result.caller.timeline, profile);
        const dir = path.resolve(f.out ?? 'mediapath-demo', name ?? 'loopback');
        const files = await writeRunFiles(report, result.caller.timeline, allFiles(dir), result.callee.timeline);
        const left = w.leftovers();
        if (f.json) {
          o.out(JSON.stringify(report, null, 2) + '\n');
        } else {
          const exp = expectationMet(w, report);
          o.out(humanSummary(report));
          o.out(`\n${name ? `Scenario ${name}: ${exp.detail}\n` : ''}Reports (caller's side): ${dir}\n${files.map((p) => `  ${path.relative(dir, p)}\n`).join('')}`);
          o.out(disturbanceNote(result.caller.timeline));
          if (left.timers || left.openResources) o.out(`Leftovers after the lab stopped: ${left.timers} timers, ${left.openResources} open sockets\n`);
        }
        setExit(report.exitCode);
      } catch (e) {
        scheduler?.close();
        await world?.close().catch(() => undefined);
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ verdict: 'error', error: toErrorInfo(err) }, null, 2) + '\n');
        else o.err(`mediapath demo: ${err.code}: ${err.message}\n`);
        setExit(2);
      }
    });
}

function programVersion(program: Command): string {
  return program.version() ?? '0.0.0';
}
