import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import { decodeRtcpCompound, type RtcpPacket } from '../../../main/media/rtcp';
import { classifyDatagram } from '../../../main/media/demux';
import { MediaSession, PacingScheduler, socketPath, type MediaEvent, type MediaSessionOptions } from '../../../main/media/stream';
import type { DatagramSocket } from '../../../main/net/types';
import { VirtualNetwork, type ImpairmentSpec } from '../../../main/net/virtual';

// Two sessions on the virtual network (fake time): RTCP content on the wire, rtcp-mux or not,
// round trip, stats events, directions.

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function pair(opts: { link?: ImpairmentSpec; rtcpPorts?: boolean; a?: Partial<MediaSessionOptions>; b?: Partial<MediaSessionOptions> } = {}) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: 5 });
  const ha = net.addHost('a', opts.link ? { link: opts.link } : {});
  const hb = net.addHost('b', opts.link ? { link: opts.link } : {});
  const bind = async (h: typeof ha, port: number): Promise<DatagramSocket> => h.bindUdp({ ip: h.address, port });
  const [ra, rb] = [await bind(ha, 5000), await bind(hb, 6000)];
  const [ca, cb] = opts.rtcpPorts ? [await bind(ha, 5001), await bind(hb, 6001)] : [undefined, undefined];
  const scheduler = new PacingScheduler({ clock });
  const random = new SeededRandom(21);
  const eventsA: MediaEvent[] = [];
  const A = new MediaSession({
    clock,
    scheduler,
    random: random.fork(),
    rtp: socketPath(ra, rb.local),
    ...(ca && cb ? { rtcp: socketPath(ca, cb.local) } : {}),
    rtcpIntervalMs: 1000,
    onEvent: (e) => eventsA.push(e),
    ...opts.a,
  });
  const B = new MediaSession({ clock, scheduler, random: random.fork(), rtp: socketPath(rb, ra.local), ...(ca && cb ? { rtcp: socketPath(cb, ca.local) } : {}), rtcpIntervalMs: 1000, ...opts.b });
  const tapped: Array<{ port: number; packets: RtcpPacket[] }> = [];
  for (const s of [rb, ...(cb ? [cb] : [])]) {
    s.onMessage((bytes) => {
      if (classifyDatagram(bytes) !== 'rtcp') return;
      const d = decodeRtcpCompound(bytes);
      if (d.ok) tapped.push({ port: s.local.port, packets: d.value });
    });
  }
  cleanup.push(async () => {
    A.close();
    B.close();
    await net.close();
    expect(clock.pendingTimers()).toBe(0);
    expect(scheduler.size).toBe(0);
  });
  return { clock, net, A, B, eventsA, tapped, scheduler };
}

describe('media session', () => {
  it('sends compound RTCP (SR + SDES CNAME + XR VoIP metrics) and ends with BYE', async () => {
    const { clock, A, B, tapped } = await pair({ link: { delayMs: 10, loss: 0.05 } });
    A.start();
    B.start();
    clock.advance(10_000);
    A.stop('hang-up');
    B.stop();
    clock.advance(500);
    const fromA = tapped.map((t) => t.packets).filter((p) => p[0]?.type === 'sr' && p[0].ssrc === A.ssrc);
    expect(fromA.length).toBeGreaterThanOrEqual(5);
    for (const c of fromA) {
      expect(c[1]?.type).toBe('sdes');
      expect(c[1]?.type === 'sdes' && c[1].chunks[0]!.items[0]!.text).toBe(A.cname);
    }
    const withXr = fromA.filter((c) => c.some((p) => p.type === 'xr'));
    expect(withXr.length).toBeGreaterThanOrEqual(4);
    const last = fromA[fromA.length - 1]!;
    expect(last[last.length - 1]).toMatchObject({ type: 'bye', ssrcs: [A.ssrc], reason: 'hang-up' });
    const ra = A.report();
    const rb = B.report();
    // What B says about A's stream arrived in A's report, and matches B's own figures.
    expect(ra.remote.voipMetrics?.ssrc).toBe(A.ssrc);
    expect(ra.remote.reportBlock?.ssrc).toBe(A.ssrc);
    expect(rb.received?.cname).toBe(A.cname);
    expect(rb.received?.bye).toBe(true);
    const lossByte = ra.remote.voipMetrics!.lossRate;
    expect(Math.abs(lossByte / 256 - rb.received!.figures.lossPct / 100)).toBeLessThan(0.02);
    expect(rb.received!.figures.expected).toBe(ra.sent.packets);
  });

  it('measures the round trip from LSR/DLSR to within a few µs on fake time', async () => {
    const { clock, A, B } = await pair({ link: { delayMs: 12.5 } });
    A.start();
    B.start();
    clock.advance(8000);
    const r = A.report();
    // Each host link adds 12.5 ms, so one way is 25 ms and the round trip 50 ms.
    expect(r.rtt.count).toBeGreaterThanOrEqual(5);
    expect(Math.abs(r.rtt.minMs! - 50)).toBeLessThan(0.05);
    expect(Math.abs(r.rtt.maxMs! - 50)).toBeLessThan(0.05);
    expect(B.report().rtt.meanMs).toBeCloseTo(50, 1);
  });

  it('keeps RTCP on its own port when told to (no rtcp-mux)', async () => {
    const { clock, A, B, tapped } = await pair({ rtcpPorts: true });
    A.start();
    B.start();
    clock.advance(5000);
    expect(tapped.length).toBeGreaterThan(0);
    expect(tapped.every((t) => t.port === 6001)).toBe(true);
    expect(A.report().rtt.count).toBeGreaterThan(0);
    expect(B.report().received!.figures.received).toBe(A.report().sent.packets);
  });

  it('emits media.stats every interval with the packets of that interval', async () => {
    const { clock, A, B, eventsA } = await pair({ a: { statsIntervalMs: 500 } });
    A.start();
    B.start();
    clock.advance(5000);
    A.stop();
    const stats = eventsA.filter((e): e is Extract<MediaEvent, { type: 'media.stats' }> => e.type === 'media.stats');
    expect(stats.length).toBe(11);
    expect(stats.reduce((n, s) => n + s.stats.sent.packets, 0)).toBe(A.report().sent.packets);
    const mid = stats[4]!.stats;
    expect(mid.endMs - mid.startMs).toBe(500);
    expect(mid.received?.expected).toBe(25);
    expect(mid.mos).toBeGreaterThan(4.3);
    expect(mid.sendJitter.samples).toBe(25);
    expect(eventsA.filter((e) => e.type === 'media.state').map((e) => e.type === 'media.state' && e.to)).toEqual(['running', 'stopped']);
  });

  it('a recvonly end sends only RR; a sendonly end reports nothing it did not receive', async () => {
    const { clock, A, B, tapped } = await pair({ a: { direction: 'sendonly' }, b: { direction: 'recvonly' } });
    A.start();
    B.start();
    clock.advance(5000);
    A.stop();
    B.stop();
    clock.advance(100);
    const rb = B.report();
    const ra = A.report();
    expect(rb.sent.packets).toBe(0);
    expect(rb.received!.figures.received).toBe(ra.sent.packets);
    expect(ra.received).toBeUndefined();
    // A's SRs carry no report blocks; B's RRs do, but without an SR of its own B measures no RTT.
    const aSr = tapped.filter((t) => t.packets[0]?.type === 'sr');
    expect(aSr.every((t) => t.packets[0]!.type === 'sr' && t.packets[0]!.reports.length === 0)).toBe(true);
    expect(ra.rtt.count).toBeGreaterThan(0);
    expect(rb.rtt.count).toBe(0);
  });

  it('holds packets back while the path cannot carry them, without numbering them', async () => {
    const clock = new FakeClock();
    let open = false;
    const sent: Uint8Array[] = [];
    const path = { send: (b: Uint8Array) => (open ? (sent.push(b), true) : false), onDatagram: () => ({ dispose: () => undefined }) };
    const scheduler = new PacingScheduler({ clock });
    const s = new MediaSession({ clock, scheduler, random: new SeededRandom(1), rtp: path, direction: 'sendonly' });
    s.start();
    clock.advance(100);
    open = true;
    s.changePath({ id: 'p1', kind: 'host', label: 'test path' }, 'opened');
    clock.advance(200);
    s.close();
    const r = s.report();
    expect(r.sent.heldBack).toBe(6); // frames due at 0, 20 … 100
    expect(r.sendEpochs.map((e) => [e.epoch, e.packets, e.heldBack, e.path?.id ?? null])).toEqual([
      [0, 0, 6, null],
      [1, 10, 0, 'p1'],
    ]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives frames up instead of bursting a backlog when the process fell far behind real time', () => {
    const inner = new FakeClock();
    let stallNext = false;
    // A clock whose next timer fires 500 ms late once asked: a stalled event loop.
    const clock: Clock = {
      now: () => inner.now(),
      wallNow: () => inner.wallNow(),
      setTimeout: (cb, ms) => {
        const late = stallNext ? 500 : 0;
        stallNext = false;
        return inner.setTimeout(cb, ms + late);
      },
      clearTimeout: (h) => inner.clearTimeout(h),
      pendingTimers: () => inner.pendingTimers(),
    };
    const sent: Uint8Array[] = [];
    const path = { send: (b: Uint8Array) => (sent.push(b), true), onDatagram: () => ({ dispose: () => undefined }) };
    const scheduler = new PacingScheduler({ clock });
    const s = new MediaSession({ clock, scheduler, random: new SeededRandom(1), rtp: path, direction: 'sendonly', maxLateMs: 100, statsIntervalMs: 10_000, rtcpIntervalMs: 10_000 });
    s.start();
    inner.advance(100); // frames due at 0 … 100 on time
    stallNext = true;
    inner.advance(100); // the timer for 120 was re-armed when 100 ran: stall the one after
    inner.advance(600);
    s.close();
    const r = s.report();
    expect(r.sent.skipped).toBeGreaterThan(20);
    // Every frame due in 0 … 800 ms is either sent or given up, none twice.
    expect(r.sent.packets + r.sent.skipped).toBe(41);
    expect(r.sendJitter.maxMs).toBeGreaterThanOrEqual(480);
    expect(inner.pendingTimers()).toBe(0);
  });
});
