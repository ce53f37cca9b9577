import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { registerLab } from './commands/lab';
import { registerLabMedia } from './commands/lab-media';
import { registerRegister } from './commands/register';
import { registerServe } from './commands/serve';
import { registerScenario } from './commands/scenario';
import { registerDemo } from './commands/demo';
import { registerRun } from './commands/run';
import { registerCall } from './commands/call';
import { registerAnswer } from './commands/answer';
import { registerReport } from './commands/report';
import { registerTurnProbe } from './commands/turn-probe';
import { processOutput, type Output } from './output';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the command tree; each command module registers itself here. */
export function buildProgram(setExit: (code: number) => void, o: Output = processOutput): Command {
  const program = new Command('mediapath')
    .description('See and measure how a call gets its audio path through NATs, firewalls and media relays.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (t) => o.out(t), writeErr: (t) => o.err(t) });
  registerTurnProbe(program, o, setExit);
  registerLab(program, o, setExit);
  registerLabMedia(program, o, setExit);
  registerServe(program, o, setExit);
  registerScenario(program, o, setExit);
  registerDemo(program, o, setExit);
  registerRun(program, o, setExit);
  registerCall(program, o, setExit);
  registerAnswer(program, o, setExit);
  registerReport(program, o, setExit);
  registerRegister(program, o, setExit);
  return program;
}

/** Entry point: returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], o: Output = processOutput): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c), o);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}
