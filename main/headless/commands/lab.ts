import type { Command } from 'commander';
import { MediapathError } from '../../common/errors';
import { ICE_SCENARIOS, runIceScenario, type IceScenarioName, type IceScenarioResult } from '../../lab/ice-scenarios';
import type { IceStrategy } from '../../ice/agent';
import type { Output } from '../output';
import { registerLabSip } from './lab-sip';

interface LabIceFlags {
  scenario?: string;
  strategy: string;
  seed: string;
  delay: string;
  json?: boolean;
}

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

function printIce(r: IceScenarioResult, o: Output): void {
  const L: string[] = [];
  L.push(`ICE scenario ${r.scenario}, strategy ${r.strategy}, seed ${r.seed} (virtual network, lab TURN server)`);
  L.push('  gathering:');
  for (const g of r.gather.filter((x) => x.kind !== 'host')) L.push(`    ${g.kind.padEnd(6)} ${(g.server ?? '').padEnd(28)} ${(g.protocol ?? '').padEnd(4)} ${g.state}${g.reason ? `: ${g.reason}` : ''}`);
  const cand = (c: IceScenarioResult['candidates']['local'][number]): string => `${c.type.padEnd(6)} ${c.transport}${c.relayProtocol && c.type === 'relay' ? ` via ${c.relayProtocol}` : ''}  ${c.address}:${c.port}`;
  L.push('  local candidates:');
  for (const c of r.candidates.local) L.push(`    ${cand(c)}`);
  L.push('  remote candidates:');
  for (const c of r.candidates.remote) L.push(`    ${cand(c)}`);
  L.push(`  checks: ${Object.entries(r.checks).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push('  path timeline (ms after checks start):');
  for (const p of r.pathChanges) L.push(`    ${String(p.at).padStart(6)}  ${p.reason.padEnd(26)} ${p.to ?? '(none)'}`);
  L.push(`  selected: ${r.selected ? `${r.selected.path} path: ${cand(r.selected.local)} → ${cand(r.selected.remote)}` : 'none'}`);
  L.push(`  expected: ${r.expected.path}${r.expected.relayProtocol ? ` (relay over ${r.expected.relayProtocol})` : ''}${r.applicable ? '' : ` — not applicable to ${r.strategy}`}`);
  L.push(r.ok ? '  OK' : `  FAILED${r.error ? ` ${r.error.code}: ${r.error.message}` : ''}`);
  o.out(L.join('\n') + '\n');
}

export function registerLab(program: Command, o: Output, setExit: (code: number) => void): void {
  const lab = program.command('lab').description('Run field scenarios in the embedded lab (virtual network, lab servers).');
  lab
    .command('ice')
    .description(`Two ICE agents across a virtual network; scenarios: ${ICE_SCENARIOS.join(', ')}`)
    .requiredOption('--scenario <name>', 'scenario name')
    .option('--strategy <lync|rfc8445>', 'check strategy', 'lync')
    .option('--seed <n>', 'random seed', '1')
    .option('--delay <ms>', 'one-way delay of each site uplink and of the relay link', '10')
    .option('--json', 'print one JSON object on stdout')
    .action(async (f: LabIceFlags) => {
      try {
        if (!ICE_SCENARIOS.includes(f.scenario as IceScenarioName)) throw usage(`--scenario must be one of ${ICE_SCENARIOS.join(', ')}, got "${f.scenario}"`);
        if (f.strategy !== 'lync' && f.strategy !== 'rfc8445') throw usage(`--strategy must be lync or rfc8445, got "${f.strategy}"`);
        const seed = Number(f.seed);
        const delay = Number(f.delay);
        if (!Number.isInteger(seed) || seed < 0) throw usage(`--seed must be a non-negative integer, got "${f.seed}"`);
        if (!Number.isFinite(delay) || delay < 0 || delay > 5000) throw usage(`--delay must be 0–5000 ms, got "${f.delay}"`);
        const r = await runIceScenario(f.scenario as IceScenarioName, { strategy: f.strategy as IceStrategy, seed, linkDelayMs: delay });
        if (f.json) o.out(JSON.stringify(r, null, 2) + '\n');
        else printIce(r, o);
        setExit(r.ok ? 0 : 1);
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ ok: false, error: err.toInfo() }, null, 2) + '\n');
        else o.err(`mediapath lab ice: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' || err.code === 'SCENARIO_INVALID' ? 2 : 1);
      }
    });
  registerLabSip(lab, o, setExit);
}
