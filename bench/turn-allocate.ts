// Time per TURN allocate step on loopback, per transport, against a real coturn the bench starts
// itself: connect (TCP/TLS), the unauthenticated Allocate (401), the authenticated Allocate.
// Prints median and p90 of each over N allocations. Figures, not assertions.
import { RealClock } from '../main/common/clock';
import { NodeNet } from '../main/net/node/node-net';
import { TurnAllocation, longTermCredentials, type TurnServer } from '../main/turn';
import { makeSelfSignedPair } from '../main/lab/certs';
import { startCoturn } from '../main/lab/coturn';

const N = Number(process.argv[2] ?? 50);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export async function benchTurnAllocate(n = N): Promise<Record<string, Record<string, { median: number; p90: number }>>> {
  const cert = makeSelfSignedPair('turn.lab.test', ['127.0.0.1']);
  const coturn = await startCoturn({ ip: '127.0.0.1', auth: { kind: 'long-term', users: [{ name: 'bench', password: 'benchpw' }] }, tls: { certPath: cert.certPath, keyPath: cert.keyPath }, relayPorts: { min: 30000, max: 30999 } });
  const net = new NodeNet();
  const clock = new RealClock();
  const out: Record<string, Record<string, { median: number; p90: number }>> = {};
  try {
    const servers: TurnServer[] = [
      { address: coturn.udp, transport: 'udp' },
      { address: coturn.tcp, transport: 'tcp' },
      { address: coturn.tls!, transport: 'tls', tls: { ca: cert.certPem, servername: 'turn.lab.test' } },
    ];
    for (const server of servers) {
      const steps: Record<string, number[]> = {};
      for (let i = 0; i < n; i++) {
        const t0 = clock.now();
        const a = await TurnAllocation.allocate({ net, clock, server, credentials: longTermCredentials('bench', 'benchpw'), localIp: '127.0.0.1' });
        const total = clock.now() - t0;
        for (const s of a.steps) (steps[s.name] ??= []).push(s.ms);
        (steps['total'] ??= []).push(total);
        await a.close();
      }
      out[server.transport] = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { median: +pct(v, 50).toFixed(3), p90: +pct(v, 90).toFixed(3) }]));
    }
  } finally {
    await coturn.stop();
    cert.remove();
  }
  return out;
}

if (require.main === module) {
  void benchTurnAllocate().then((r) => {
    process.stdout.write(`TURN allocate on loopback against coturn, ${N} allocations per transport (ms)\n`);
    for (const [transport, steps] of Object.entries(r)) {
      for (const [step, v] of Object.entries(steps)) process.stdout.write(`  ${transport.padEnd(4)} ${step.padEnd(24)} median ${v.median.toFixed(3).padStart(8)}  p90 ${v.p90.toFixed(3).padStart(8)}\n`);
    }
  });
}
