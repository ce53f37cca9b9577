// Media at scale: N concurrent 20 ms PCMU streams in one process, each a pair of our endpoints
// (a sendonly session and a recvonly session, each on its own UDP socket on 127.0.0.1), all
// driven by the process's one pacing scheduler. Per N: packets/s achieved, the scheduler's own
// send jitter (p50/p99/max), self-inflicted loss (nothing impairs loopback: every lost packet is
// ours), CPU time per stream and RSS. The physical reference is Node's own UDP send rate on this
// machine, measured in the same run with a bare dgram loop; the ratio says how much of it the
// streams use. Beside each row, the same traffic on bare dgram sockets with nothing of ours: the
// floor of this pattern here. A stream more than 200 ms behind real time gives frames up (skipped %) rather than
// bursting a backlog, so past the ceiling the table shows how far past it is. Target (issue 5): 1,000 streams with p99 send jitter < 1 ms and no self-inflicted loss.
//
//   npx tsx bench/media-scale.ts [seconds=10] [N,N,…=100,500,1000,2000] [leadMs=0]
import * as dgram from 'node:dgram';
import { RealClock } from '../main/common/clock';
import { SeededRandom } from '../main/common/random';
import { MediaSession, PacingScheduler, socketPath } from '../main/media/stream';
import { NodeNet } from '../main/net/node/node-net';
import type { DatagramSocket } from '../main/net/types';

const SECONDS = Number(process.argv[2] ?? 10);
const COUNTS = (process.argv[3] ?? '100,500,1000,2000').split(',').map(Number);
const LEAD_MS = Number(process.argv[4] ?? 0);
const WARMUP_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bare Node UDP: one socket sending 172-byte datagrams (an RTP PCMU packet) to another, as fast as the loop allows. */
async function nodeUdpSendRate(ms = 2000): Promise<{ sentPerS: number; receivedPerS: number }> {
  const bind = (): Promise<dgram.Socket> =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    });
  const [tx, rx] = [await bind(), await bind()];
  const port = rx.address().port;
  let received = 0;
  rx.on('message', () => received++);
  const buf = Buffer.alloc(172);
  let sent = 0;
  const end = performance.now() + ms;
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
  await sleep(200);
  tx.close();
  rx.close();
  return { sentPerS: (sent * 1000) / ms, receivedPerS: (received * 1000) / ms };
}

/**
 * The same traffic with nothing of ours: 2N bare dgram sockets, each sender due every 20 ms on
 * one 1 ms interval timer, the receivers only counting. The floor for this pattern on this
 * machine (per-packet kernel and libuv work, loopback wake-ups of 2N sockets).
 */
async function bareRun(n: number): Promise<{ pps: number; cpuPct: number; lossPct: number }> {
  const bind = (): Promise<dgram.Socket> =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    });
  const tx: dgram.Socket[] = [];
  const ports: number[] = [];
  let received = 0;
  const rx: dgram.Socket[] = [];
  for (let i = 0; i < n; i++) {
    tx.push(await bind());
    const r = await bind();
    r.on('message', () => received++);
    rx.push(r);
    ports.push(r.address().port);
  }
  const buf = Buffer.alloc(172);
  const start = performance.now() + 100;
  const due = Array.from({ length: n }, (_, i) => start + (i * 20) / n);
  let counting = false;
  let sentCounted = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      while (due[i]! <= now) {
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
  return { pps: (sentCounted * 1000) / elapsed, cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / elapsed, lossPct: sentCounted ? Math.max(0, (100 * (sentCounted - got)) / sentCounted) : 0 };
}

interface Row {
  readonly n: number;
  readonly pps: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly lossPct: number;
  readonly skippedPct: number;
  readonly cpuMsPerStreamS: number;
  readonly cpuPct: number;
  readonly rssMb: number;
}

async function run(n: number): Promise<Row> {
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
  const sent0 = senders.reduce((k, s) => k + s.report().sent.packets, 0);
  const skipped0 = senders.reduce((k, s) => k + s.report().sent.skipped, 0);
  const cpu0 = process.cpuUsage();
  const t0 = clock.now();
  await sleep(SECONDS * 1000);
  const elapsed = clock.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sent1 = senders.reduce((k, s) => k + s.report().sent.packets, 0);
  const skipped1 = senders.reduce((k, s) => k + s.report().sent.skipped, 0);
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
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    n,
    pps: ((sent1 - sent0) * 1000) / elapsed,
    p50: jitter.p50Ms,
    p99: jitter.p99Ms,
    max: jitter.maxMs,
    lossPct: expected ? (100 * lost) / expected : 0,
    skippedPct: sent1 - sent0 + skipped1 - skipped0 > 0 ? (100 * (skipped1 - skipped0)) / (sent1 - sent0 + skipped1 - skipped0) : 0,
    cpuMsPerStreamS: cpuMs / n / (elapsed / 1000),
    cpuPct: (100 * cpuMs) / elapsed,
    rssMb,
  };
}

async function main(): Promise<void> {
  const ref = await nodeUdpSendRate();
  process.stdout.write(
    `media-scale: 20 ms PCMU streams on loopback, one pacing scheduler (lead ${LEAD_MS} ms), ${SECONDS} s per N after ${WARMUP_MS} ms warm-up\n` +
      `reference: bare Node UDP on this machine sends ${Math.round(ref.sentPerS)} datagrams/s (${Math.round(ref.receivedPerS)}/s received)\n` +
      `     N   packets/s  of ref  send jitter p50 / p99 / max ms   self-loss %  skipped %   CPU %   CPU ms per stream-s   RSS MB   bare dgram: packets/s  CPU %\n`,
  );
  for (const n of COUNTS) {
    const r = await run(n);
    const bare = await bareRun(n);
    process.stdout.write(
      `${String(r.n).padStart(6)} ${r.pps.toFixed(0).padStart(11)} ${((100 * r.pps) / ref.sentPerS).toFixed(1).padStart(6)}%` +
        `   ${r.p50.toFixed(2).padStart(6)} / ${r.p99.toFixed(2).padStart(6)} / ${r.max.toFixed(1).padStart(6)}` +
        `   ${r.lossPct.toFixed(3).padStart(11)}  ${r.skippedPct.toFixed(2).padStart(9)}  ${r.cpuPct.toFixed(0).padStart(6)}   ${r.cpuMsPerStreamS.toFixed(3).padStart(19)}   ${r.rssMb.toFixed(0).padStart(6)}   ${bare.pps.toFixed(0).padStart(20)}  ${bare.cpuPct.toFixed(0).padStart(5)}\n`,
    );
  }
  const load = (await import('node:os')).loadavg();
  process.stdout.write(`(machine load average during the run: ${load.map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs)\n`);
}

void main();
