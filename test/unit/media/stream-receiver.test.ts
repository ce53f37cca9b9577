import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { ntpFromUnixMs } from '../../../main/media/ntp';
import { decodeRtp, type RtpPacket } from '../../../main/media/rtp';
import { RtpSender, StreamReceiver } from '../../../main/media/stream';

/**
 * A sender whose packets are handed to the receiver as we choose: `plan[i]` is the epoch packet i
 * is sent in; `lose` the packets that never arrive; `delay(i)` each one's delay.
 */
function stream(plan: number[], lose: Set<number>, delay: (i: number) => number = () => 30) {
  const s = new RtpSender({ random: new SeededRandom(11) });
  const r = new StreamReceiver({ clockRate: 8000, ptimeMs: 20 });
  const arrivals: Array<{ at: number; p: RtpPacket }> = [];
  let epoch = 0;
  plan.forEach((e, i) => {
    while (epoch < e) {
      s.nextEpoch();
      epoch++;
    }
    const b = s.build(i, 20 * i);
    s.commit(b);
    const d = decodeRtp(b.bytes);
    if (d.ok && !lose.has(i)) arrivals.push({ at: 20 * i + delay(i), p: d.value });
  });
  arrivals.sort((a, b) => a.at - b.at);
  for (const a of arrivals) r.onRtp(a.p, a.at);
  return { s, r };
}

function sr(s: RtpSender, r: StreamReceiver, at: number, final: boolean) {
  r.onSenderReport(s.ssrc, ntpFromUnixMs(at), s.packets, at, final);
}

describe('stream receiver', () => {
  it('counts a clean stream and its network jitter', () => {
    const { r } = stream(Array(100).fill(0), new Set(), (i) => 30 + (i % 2) * 4);
    const f = r.figures()!;
    expect(f).toMatchObject({ expected: 100, received: 100, lost: 0, lossPct: 0, duplicates: 0 });
    // Alternating 30/34 ms transit: |D| = 4 every packet, J → 4 ms; the probe-based figure agrees.
    expect(f.jitterMs).toBeGreaterThan(3.9);
    expect(f.networkJitterMs).toBeCloseTo(f.jitterMs, 6);
    expect(f.oneWayDelayMs).toBeCloseTo(32, 6);
  });

  it('learns the packets lost after the last arrival from the final SR only', () => {
    const plan = Array(50).fill(0);
    const lose = new Set([47, 48, 49]);
    const { s, r } = stream(plan, lose);
    expect(r.figures()!.lost).toBe(0);
    sr(s, r, 900, false);
    expect(r.figures()!.lost).toBe(0);
    sr(s, r, 1100, true);
    expect(r.figures()!).toMatchObject({ expected: 50, lost: 3 });
  });

  it('splits by the sender epoch: stragglers stay in their epoch, boundary losses go to the epoch they were sent in', () => {
    // epoch 0: packets 0–29, epoch 1: 30–59, epoch 2: 60–99
    const plan = [...Array(30).fill(0), ...Array(30).fill(1), ...Array(40).fill(2)];
    // lose the last two of epoch 0 and the first three of epoch 1; packet 58 arrives 100 ms late
    const lose = new Set([28, 29, 30, 31, 32]);
    const { s, r } = stream(plan, lose, (i) => (i === 58 ? 130 : 30));
    sr(s, r, 3000, true);
    r.flush();
    const ep = r.epochReports();
    expect(ep.map((e) => [e.epoch, e.firstExtSeq, e.lastExtSeq, e.figures.expected, e.figures.received, e.figures.lost])).toEqual([
      [0, 0, 29, 30, 28, 2],
      [1, 30, 59, 30, 27, 3],
      [2, 60, 99, 40, 40, 0],
    ]);
    expect(ep.every((e) => e.endKnown && !e.unseen)).toBe(true);
    expect(ep[1]!.figures.reordered).toBe(1);
    const total = r.figures()!;
    expect(total.lost).toBe(5);
    expect(ep.reduce((n, e) => n + e.figures.expected, 0)).toBe(total.expected);
  });

  it('a straggler of the old path arriving after the new path\'s first packets is not reordered', () => {
    // epoch 0: packets 0–19 on a slow path (80 ms), epoch 1: 20–39 on a fast one (10 ms): packets
    // 17–19 arrive after 20–22, each path in order.
    const plan = [...Array(20).fill(0), ...Array(20).fill(1)];
    const { r } = stream(plan, new Set(), (i) => (i < 20 ? 80 : 10));
    const interval = r.snapshotInterval(2000)!;
    expect(interval).toMatchObject({ expected: 40, received: 40, lost: 0, reordered: 0 });
    for (const e of r.epochReports()) expect(e.figures.reordered).toBe(0);
  });

  it('still counts reordering inside one epoch', () => {
    const { r } = stream(Array(20).fill(0), new Set(), (i) => (i === 5 ? 70 : 10));
    expect(r.snapshotInterval(1000)!.reordered).toBeGreaterThan(0);
  });

  it('an epoch of which nothing arrived is one unseen entry, so every number is still accounted for', () => {
    // epoch 0: 0–19; epoch 1: 20–29, all lost; epoch 2: 30–49
    const plan = [...Array(20).fill(0), ...Array(10).fill(1), ...Array(20).fill(2)];
    const lose = new Set([18, 19, ...Array.from({ length: 10 }, (_, i) => 20 + i), 30]);
    const { s, r } = stream(plan, lose);
    sr(s, r, 2000, true);
    const ep = r.epochReports();
    expect(ep.map((e) => [e.epoch, e.unseen, e.firstExtSeq, e.lastExtSeq, e.figures.lost, e.endKnown])).toEqual([
      // epoch 0's tail cannot be told from epoch 1's packets: it ends at its last arrival
      [0, false, 0, 17, 0, false],
      [1, true, 18, 29, 12, true],
      [2, false, 30, 49, 1, true],
    ]);
    expect(ep.reduce((n, e) => n + e.figures.expected, 0)).toBe(50);
  });

  it('locks onto the first SSRC and counts others apart', () => {
    const a = new RtpSender({ random: new SeededRandom(1) });
    const b = new RtpSender({ random: new SeededRandom(2) });
    const r = new StreamReceiver({ clockRate: 8000, ptimeMs: 20 });
    for (let i = 0; i < 10; i++) {
      for (const s of [a, b]) {
        const p = s.build(i, 20 * i);
        s.commit(p);
        const d = decodeRtp(p.bytes);
        if (d.ok) r.onRtp(d.value, 20 * i + 5);
      }
    }
    expect(r.ssrc).toBe(a.ssrc);
    expect(r.foreignPackets).toBe(10);
    expect(r.figures()!.received).toBe(10);
  });
});

/**
 * Hand-made arrival sequences fed up to a time, with interval snapshots between: `plan[i]` is the
 * sender epoch of packet i (sent at 20·i ms); `delay(i)` its transit, undefined when it is lost.
 */
function timed(plan: number[], delay: (i: number) => number | undefined) {
  const s = new RtpSender({ random: new SeededRandom(5) });
  const r = new StreamReceiver({ clockRate: 8000, ptimeMs: 20 });
  const arrivals: Array<{ at: number; p: RtpPacket }> = [];
  let epoch = 0;
  plan.forEach((e, i) => {
    while (epoch < e) {
      s.nextEpoch();
      epoch++;
    }
    const b = s.build(i, 20 * i);
    s.commit(b);
    const d = decodeRtp(b.bytes);
    const ms = delay(i);
    if (d.ok && ms !== undefined) arrivals.push({ at: 20 * i + ms, p: d.value });
  });
  arrivals.sort((a, b) => a.at - b.at);
  let next = 0;
  const until = (t: number): void => {
    for (; next < arrivals.length && arrivals[next]!.at <= t; next++) r.onRtp(arrivals[next]!.p, arrivals[next]!.at);
  };
  return { s, r, until };
}

const brief = (x: { epoch: number; expected: number; received: number; lost: number; unseen?: true; burstGap: { burstDensity: number } }) => ({
  epoch: x.epoch,
  expected: x.expected,
  received: x.received,
  lost: x.lost,
  burst: x.burstGap.burstDensity,
  ...(x.unseen ? { unseen: true } : {}),
});

describe('stream receiver: interval figures per sender epoch', () => {
  it('a path cut before a switch: the lost end of the old epoch counts in the old epoch, once the new one starts', () => {
    // epoch 1: packets 0–99 (0–1980 ms), the path cut at 1000 ms (50–99 lost); epoch 2: 100–199 on another path.
    const plan = [...Array(100).fill(1), ...Array(100).fill(2)];
    const { r, until } = timed(plan, (i) => (i < 50 ? 10 : i < 100 ? undefined : 40));
    until(1000);
    expect(r.snapshotIntervals(1000).epochs.map(brief)).toEqual([{ epoch: 1, expected: 50, received: 50, lost: 0, burst: 0 }]);
    // Nothing arrives in the outage: nothing new is known.
    until(2000);
    const quiet = r.snapshotIntervals(2000);
    expect(quiet.epochs).toEqual([]);
    expect(quiet.stream).toMatchObject({ expected: 0, received: 0 });
    // Epoch 2's first packet (sent at 2000 ms) says epoch 1 had 100 packets. The receiver's stream
    // view puts the 50 losses in this interval with epoch 2's packets; per epoch they are epoch 1's.
    until(3000);
    const after = r.snapshotIntervals(3000);
    expect(after.stream).toMatchObject({ expected: 99, received: 49, lost: 50 });
    expect(after.epochs.map(brief)).toEqual([
      { epoch: 1, expected: 50, received: 0, lost: 50, burst: 1 },
      { epoch: 2, expected: 49, received: 49, lost: 0, burst: 0 },
    ]);
    until(5000);
    expect(r.snapshotIntervals(5000).epochs.map(brief)).toEqual([{ epoch: 2, expected: 51, received: 51, lost: 0, burst: 0 }]);
  });

  it('the lost end waits for stragglers of the old path: they are received, not discarded or lost', () => {
    // epoch 1 on a slow path (300 ms), epoch 2 on a fast one (10 ms) from packet 50 (1000 ms):
    // packets 37–49 of epoch 1 arrive after epoch 2's first packet.
    const plan = [...Array(50).fill(1), ...Array(50).fill(2)];
    const { r, until } = timed(plan, (i) => (i < 50 ? 300 : 10));
    until(1020);
    const first = r.snapshotIntervals(1020).epochs.map(brief);
    expect(first).toEqual([
      { epoch: 1, expected: 37, received: 37, lost: 0, burst: 0 },
      { epoch: 2, expected: 1, received: 1, lost: 0, burst: 0 },
    ]);
    until(3000);
    const rest = r.snapshotIntervals(3000);
    expect(rest.epochs.map(brief)).toEqual([
      { epoch: 1, expected: 13, received: 13, lost: 0, burst: 0 },
      { epoch: 2, expected: 49, received: 49, lost: 0, burst: 0 },
    ]);
    expect(rest.epochs.every((e) => e.discardedLate === 0 && e.reordered === 0)).toBe(true);
  });

  it('an epoch of which nothing arrived is an unseen entry of its own in the interval its successor begins', () => {
    // epoch 0: 0–19, epoch 1: 20–29 (all lost), epoch 2: 30–49
    const plan = [...Array(20).fill(0), ...Array(10).fill(1), ...Array(20).fill(2)];
    const { r, until } = timed(plan, (i) => (i >= 20 && i < 30 ? undefined : 10));
    until(500);
    expect(r.snapshotIntervals(500).epochs.map(brief)).toEqual([{ epoch: 0, expected: 20, received: 20, lost: 0, burst: 0 }]);
    until(2000);
    expect(r.snapshotIntervals(2000).epochs.map(brief)).toEqual([
      { epoch: 1, expected: 10, received: 0, lost: 10, burst: 1, unseen: true },
      { epoch: 2, expected: 20, received: 20, lost: 0, burst: 0 },
    ]);
  });

  it('the last epoch\'s lost end is counted from the sender\'s final count', () => {
    const { s, r, until } = timed(Array(60).fill(0), (i) => (i < 55 ? 10 : undefined));
    until(2000);
    expect(r.snapshotIntervals(2000).epochs.map(brief)).toEqual([{ epoch: 0, expected: 55, received: 55, lost: 0, burst: 0 }]);
    r.onSenderReport(s.ssrc, ntpFromUnixMs(2100), s.packets, 2100, true);
    expect(r.snapshotIntervals(3000).epochs.map(brief)).toEqual([{ epoch: 0, expected: 5, received: 0, lost: 5, burst: 1 }]);
    r.flush();
    expect(r.epochReports().map((e) => [e.epoch, e.figures.expected, e.figures.lost])).toEqual([[0, 60, 5]]);
  });
});
