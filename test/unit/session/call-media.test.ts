import { describe, expect, it } from 'vitest';
import type { MediaIntervalStats } from '../../../main/media/stream';
import { flatMediaFigures } from '../../../main/session/call-media';

// The UI's flat figures of one interval: whole-interval values, and the received split filed under
// OUR epoch on the pair each part arrived on (the peer numbers its own moves).

const part = (epoch: number, expected: number, lost: number, extra: Record<string, unknown> = {}) => ({
  epoch,
  startMs: 0,
  endMs: 1000,
  expected,
  received: expected - lost,
  lost,
  lossRate: expected ? lost / expected : 0,
  duplicates: 0,
  reordered: 0,
  jitterMs: 3,
  maxJitterMs: 3,
  mos: 4.2,
  ...extra,
});

function interval(parts: Array<ReturnType<typeof part>>): MediaIntervalStats {
  return {
    startMs: 0,
    endMs: 1000,
    sent: { packets: 50, heldBack: 0 },
    received: part(0, 100, 10) as never,
    receivedEpochs: parts as never,
    rtt: { count: 1, lastMs: 4, meanMs: 4 },
    mos: 4,
  } as unknown as MediaIntervalStats;
}

describe('flat media figures', () => {
  it('file each received part under our epoch on its pair, adding up parts that meet there', () => {
    const f = flatMediaFigures(
      interval([
        part(1, 20, 0, { via: 'relay-tcp', localEpoch: 2, mos: 4.0 }),
        part(2, 30, 0, { via: 'relay-udp', localEpoch: 2, mos: 4.3 }),
        part(3, 50, 10, { via: 'host', localEpoch: 3 }),
      ]),
    );
    expect(f.byEpoch).toEqual([
      { epoch: 2, packetsExpected: 50, packetsReceived: 50, lossPct: 0, jitterMs: 3, mos: 4.3 },
      { epoch: 3, packetsExpected: 50, packetsReceived: 40, lossPct: 20, jitterMs: 3, mos: 4.2 },
    ]);
    expect(f).toMatchObject({ packetsSent: 50, packetsReceived: 90, lossPct: 10, rttMs: 4, mos: 4 });
  });

  it('without a pair, a part keeps the peer\'s epoch number', () => {
    expect(flatMediaFigures(interval([part(4, 10, 10)])).byEpoch).toEqual([{ epoch: 4, packetsExpected: 10, packetsReceived: 0, lossPct: 100, mos: 4.2 }]);
  });
});
