import type { Command } from 'commander';
import { describeScenario, formatScenarioIssue, redactScenario, validateScenarioFile } from '../scenario';
import type { Output } from '../output';

interface CheckFlags {
  json?: boolean;
}

/**
 * `mediapath scenario check FILE`: loads a scenario as `mediapath run` will, and says what it
 * would do, or lists every problem with its file, line and field. Exit 0 when valid, 2 when not.
 */
export function registerScenario(program: Command, o: Output, setExit: (code: number) => void): void {
  const scenario = program.command('scenario').description('Scenario files for `mediapath run` (docs/scenario-reference.md).');
  scenario
    .command('check')
    .description('Check a scenario file: schema, ${ENV:NAME} secrets, paths; print what it would run.')
    .argument('<file>', 'scenario file (YAML)')
    .option('--json', 'print one JSON object on stdout (the scenario with passwords redacted, or the issues)')
    .action(async (file: string, f: CheckFlags) => {
      const r = await validateScenarioFile(file);
      if (r.ok) {
        if (f.json) o.out(JSON.stringify({ ok: true, scenario: redactScenario(r.value) }, null, 2) + '\n');
        else o.out(`${file}: ok\n  ${describeScenario(r.value)}\n`);
        setExit(0);
        return;
      }
      if (f.json) o.out(JSON.stringify({ ok: false, issues: r.error }, null, 2) + '\n');
      else o.err(r.error.map((i) => `${i.line > 0 ? formatScenarioIssue(i) : `${i.file}: ${i.message}`}\n`).join(''));
      setExit(2);
    });
}
