import { describe, expect, it } from 'vitest';
import { MICROSOFT_CLIENT_EDGE, evaluateThresholds } from '../../../main/session/thresholds';
import { aggregate, mediaEpochs, mediaIntervals } from '../../../main/session/timeline-media';
import { HOST_PATH, RELAY_PATH, mediaEpoch, newTimeline } from '../../fixtures/timeline/build';

// Received figures belong to the peer's sender epoch: a stats interval carries its reception split
// by the peer's epochs (`receivedEpochs`), and each part is counted in the local epoch of that
// number, whatever path the interval was on when the loss became known.

interface Part {
  epoch: number;
  expected: number;
  lost?: number;
  burst?: number;
  unseen?: true;
  mos?: number;
}

const reception = (expected: number, lost: number, burst = 0) => ({
  expected,
  received: expected - lost,
  lost,
  lossRate: expected > 0 ? lost / expected : 0,
  duplicates: 0,
  reordered: 0,
  jitterMs: 2,
  maxJitterMs: 2,
  burstGap: { burstCount: burst > 0 ? 1 : 0, burstDensity: burst, burstDurationMs: 0, gapDensity: 0 },
});

/** A media.stats of local epoch `epoch` (1 s long), its whole reception and its per-peer-epoch parts. */
function stats(at: number, epoch: number, path: typeof HOST_PATH, rttMs: number | undefined, parts: Part[] | undefined) {
  const whole = (parts ?? []).reduce((a, p) => ({ expected: a.expected + p.expected, lost: a.lost + (p.lost ?? 0) }), { expected: 0, lost: 0 });
  return {
    type: 'media.stats',
    at,
    ssrc: 1111,
    epoch,
    path,
    stats: {
      startMs: at - 1000,
      endMs: at,
      sent: { packets: 50, heldBack: 0 },
      received: reception(whole.expected, whole.lost),
      ...(parts ? { receivedEpochs: parts.map((p) => ({ epoch: p.epoch, ...(p.unseen ? { unseen: true } : {}), ...reception(p.expected, p.lost ?? 0, p.burst ?? 0), mos: p.mos ?? 4.4 })) } : {}),
      rtt: rttMs !== undefined ? { count: 1, lastMs: rttMs, meanMs: rttMs } : { count: 0 },
      mos: 4,
    },
  };
}

function timeline(events: Array<Record<string, unknown>>) {
  const t = newTimeline();
  for (const e of events) t.append(e as never);
  return t;
}

describe('timeline media: received figures by the sender epoch', () => {
  // Local epoch 1 on the host path; the path is cut after 1.5 s; at 3 s the stream moves to the
  // relay (epoch 2); the peer's first relay packet (its epoch 2) says where its epoch 1 ended:
  // 100 packets it sent on the host path were lost, learnt in the interval ending at 3.5 s.
  const outage = [
    mediaEpoch(500, 1, HOST_PATH, 'first-success'),
    stats(1500, 1, HOST_PATH, 2, [{ epoch: 1, expected: 50 }]),
    stats(2500, 1, HOST_PATH, undefined, []),
    mediaEpoch(3000, 2, RELAY_PATH, 'consent-lost'),
    stats(3500, 2, RELAY_PATH, 80, [
      { epoch: 1, expected: 100, lost: 100, burst: 1, mos: 1 },
      { epoch: 2, expected: 20 },
    ]),
    stats(4500, 2, RELAY_PATH, 80, [{ epoch: 2, expected: 50 }]),
  ];

  it('the loss learnt on the new path counts against the old path it was sent on', () => {
    const t = timeline(outage);
    const rows = mediaIntervals(t.events);
    // The interval at 3.5 s gives two rows: the peer's epoch 1 in local epoch 1 (host), and its
    // epoch 2 in local epoch 2 with the interval's round trip and packets sent.
    const at35 = rows.filter((r) => r.at === 3500);
    expect(at35.map((r) => [r.epoch, r.senderEpoch, r.path?.kind, r.expected, r.lost, r.rttSamples, r.packetsSent])).toEqual([
      [1, 1, 'host', 100, 100, 0, undefined],
      [2, 2, 'relay', 20, 0, 1, 50],
    ]);
    const epochs = mediaEpochs(t.events);
    expect(epochs.map((e) => [e.key, e.path?.kind, e.startMs, e.endMs])).toEqual([
      ['1111:1', 'host', 500, 3000],
      ['1111:2', 'relay', 3000, 4500],
    ]);
    expect(aggregate(epochs[0]!.intervals)).toMatchObject({ expected: 150, received: 50, lost: 100, rttMs: 2, burstLossPct: 100 });
    expect(aggregate(epochs[1]!.intervals)).toMatchObject({ expected: 70, received: 70, lost: 0, lossPct: 0, rttMs: 80, burstLossPct: 0 });
    const v = evaluateThresholds(epochs, MICROSOFT_CLIENT_EDGE);
    expect(v.epochs.map((e) => [e.key, e.status])).toEqual([
      ['1111:1', 'fail'],
      ['1111:2', 'pass'],
    ]);
    expect(v.epochs[0]!.metrics.filter((m) => m.status === 'fail').map((m) => m.metric)).toEqual(['lossPct', 'burstLossPct']);
  });

  it('an unseen run of the peer, and a peer epoch with no local epoch of its number (falls back to the interval\'s epoch)', () => {
    const t = timeline([
      mediaEpoch(500, 1, HOST_PATH, 'first-success'),
      stats(1500, 1, HOST_PATH, 2, [{ epoch: 1, expected: 50 }]),
      mediaEpoch(2000, 2, RELAY_PATH, 'consent-lost'),
      stats(2500, 2, RELAY_PATH, 80, [
        { epoch: 2, expected: 7, lost: 7, burst: 1, unseen: true },
        { epoch: 3, expected: 30 },
      ]),
    ]);
    const rows = mediaIntervals(t.events).filter((r) => r.at === 2500);
    expect(rows.map((r) => [r.epoch, r.senderEpoch, r.unseen ?? false, r.lost])).toEqual([
      [2, 2, true, 7],
      [2, 3, false, 0],
    ]);
    // The interval's own round trip goes on its first row of the current epoch only.
    expect(rows.map((r) => r.rttSamples)).toEqual([1, 0]);
  });

  it('burst loss is the network\'s: packets the jitter buffer discarded arrived, so they do not make a burst here', () => {
    const e = stats(1500, 1, RELAY_PATH, 2, [{ epoch: 1, expected: 50 }]);
    const part = { ...e.stats.receivedEpochs![0]!, discardedLate: 6, burstGap: { burstCount: 1, burstDensity: 0.75 }, lossBursts: { burstCount: 0, burstPackets: 0, burstLosses: 0, burstDensity: 0 } };
    const t = timeline([mediaEpoch(500, 1, RELAY_PATH, 'first-success'), { ...e, stats: { ...e.stats, receivedEpochs: [part] } }]);
    const [row] = mediaIntervals(t.events);
    expect(row).toMatchObject({ lossPct: 0, burstLossPct: 0 });
    expect(evaluateThresholds(mediaEpochs(t.events), MICROSOFT_CLIENT_EDGE).status).toBe('pass');
    // A Timeline from before lossBursts existed keeps RFC 3611's reading (discards included).
    const old = timeline([mediaEpoch(500, 1, RELAY_PATH, 'first-success'), { ...e, stats: { ...e.stats, receivedEpochs: [{ ...part, lossBursts: undefined }] } }]);
    expect(mediaIntervals(old.events)[0]).toMatchObject({ burstLossPct: 75 });
  });

  it('without the split (an older Timeline, a peer whose packets carry no epochs) an interval stays whole in its epoch', () => {
    const t = timeline(outage.map((e) => (e.type === 'media.stats' ? { ...e, stats: { ...(e as ReturnType<typeof stats>).stats, receivedEpochs: undefined } } : e)));
    const epochs = mediaEpochs(t.events);
    expect(epochs.map((e) => [e.key, aggregate(e.intervals).lost])).toEqual([
      ['1111:1', 0],
      ['1111:2', 100],
    ]);
  });
  it('a part is filed under the local epoch on the pair it arrived on, when the two ends numbered their path changes differently', () => {
    // Here: relay over TCP for a moment (1), relay over UDP (2), host (3). The peer went relay UDP
    // (its 1) → host (its 2): by number its host packets would land in our relay epoch 2.
    const RELAY_TCP = { ...RELAY_PATH, id: 'L2/udp/relay-tcp|R1', label: 'relay/udp(tcp) 203.0.113.10:50002 → host/udp 10.0.0.2:5000' };
    const via = (epoch: number, path: { id: string }, expected: number) => ({ ...stats(0, 0, HOST_PATH, undefined, [{ epoch, expected }]).stats.receivedEpochs![0]!, via: path.id });
    const at = (t: number, epoch: number, path: typeof HOST_PATH, parts: Array<ReturnType<typeof via>>) => {
      const e = stats(t, epoch, path, 5, []);
      return { ...e, stats: { ...e.stats, receivedEpochs: parts } };
    };
    const t = timeline([
      mediaEpoch(500, 1, RELAY_TCP, 'first-success'),
      mediaEpoch(501, 2, RELAY_PATH, 'higher-priority-succeeded'),
      at(1500, 2, RELAY_PATH, [via(1, RELAY_PATH, 50)]),
      mediaEpoch(2000, 3, HOST_PATH, 'higher-priority-succeeded'),
      at(2500, 3, HOST_PATH, [via(1, RELAY_PATH, 25), via(2, HOST_PATH, 25)]),
      at(3500, 3, HOST_PATH, [via(2, HOST_PATH, 50)]),
    ]);
    const epochs = mediaEpochs(t.events);
    expect(epochs.map((e) => [e.key, e.path?.kind, aggregate(e.intervals).expected])).toEqual([
      ['1111:1', 'relay', 0],
      ['1111:2', 'relay', 75],
      ['1111:3', 'host', 75],
    ]);
  });
});
