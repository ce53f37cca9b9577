import type { Command } from 'commander';
import type { Output } from '../output';
import { accountOptions, runFromFlags, scenarioDocument, type AccountFlags } from './call';

interface AnswerFlags extends AccountFlags {
  calls: string;
  timeout: string;
  duration?: string;
}

/**
 * `mediapath answer`: register, get MRAS credentials, and answer calls automatically — 183 with
 * our candidates and checks at once, 200 OK, the final re-INVITE answered with our chosen
 * candidate, media until the caller hangs up (or `--duration`) — the far end of another run.
 */
export function registerAnswer(program: Command, o: Output, setExit: (code: number) => void): void {
  accountOptions(program.command('answer').description("Register and answer calls automatically (a scenario file's `answer`, from flags)."))
    .option('--calls <n>', 'how many calls to answer before ending', '1')
    .option('--timeout <s>', 'seconds to wait for each call', '300')
    .option('--duration <s>', 'hang up each call after this long (default: when the caller does)')
    .action(async (f: AnswerFlags) => {
      const doc = scenarioDocument(f, {
        answer: { calls: Number(f.calls), timeout: Number(f.timeout), ...(f.duration !== undefined ? { duration: Number(f.duration) } : {}) },
      });
      setExit(await runFromFlags('answer', doc, f, o, program.version() ?? '0.0.0'));
    });
}
