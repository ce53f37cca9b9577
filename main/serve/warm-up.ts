import { SeededRandom } from '../common/random';
import { startVirtualLab } from '../lab/call-lab';
import { PacingScheduler } from '../media/stream';
import { runTwoPartyCall } from '../session/call-run';

let done: Promise<void> | undefined;

/**
 * One short call on the virtual network (virtual time, no sockets), once per process, before the
 * first real call. The first real call otherwise runs while V8 is still compiling the call's
 * code paths: its own sends leave late and its receivers measure that lateness as jitter and
 * one-way delay, so the first lab call of a fresh process could miss a threshold the network
 * did not cause. Later calls reuse the first warm-up.
 */
export function warmUpCallCode(): Promise<void> {
  done ??= (async () => {
    const w = await startVirtualLab('inside-inside', { seed: 1, mediaMs: 1000 });
    const scheduler = new PacingScheduler({ clock: w.clock });
    const random = new SeededRandom(1);
    try {
      await runTwoPartyCall(w, { strategy: 'lync', dialect: 'multipart-draft6', codec: 'PCMU', random: { caller: random.fork(), callee: random.fork() }, toolVersion: 'warm-up', title: 'warm-up', scheduler });
    } finally {
      scheduler.close();
      await w.close();
    }
  })();
  return done;
}
