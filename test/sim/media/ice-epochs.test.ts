import { describe, expect, it } from 'vitest';
import { runIceMedia } from '../../../main/lab/media-ice';
import { joinEpochs, type MediaEvent } from '../../../main/media/stream';

// A call-shaped stream both ways over two ICE agents on the virtual network, through the field's
// path changes: the figures split into one epoch per path, and every packet the sender numbered is
// in exactly one epoch on the receiving side.

async function run(name: 'promotion' | 'consent-loss', seed: number) {
  const events: MediaEvent[] = [];
  const r = await runIceMedia(name, { seed, onEvent: (side, e) => side === 'caller' && events.push(e) });
  return { r: r.scenario, caller: r.caller, callee: r.callee, events, table: r.callerToCallee };
}

describe('media epochs follow ICE path changes', () => {
  it.each([1, 2, 3])('promotion (seed %i): relay epoch, then host epoch, no packet unaccounted for', async (seed) => {
    const { r, caller, callee, events, table: joined } = await run('promotion', seed);
    expect(r.ok).toBe(true);
    const withPath = caller.sendEpochs.filter((e) => e.path);
    // The first pair to work is through the relay; promotions follow, ending on the LAN path.
    expect(withPath.length).toBe(r.pathChanges.length);
    expect(withPath[0]!.path!.kind).toBe('relay');
    expect(withPath[0]!.reason).toBe('first-success');
    expect(withPath[withPath.length - 1]!.path!.kind).toBe('host');
    for (const e of withPath.slice(1)) expect(e.reason).toBe('higher-priority-succeeded');
    // Nothing is sent before a pair is selected: held back, never numbered.
    expect(caller.sendEpochs[0]!.packets).toBe(0);
    expect(caller.sent.heldBack).toBeGreaterThan(0);
    for (const e of withPath) expect(e.packets).toBeGreaterThan(0);
    // Receiver side: the epochs partition the sender's numbering exactly.
    const rx = callee.receiveEpochs;
    expect(rx.reduce((n, e) => n + e.figures.expected, 0)).toBe(caller.sent.packets);
    expect(rx.every((e) => e.endKnown)).toBe(true);
    for (const e of withPath) {
      const got = rx.find((x) => x.epoch === e.epoch)!;
      expect(got.figures.expected).toBe(e.packets);
      // Both paths work during a promotion: nothing is lost.
      expect(got.figures.lost).toBe(0);
    }
    expect(callee.received!.bye).toBe(true);
    expect(callee.received!.figures.expected).toBe(caller.sent.packets);
    expect(callee.received!.figures.lost).toBe(0);
    const table = joinEpochs(caller, callee, 'probe');
    expect(joined).toEqual(table);
    const used = table.filter((e) => e.sent > 0);
    expect(used.map((e) => e.path?.kind)).toEqual(withPath.map((e) => e.path!.kind));
    expect(used.every((e) => e.lost === 0 && e.received === e.sent)).toBe(true);
    // The round trip on the direct LAN path is shorter than through the relay.
    const host = used[used.length - 1]!;
    const relayRtt = used.find((e) => e.path?.kind === 'relay' && e.rttMs !== undefined)?.rttMs;
    if (relayRtt !== undefined) expect(relayRtt).toBeGreaterThan(host.rttMs ?? Infinity);
    expect(host.rttMs).toBeDefined();
    expect(events.filter((e) => e.type === 'media.epoch').length).toBe(r.pathChanges.length);
    expect(events.filter((e) => e.type === 'media.stats').length).toBeGreaterThanOrEqual(4);
  });

  it('consent loss: the cut host path loses packets, the relay epoch after it does not; every packet accounted for', async () => {
    const { r, caller, callee } = await run('consent-loss', 2);
    expect(r.ok).toBe(true);
    const withPath = caller.sendEpochs.filter((e) => e.packets > 0);
    expect(withPath.map((e) => e.path?.kind)).toContain('relay');
    const table = joinEpochs(caller, callee, 'probe').filter((e) => e.sent > 0);
    expect(table.reduce((n, e) => n + e.received + e.lost, 0)).toBe(caller.sent.packets);
    const cut = table.find((e) => e.path?.kind === 'host' && e.lost > 0);
    expect(cut, JSON.stringify(table)).toBeDefined();
    const last = table[table.length - 1]!;
    expect(last.path?.kind).toBe('relay');
    expect(last.lost).toBe(0);
    expect(callee.received!.figures.lost).toBe(table.reduce((n, e) => n + e.lost, 0));
  });
});
