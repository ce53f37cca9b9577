import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { MediaSession, PacingScheduler, type DatagramPath } from '../../../main/media/stream';
import { mutate } from './gen';

// Hostile datagrams into a whole receiving session (demux, RTP and RTCP decoding, probe and
// epoch fields, receiver statistics, RTCP handling): nothing escapes, and the session keeps
// measuring the genuine stream among them.

/** A path whose far side is the test: what the session sends is collected, what the test injects is delivered. */
function tap(): { path: DatagramPath; sent: Uint8Array[]; inject(b: Uint8Array): void } {
  const listeners: Array<(b: Uint8Array) => void> = [];
  const sent: Uint8Array[] = [];
  return {
    path: {
      send(b) {
        sent.push(b);
        return true;
      },
      onDatagram(cb) {
        listeners.push(cb);
        return { dispose: () => listeners.splice(listeners.indexOf(cb), 1) };
      },
    },
    sent,
    inject(b) {
      for (const l of [...listeners]) l(b);
    },
  };
}

describe('media session under hostile input', () => {
  it('takes 40,000 mutated RTP/RTCP datagrams interleaved with a genuine stream without throwing', () => {
    const clock = new FakeClock();
    const scheduler = new PacingScheduler({ clock });
    const random = new SeededRandom(77);
    const fuzz = new SeededRandom(78);
    // A genuine sender whose packets (RTP with probe payloads, compound RTCP, a final BYE) are
    // both delivered intact and used as the seeds of the mutations.
    const senderSide = tap();
    const sender = new MediaSession({ clock, scheduler, random: random.fork(), rtp: senderSide.path, rtcpIntervalMs: 200, direction: 'sendonly' });
    const receiverSide = tap();
    const receiver = new MediaSession({ clock, scheduler, random: random.fork(), rtp: receiverSide.path, rtcpIntervalMs: 200 });
    sender.start();
    receiver.start();
    let mutated = 0;
    let delivered = 0;
    for (let step = 0; step < 1000; step++) {
      clock.advance(20);
      for (const b of senderSide.sent.splice(0)) {
        receiverSide.inject(b);
        delivered++;
        for (let k = 0; k < 40; k++) {
          receiverSide.inject(mutate(fuzz, b));
          mutated++;
        }
      }
      if (mutated >= 40_000) break;
    }
    expect(mutated).toBeGreaterThanOrEqual(40_000);
    sender.close();
    receiver.close();
    const report = receiver.report();
    // The genuine stream was found and measured; every figure is a finite number.
    expect(report.received?.ssrc).toBe(sender.ssrc);
    expect(report.invalidDatagrams).toBeGreaterThan(0);
    const f = report.received!.figures;
    for (const [k, v] of Object.entries(f)) if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
    expect(f.received).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(500);
    expect(scheduler.size).toBe(0);
    scheduler.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
