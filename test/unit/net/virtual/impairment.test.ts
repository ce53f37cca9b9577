import { describe, expect, it } from 'vitest';
import type { DatagramSocket } from '../../../../main/net/types';
import type { ImpairmentSpec, VirtualNetwork } from '../../../../main/net/virtual';
import type { FakeClock } from '../../../../main/common/clock';
import { closeAndCheck, makeNetwork } from './support';

/** A sender and a receiver on the internet; the receiver's link carries the impairment. */
async function pair(spec: ImpairmentSpec | ImpairmentSpec[], seed = 1) {
  const { clock, net } = makeNetwork(seed, {
    // The label is the sequence number carried in the first 4 bytes, as a media test would do with RTP.
    truth: { label: (b, proto) => (proto === 'udp' && b.length >= 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0) : undefined) },
  });
  const a = net.addHost('a', { ip: '203.0.113.1' });
  const b = net.addHost('b', { ip: '203.0.113.2' });
  b.link().impair(spec, 'ingress');
  const tx = await a.bindUdp({ ip: '0.0.0.0', port: 5000 });
  const rx = await b.bindUdp({ ip: '0.0.0.0', port: 6000 });
  const arrivals: { seq: number; at: number }[] = [];
  rx.onMessage((bytes) => arrivals.push({ seq: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), at: clock.now() }));
  return { clock, net, tx, rx, arrivals };
}

/** Sends `n` numbered datagrams, one every `everyMs`, then waits for stragglers. */
function stream(clock: FakeClock, tx: DatagramSocket, n: number, everyMs = 20, size = 172): void {
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(size);
    new DataView(b.buffer).setUint32(0, i);
    tx.send(b, { ip: '203.0.113.2', port: 6000 });
    clock.advance(everyMs);
  }
  clock.advance(5000);
}

function lossRuns(net: VirtualNetwork): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const r of net.truth.records({ proto: 'udp' })) {
    if (r.fate === 'dropped') run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  if (run > 0) runs.push(run);
  return runs;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('impairment: loss', () => {
  it('random loss: every datagram the receiver misses is a ground-truth drop, and only those', async () => {
    const { clock, net, tx, arrivals } = await pair({ loss: 0.1 });
    stream(clock, tx, 5000);
    const dropped = net.truth.drops().map((r) => r.label);
    const got = arrivals.map((a) => a.seq);
    expect(got.length + dropped.length).toBe(5000);
    expect(new Set([...got, ...dropped]).size).toBe(5000);
    expect(net.truth.drops().every((r) => r.dropReason === 'loss' && r.droppedWhere === 'b/eth0')).toBe(true);
    expect(dropped.length / 5000).toBeGreaterThan(0.08);
    expect(dropped.length / 5000).toBeLessThan(0.12);
    expect(net.host('b').link().ingress.stats).toEqual({ packets: 5000, dropped: dropped.length, duplicated: 0 });
    // A wildcard-bound socket's own `local` works as a flow query.
    expect(net.truth.flow(tx.local, { ip: '203.0.113.2', port: 6000 })).toHaveLength(5000);
    expect(tx.local.ip).toBe('0.0.0.0');
    await closeAndCheck(clock, net);
  });

  it('bursty loss (Gilbert-Elliott) has the same rate but longer runs than random loss', async () => {
    const random = await pair({ loss: { rate: 0.05 } }, 5);
    stream(random.clock, random.tx, 20_000, 1);
    const bursty = await pair({ loss: { rate: 0.05, meanBurst: 4 } }, 5);
    stream(bursty.clock, bursty.tx, 20_000, 1);
    const rRuns = lossRuns(random.net);
    const bRuns = lossRuns(bursty.net);
    const rate = (n: VirtualNetwork): number => n.truth.counts.dropped / 20_000;
    expect(rate(random.net)).toBeGreaterThan(0.04);
    expect(rate(random.net)).toBeLessThan(0.06);
    expect(rate(bursty.net)).toBeGreaterThan(0.035);
    expect(rate(bursty.net)).toBeLessThan(0.065);
    // Independent loss at 5 %: mean run 1/(1−0.05) ≈ 1.05. Bursts: mean 4.
    expect(mean(rRuns)).toBeLessThan(1.2);
    expect(mean(bRuns)).toBeGreaterThan(3);
    expect(mean(bRuns)).toBeLessThan(5);
    await closeAndCheck(random.clock, random.net);
    await closeAndCheck(bursty.clock, bursty.net);
  });

  it('the same seed drops the same packets; another seed others', async () => {
    const drops = async (seed: number): Promise<string> => {
      const p = await pair({ loss: 0.2, jitterMs: 10 }, seed);
      stream(p.clock, p.tx, 500);
      const out = p.net.truth.drops().map((r) => r.label).join(',');
      await closeAndCheck(p.clock, p.net);
      return out;
    };
    const first = await drops(42);
    expect(await drops(42)).toBe(first);
    expect(await drops(43)).not.toBe(first);
  });

  it('turning jitter on does not change which packets are lost', async () => {
    const drops = async (spec: ImpairmentSpec): Promise<string> => {
      const p = await pair(spec, 9);
      stream(p.clock, p.tx, 500);
      const out = p.net.truth.drops().map((r) => r.label).join(',');
      await closeAndCheck(p.clock, p.net);
      return out;
    };
    expect(await drops({ loss: 0.1, jitterMs: 30, delayMs: 10 })).toBe(await drops({ loss: 0.1 }));
  });
});

describe('impairment: delay, jitter, reorder', () => {
  it('each packet gets delay + jitter in [delay, delay + jitter), exactly as the truth says', async () => {
    const { clock, net, tx, arrivals } = await pair({ delayMs: 40, jitterMs: 30 });
    stream(clock, tx, 1000, 5);
    expect(arrivals).toHaveLength(1000);
    const bySeq = new Map(arrivals.map((a) => [a.seq, a.at]));
    for (const r of net.truth.records()) {
      expect(r.delayMs).toBeGreaterThanOrEqual(40);
      expect(r.delayMs).toBeLessThan(70);
      expect(r.impairedMs).toBe(r.delayMs);
      expect(r.hops).toEqual([{ link: 'b/eth0', delayMs: r.delayMs }]);
      expect(bySeq.get(r.label as number)).toBe(r.deliveredAt);
      expect(r.deliveredAt! - r.sentAt).toBe(r.delayMs);
    }
    // Jitter larger than the spacing reorders.
    const seqs = arrivals.map((a) => a.seq);
    expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!)).toBe(true);
    await closeAndCheck(clock, net);
  });

  it('reorder holds a share of packets back so later ones overtake them', async () => {
    const { clock, net, tx, arrivals } = await pair({ delayMs: 10, reorder: { rate: 0.1, delayMs: 45 } });
    stream(clock, tx, 1000, 20);
    const late = net.truth.records().filter((r) => r.delayMs === 55);
    expect(late.length).toBeGreaterThan(60);
    expect(late.length).toBeLessThan(140);
    expect(net.truth.records().every((r) => r.delayMs === 10 || r.delayMs === 55)).toBe(true);
    // Overtaken: some later packet arrived first. Only held-back packets are, and most of them
    // are (not all: a held-back packet followed by held-back ones keeps its place).
    const overtaken = arrivals.filter((a, i) => arrivals.slice(0, i).some((b) => b.seq > a.seq)).map((a) => a.seq);
    const lateSeqs = new Set(late.map((r) => r.label));
    expect(overtaken.every((s) => lateSeqs.has(s))).toBe(true);
    expect(overtaken.length).toBeGreaterThan(late.length * 0.8);
    await closeAndCheck(clock, net);
  });

  it('limited bandwidth queues packets, and tail-drops beyond the queue', async () => {
    // 1222-byte payload + 28 header bytes = 10 000 bits = 10 ms at 1000 kbit/s.
    const { clock, net, tx, arrivals } = await pair({ bandwidthKbps: 1000, queueMs: 100 });
    for (let i = 0; i < 20; i++) {
      const b = new Uint8Array(1222);
      new DataView(b.buffer).setUint32(0, i);
      tx.send(b, { ip: '203.0.113.2', port: 6000 });
    }
    clock.advance(1000);
    // Queue waits 0, 10, …, 100 ms are admitted; the rest find the queue full.
    expect(arrivals.map((a) => a.at)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    expect(net.truth.drops().map((r) => r.dropReason)).toEqual(Array(9).fill('queue-overflow'));
    await closeAndCheck(clock, net);
  });
});

describe('impairment: duplication, rules, cuts', () => {
  it('duplicates: the receiver gets exactly sent + copies, each copy recorded', async () => {
    const { clock, net, tx, arrivals } = await pair({ duplicate: 0.05, jitterMs: 5 });
    stream(clock, tx, 2000, 10);
    const c = net.truth.counts;
    expect(c.duplicated).toBeGreaterThan(60);
    expect(arrivals).toHaveLength(2000 + c.duplicated);
    const copies = net.truth.records({ duplicates: 'only' });
    expect(copies).toHaveLength(c.duplicated);
    for (const copy of copies) {
      const orig = net.truth.get(copy.duplicateOf!)!;
      expect(orig.duplicates).toBe(1);
      expect(copy.label).toBe(orig.label);
      expect(copy.src).toEqual(orig.src);
    }
    expect(net.truth.records({ duplicates: 'exclude' })).toHaveLength(2000);
    await closeAndCheck(clock, net);
  });

  it('a rule can target one peer and a time window; first matching rule wins', async () => {
    const { clock, net } = makeNetwork(2);
    const a = net.addHost('a', { ip: '203.0.113.1' });
    const b = net.addHost('b', { ip: '203.0.113.2' });
    const c = net.addHost('c', { ip: '203.0.113.3' });
    c.link().impair([
      { match: { peer: '203.0.113.1' }, until: 1000, delayMs: 300 },
      { match: { peer: '203.0.113.0/24', proto: 'udp' }, delayMs: 5 },
    ]);
    const sa = await a.bindUdp({ ip: '0.0.0.0' });
    const sb = await b.bindUdp({ ip: '0.0.0.0' });
    await c.bindUdp({ ip: '0.0.0.0', port: 9 });
    const to = { ip: '203.0.113.3', port: 9 };
    sa.send(new Uint8Array(1), to);
    sb.send(new Uint8Array(1), to);
    clock.advance(1000);
    sa.send(new Uint8Array(1), to);
    clock.advance(1000);
    expect(net.truth.records().map((r) => r.delayMs)).toEqual([300, 5, 5]);
    await closeAndCheck(clock, net);
  });

  it('a cut link drops everything until restored', async () => {
    const { clock, net, tx, arrivals } = await pair({});
    const link = net.host('b').link();
    link.cut('ingress');
    stream(clock, tx, 10);
    link.restore();
    stream(clock, tx, 10);
    expect(arrivals).toHaveLength(10);
    expect(net.truth.counts.droppedBy).toEqual({ 'link-down': 10 });
    await closeAndCheck(clock, net);
  });

  it('rejects impossible specs and keeps the old rules', async () => {
    const { clock, net } = makeNetwork();
    const link = net.addHost('h').link();
    link.impair({ delayMs: 5 });
    expect(() => link.impair({ loss: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => link.impair({ loss: { rate: 0.6, meanBurst: 1 } })).toThrow(/bursts/);
    expect(() => link.impair({ jitterMs: -1 })).toThrow(/jitterMs/);
    expect(() => link.impair({ match: { peer: 'nope' } })).toThrow(/peer/);
    expect(link.egress.specs()).toEqual([{ delayMs: 5 }]);
    await closeAndCheck(clock, net);
  });
});
