// Media load: N concurrent 20 ms PCMU streams in one process, each a pair of our endpoints (a
// sendonly session and a recvonly session, each on its own UDP socket on 127.0.0.1), all driven
// by the process's one pacing scheduler (issue 5, `bench/media-load`). Per N: packets/s achieved,
// the scheduler's own send jitter (p50/p99/max), self-inflicted loss (nothing impairs loopback:
// every lost packet is ours), frames given up (a stream more than 200 ms behind real time skips
// frames rather than bursting a backlog, so past the ceiling the table shows how far past it is),
// CPU time (total, share of one core, and per packet), RSS.
//
// References measured in the same run: Node's own UDP send rate on this machine (a bare dgram
// loop, the physical ceiling: "of ref" is the ratio to it), and beside each row the same traffic
// on 2N bare dgram sockets with nothing of ours (the floor of this pattern here: per-packet
// kernel and libuv work, wake-ups of 2N sockets), with how late that bare loop itself sent (this
// machine's timer and scheduling noise, which no code of ours can beat). Target: 1,000 streams on one core with p99
// send jitter < 1 ms and no self-inflicted loss. The machine's load average is printed: on a
// shared machine the CPU per packet is the steadier figure, and steadier still our own work per
// packet with no socket at all (in-memory paths on a fake clock), printed last.
//
//   npm run bench:media-load -- [seconds=10] [N,N,…=100,500,1000,2000] [leadMs=0] [--json]
import * as dgram from 'node:dgram';
import * as os from 'node:os';
import { FakeClock, RealClock } from '../main/common/clock';
import { SeededRandom } from '../main/common/random';
import { DeviationHistogram, MediaSession, PacingScheduler, socketPath, type DatagramPath } from '../main/media/stream';
import { NodeNet } from '../main/net/node/node-net';
import type { DatagramSocket } from '../main/net/types';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const JSON_OUT = process.argv.includes('--json');
const SECONDS = Number(args[0] ?? 10);
const COUNTS = (args[1] ?? '100,500,1000,2000').split(',').map(Number);
const LEAD_MS = Number(args[2] ?? 0);
const WARMUP_MS = 1000;
const PACKET_BYTES = 172; // RTP header + 160 bytes of 20 ms PCMU

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bindBare = (): Promise<dgram.Socket> =>
  new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });

/** Bare Node UDP: one socket sending RTP-sized datagrams to another, as fast as the loop allows. */
async function nodeUdpSendRate(ms = 2000): Promise<{ sentPerS: number; receivedPerS: number; cpuUsPerSend: number }> {
  const [tx, rx] = [await bindBare(), await bindBare()];
  const port = rx.address().port;
  let received = 0;
  rx.on('message', () => received++);
  const buf = Buffer.alloc(PACKET_BYTES);
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + ms;
  await new Promise<void>((resolve) => {
    const burst = (): void => {
      // Batches with a turn of the loop in between, so completions and receives are processed.
      for (let i = 0; i < 200; i++) {
        tx.send(buf, port, '127.0.0.1');
        sent++;
      }
      if (performance.now() < end) setImmediate(burst);
      else resolve();
    };
    burst();
  });
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await sleep(200);
  tx.close();
  rx.close();
  return { sentPerS: (sent * 1000) / elapsed, receivedPerS: (received * 1000) / elapsed, cpuUsPerSend: (cpu.user + cpu.system) / sent };
}

interface BareRow {
  readonly pps: number;
  /** How late the bare loop sent against each packet's due time: this machine's own timer noise. */
  readonly sendJitter: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly cpuPct: number;
  readonly cpuUsPerPacket: number;
  readonly lossPct: number;
}

/**
 * The same traffic with nothing of ours: 2N bare dgram sockets, each sender due every 20 ms on
 * one 1 ms interval timer, the receivers only counting.
 */
async function bareRun(n: number): Promise<BareRow> {
  const tx: dgram.Socket[] = [];
  const rx: dgram.Socket[] = [];
  const ports: number[] = [];
  let received = 0;
  for (let i = 0; i < n; i++) {
    tx.push(await bindBare());
    const r = await bindBare();
    r.on('message', () => received++);
    rx.push(r);
    ports.push(r.address().port);
  }
  const buf = Buffer.alloc(PACKET_BYTES);
  const start = performance.now() + 100;
  const due = Array.from({ length: n }, (_, i) => start + (i * 20) / n);
  let counting = false;
  let sentCounted = 0;
  const late = new DeviationHistogram();
  const timer = setInterval(() => {
    for (let i = 0; i < n; i++) {
      while (due[i]! <= performance.now()) {
        if (counting) late.add(performance.now() - due[i]!);
        tx[i]!.send(buf, ports[i]!, '127.0.0.1');
        due[i]! += 20;
        if (counting) sentCounted++;
      }
    }
  }, 1);
  await sleep(100 + WARMUP_MS);
  const r0 = received;
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  counting = false;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  await sleep(200);
  const got = received - r0;
  for (const s of [...tx, ...rx]) s.close();
  const cpuUs = cpu.user + cpu.system;
  const j = late.stats();
  return {
    pps: (sentCounted * 1000) / elapsed,
    sendJitter: { p50Ms: j.p50Ms, p99Ms: j.p99Ms, maxMs: j.maxMs },
    cpuPct: (100 * cpuUs) / 1000 / elapsed,
    cpuUsPerPacket: sentCounted ? cpuUs / sentCounted : 0,
    lossPct: sentCounted ? Math.max(0, (100 * (sentCounted - got)) / sentCounted) : 0,
  };
}

/**
 * Our own per-packet work with no socket at all: N stream pairs joined by in-memory paths on a fake
 * clock (the clock's bookkeeping included), CPU per RTP packet sent and received. Independent of
 * the kernel and of the machine's other load, so it is the figure to compare between versions.
 */
function inMemoryCost(n: number, virtualS: number): number {
  const clock = new FakeClock();
  const scheduler = new PacingScheduler({ clock });
  const random = new SeededRandom(7);
  const link = (): [DatagramPath, DatagramPath] => {
    const cbs: Array<Array<(b: Uint8Array) => void>> = [[], []];
    const end = (me: 0 | 1): DatagramPath => ({
      send(b) {
        for (const cb of cbs[1 - me]!) cb(b);
        return true;
      },
      onDatagram(cb) {
        cbs[me]!.push(cb);
        return { dispose: () => undefined };
      },
    });
    return [end(0), end(1)];
  };
  const sessions: MediaSession[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = link();
    const startAtMs = 10 + (i * 20) / n;
    sessions.push(new MediaSession({ clock, scheduler, random: random.fork(), rtp: a, direction: 'sendonly', startAtMs }));
    sessions.push(new MediaSession({ clock, scheduler, random: random.fork(), rtp: b, direction: 'recvonly', startAtMs }));
  }
  for (const s of sessions) s.start();
  clock.advance(2000);
  const sent0 = sessions.reduce((k, s) => k + s.report().sent.packets, 0);
  const cpu0 = process.cpuUsage();
  clock.advance(virtualS * 1000);
  const cpu = process.cpuUsage(cpu0);
  const sent = sessions.reduce((k, s) => k + s.report().sent.packets, 0) - sent0;
  for (const s of sessions) s.close();
  scheduler.close();
  return (cpu.user + cpu.system) / sent;
}

interface Row {
  readonly n: number;
  readonly pps: number;
  readonly ofRefPct: number;
  readonly sendJitter: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly lossPct: number;
  readonly skippedPct: number;
  readonly cpuS: number;
  readonly cpuPct: number;
  /** CPU per RTP packet, sending and receiving it (both ends are in this process). */
  readonly cpuUsPerPacket: number;
  readonly rssMb: number;
  readonly meetsTarget: boolean;
  readonly bare: BareRow;
}

async function run(n: number, refPps: number): Promise<Omit<Row, 'bare'>> {
  const clock = new RealClock();
  const net = new NodeNet();
  const scheduler = new PacingScheduler({ clock, leadMs: LEAD_MS });
  const random = new SeededRandom(n);
  const sockets: DatagramSocket[] = [];
  const senders: MediaSession[] = [];
  const receivers: MediaSession[] = [];
  for (let i = 0; i < n; i++) {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const b = await net.bindUdp({ ip: '127.0.0.1' });
    sockets.push(a, b);
    // Phases spread evenly over one packet time, as independent calls would be.
    const startAtMs = clock.now() + 200 + (i * 20) / n;
    senders.push(new MediaSession({ clock, scheduler, random: random.fork(), rtp: socketPath(a, b.local), direction: 'sendonly', startAtMs }));
    receivers.push(new MediaSession({ clock, scheduler, random: random.fork(), rtp: socketPath(b, a.local), direction: 'recvonly', startAtMs }));
  }
  for (const s of [...senders, ...receivers]) s.start();
  await sleep(200 + WARMUP_MS);
  scheduler.takeSendJitterWindow();
  const sum = (f: (s: MediaSession) => number): number => senders.reduce((k, s) => k + f(s), 0);
  const sent0 = sum((s) => s.report().sent.packets);
  const skipped0 = sum((s) => s.report().sent.skipped);
  const cpu0 = process.cpuUsage();
  const t0 = clock.now();
  await sleep(SECONDS * 1000);
  const elapsed = clock.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sent = sum((s) => s.report().sent.packets) - sent0;
  const skipped = sum((s) => s.report().sent.skipped) - skipped0;
  const jitter = scheduler.takeSendJitterWindow();
  const rssMb = process.memoryUsage().rss / 1e6;
  for (const s of senders) s.stop();
  await sleep(300);
  for (const s of [...senders, ...receivers]) s.close();
  let expected = 0;
  let lost = 0;
  for (const r of receivers) {
    const f = r.report().received?.figures;
    expected += f?.expected ?? 0;
    lost += f?.lost ?? 0;
  }
  await Promise.all(sockets.map((s) => s.close()));
  scheduler.close();
  const cpuUs = cpu.user + cpu.system;
  const pps = (sent * 1000) / elapsed;
  const lossPct = expected ? (100 * Math.max(0, lost)) / expected : 0;
  const skippedPct = sent + skipped > 0 ? (100 * skipped) / (sent + skipped) : 0;
  return {
    n,
    pps,
    ofRefPct: (100 * pps) / refPps,
    sendJitter: { p50Ms: jitter.p50Ms, p99Ms: jitter.p99Ms, maxMs: jitter.maxMs },
    lossPct,
    skippedPct,
    cpuS: cpuUs / 1e6,
    cpuPct: cpuUs / 10 / elapsed,
    cpuUsPerPacket: sent ? cpuUs / sent : 0,
    rssMb,
    meetsTarget: jitter.p99Ms < 1 && lost <= 0 && skipped === 0,
  };
}

async function main(): Promise<void> {
  const ref = await nodeUdpSendRate();
  const out = (s: string): void => {
    if (!JSON_OUT) process.stdout.write(s);
  };
  out(
    `media-load: 20 ms PCMU streams on loopback, one pacing scheduler (lead ${LEAD_MS} ms), ${SECONDS} s per N after ${WARMUP_MS} ms warm-up\n` +
      `reference: bare Node UDP on this machine sends ${Math.round(ref.sentPerS)} datagrams/s (${Math.round(ref.receivedPerS)}/s received, ${ref.cpuUsPerSend.toFixed(1)} µs CPU per send)\n` +
      `                        ----------------------------- ours ------------------------------------------------------   ----------------- bare dgram, same pattern -----------------\n` +
      `     N   packets/s  of ref   send jitter p50 / p99 / max ms   self-loss %  skipped %   CPU s  CPU %  µs/packet   RSS MB   packets/s   p50 / p99 ms  CPU %  µs/packet  loss %   target\n`,
  );
  const rows: Row[] = [];
  for (const n of COUNTS) {
    const r = await run(n, ref.sentPerS);
    await sleep(500);
    const bare = await bareRun(n);
    await sleep(500);
    const row: Row = { ...r, bare };
    rows.push(row);
    out(
      `${String(n).padStart(6)} ${r.pps.toFixed(0).padStart(11)} ${r.ofRefPct.toFixed(1).padStart(6)}%` +
        `   ${r.sendJitter.p50Ms.toFixed(2).padStart(7)} / ${r.sendJitter.p99Ms.toFixed(2).padStart(7)} / ${r.sendJitter.maxMs.toFixed(1).padStart(6)}` +
        `   ${r.lossPct.toFixed(3).padStart(11)}  ${r.skippedPct.toFixed(2).padStart(9)}  ${r.cpuS.toFixed(2).padStart(6)}  ${r.cpuPct.toFixed(0).padStart(5)}  ${r.cpuUsPerPacket.toFixed(1).padStart(9)}   ${r.rssMb.toFixed(0).padStart(6)}` +
        `  ${bare.pps.toFixed(0).padStart(10)}  ${bare.sendJitter.p50Ms.toFixed(2).padStart(5)} / ${bare.sendJitter.p99Ms.toFixed(2).padStart(6)}  ${bare.cpuPct.toFixed(0).padStart(5)}  ${bare.cpuUsPerPacket.toFixed(1).padStart(9)}  ${bare.lossPct.toFixed(2).padStart(6)}   ${r.meetsTarget ? 'met' : 'missed'}\n`,
    );
  }
  // Last, so that its 2,000 sessions' garbage is not in the rows' RSS.
  const inMemoryUs = inMemoryCost(1000, 5);
  out(`our own work per packet, no sockets (1,000 pairs on a fake clock, in-memory paths): ${inMemoryUs.toFixed(1)} µs CPU per packet sent and received\n`);
  const load = os.loadavg();
  const machine = { cpus: os.cpus().length, loadAverage: load.map((x) => Number(x.toFixed(2))), node: process.version };
  out(`(machine: ${machine.cpus} CPUs, load average ${load.map((x) => x.toFixed(1)).join(' ')}, Node ${process.version})\n`);
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify({ seconds: SECONDS, leadMs: LEAD_MS, reference: ref, inMemoryCpuUsPerPacket: inMemoryUs, rows, machine }, null, 2)}\n`);
  }
}

void main();
