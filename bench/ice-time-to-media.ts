// Time to media on the virtual network, per scenario and strategy: from the start of checks to
// the first usable pair and to the final selected pair, each divided by the floor — one round
// trip of that pair's path (relay allocations happen during gathering, before checks start, so
// they are not inside the measured interval). Fixed link delays, no loss; virtual time, so the
// figures do not depend on the machine. Target: lync ≤ 1.2 × floor for the first usable pair.
import { EXPECTED_PATH, ICE_SCENARIOS, runIceScenario } from '../main/lab/ice-scenarios';

const LINK_MS = Number(process.argv[2] ?? 20);
const HOST_MS = Number(process.argv[3] ?? 5);

function ratio(ms: number | null, rtt: number | null): string {
  if (ms === null || rtt === null || rtt <= 0) return '   n/a';
  return (ms / rtt).toFixed(2).padStart(6);
}

async function main(): Promise<void> {
  process.stdout.write(`ICE time to media, virtual network: uplinks and relay link ${LINK_MS} ms one way, phone links ${HOST_MS} ms\n`);
  process.stdout.write('strategy scenario         path   first ms  rtt  ratio   final ms  rtt  ratio\n');
  const lyncFirst: number[] = [];
  for (const strategy of ['lync', 'rfc8445'] as const) {
    for (const name of ICE_SCENARIOS) {
      if (!EXPECTED_PATH[name].strategies.includes(strategy)) continue;
      const r = await runIceScenario(name, { strategy, seed: 1, linkDelayMs: LINK_MS, hostLinkDelayMs: HOST_MS });
      const t = r.timing;
      if (strategy === 'lync' && t.firstUsableMs !== null && t.firstUsableRttMs) lyncFirst.push(t.firstUsableMs / t.firstUsableRttMs);
      process.stdout.write(
        `${strategy.padEnd(8)} ${name.padEnd(16)} ${(r.selected?.path ?? '-').padEnd(6)} ${String(t.firstUsableMs ?? '-').padStart(8)} ${String(t.firstUsableRttMs ?? '-').padStart(4)} ${ratio(t.firstUsableMs, t.firstUsableRttMs)}   ${String(t.finalMs ?? '-').padStart(8)} ${String(t.finalRttMs ?? '-').padStart(4)} ${ratio(t.finalMs, t.finalRttMs)}${r.ok ? '' : '  (did not reach the expected path)'}\n`,
      );
    }
  }
  const worst = Math.max(...lyncFirst);
  process.stdout.write(`lync first usable pair: worst ratio ${worst.toFixed(2)} × floor (target ≤ 1.2): ${worst <= 1.2 ? 'met' : 'NOT met'}\n`);
}

void main();
