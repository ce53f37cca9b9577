import { describe, expect, it } from 'vitest';
import type { IceAgent } from '../../../main/ice/agent';
import type { PairView } from '../../../main/ice/pair';
import { pathKind, runIceScenario } from '../../../main/lab/ice-scenarios';

// IceAgent.sendOnPair and onPairData: data on any valid pair (not only the selected one), and the
// pair each datagram arrived on, so a receiver can tell paths apart.

describe('ICE data per pair', () => {
  it('sends on every valid pair and names, on the far side, the valid pair each datagram came in on', async () => {
    const got: Array<{ tag: number; pair: PairView | undefined }> = [];
    const sentOn: PairView[] = [];
    let refused: boolean[] = [];
    let agents: { caller: IceAgent; callee: IceAgent } | undefined;
    const r = await runIceScenario('promotion', {
      seed: 4,
      durationMs: 4000,
      onStarted: ({ caller, callee, clock }) => {
        agents = { caller, callee };
        callee.onPairData((pair, component, bytes) => {
          if (component === 1 && bytes[0] === 0xee) got.push({ tag: bytes[1]!, pair });
        });
        clock.setTimeout(() => {
          caller.validPairs.forEach((p, i) => {
            if (caller.sendOnPair(p.id, new Uint8Array([0xee, i]))) sentOn[i] = p.view();
          });
          refused = [caller.sendOnPair('no-such-pair', new Uint8Array([0xee, 255])), caller.sendOnPair(caller.pairs.find((p) => !p.valid)?.id ?? 'none', new Uint8Array([0xee, 254]))];
        }, 3000);
      },
    });
    expect(r.ok).toBe(true);
    expect(refused).toEqual([false, false]);
    const sent = sentOn.filter(Boolean);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    // Every datagram arrived once, attributed to a valid pair of the callee of the same kind of path.
    expect(got.map((g) => g.tag).sort((a, b) => a - b)).toEqual(sentOn.map((_, i) => i).filter((i) => sentOn[i]));
    for (const g of got) {
      const from = sentOn[g.tag]!;
      expect(g.pair).toBeDefined();
      expect(g.pair!.valid).toBe(true);
      expect(pathKind(g.pair!.local, g.pair!.remote)).toBe(pathKind(from.local, from.remote));
    }
    // Different caller paths arrive on different callee pairs.
    expect(new Set(got.map((g) => g.pair!.id)).size).toBe(got.length);
    // A closed agent sends nothing.
    expect(agents!.caller.sendOnPair(sent[0]!.id, new Uint8Array([1]))).toBe(false);
  });
});
