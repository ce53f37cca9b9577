import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../main/common/address';
import { FakeClock } from '../../../main/common/clock';
import { startForwarder } from '../../../main/lab/forwarder';
import { VirtualNetwork } from '../../../main/net/virtual';

// The real-socket impairment forwarder runs on any Net: here on the virtual network in fake time,
// where its record can be checked against what the endpoints saw, datagram by datagram.

async function world(seed = 1) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: 1 });
  const box = net.addHost('box');
  const ha = net.addHost('a');
  const hb = net.addHost('b');
  const a = await ha.bindUdp({ ip: ha.address, port: 4000 });
  const b = await hb.bindUdp({ ip: hb.address, port: 4000 });
  const fw = await startForwarder({
    net: box,
    clock,
    seed,
    ip: box.address,
    target: b.local,
    aToB: { loss: { rate: 0.1, meanBurst: 2 }, delayMs: 20, jitterMs: 5, duplicate: 0.02 },
    bToA: { delayMs: 7 },
    label: (p) => new DataView(p.buffer, p.byteOffset).getUint32(0),
  });
  return { clock, net, a, b, fw };
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

describe('impairment forwarder', () => {
  it('records every datagram: which were dropped, copied, and the delay each got', async () => {
    const { clock, net, a, b, fw } = await world(3);
    const got: Array<{ n: number; at: number }> = [];
    b.onMessage((bytes) => got.push({ n: new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), at: clock.now() }));
    for (let i = 0; i < 2000; i++) {
      a.send(u32(i), fw.sideA);
      clock.advance(2);
    }
    clock.advance(100);
    const recs = fw.records({ dir: 'a>b' });
    const originals = recs.filter((r) => r.duplicateOf === undefined);
    expect(originals.length).toBe(2000);
    const dropped = originals.filter((r) => r.fate === 'dropped');
    expect(dropped.length).toBeGreaterThan(150);
    expect(dropped.length).toBeLessThan(250);
    const copies = recs.filter((r) => r.duplicateOf !== undefined);
    expect(copies.length).toBeGreaterThan(10);
    // What arrived is exactly what the record says was delivered, at the recorded time.
    const delivered = recs.filter((r) => r.fate === 'delivered');
    expect(got.length).toBe(delivered.length);
    const seenLabels = new Set(got.map((g) => g.n));
    for (const r of dropped) if (!copies.some((c) => c.duplicateOf === r.id && c.fate === 'delivered')) expect(seenLabels.has(r.label as number)).toBe(false);
    for (const r of delivered) {
      expect(r.delayMs).toBeGreaterThanOrEqual(20);
      expect(r.delayMs).toBeLessThan(25);
      expect(r.forwardedAt! - r.receivedAt).toBe(r.delayMs);
      expect(got.some((g) => g.n === r.label && Math.abs(g.at - r.forwardedAt!) < 1e-9)).toBe(true);
    }
    // Jitter (5 ms) wider than the spacing (2 ms) reorders some packets.
    const order = got.map((g) => g.n);
    expect(order.some((n, i) => i > 0 && n < order[i - 1]!)).toBe(true);
    await fw.close();
    await net.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('sends the target’s answers back to the last sender on side A', async () => {
    const { clock, net, a, b, fw } = await world();
    const back: Array<{ from: TransportAddress; at: number }> = [];
    a.onMessage((_bytes, from) => back.push({ from, at: clock.now() }));
    b.onMessage((bytes, from) => b.send(bytes, from));
    for (let i = 0; i < 50; i++) {
      a.send(u32(i), fw.sideA);
      clock.advance(20);
    }
    clock.advance(100);
    expect(back.length).toBeGreaterThan(30);
    expect(back.every((x) => x.from.ip === fw.sideA.ip && x.from.port === fw.sideA.port)).toBe(true);
    const rev = fw.records({ dir: 'b>a' });
    expect(rev.every((r) => r.fate === 'delivered' && r.delayMs === 7)).toBe(true);
    await fw.close();
    await net.close();
  });

  it('makes the same decisions for the same seed', async () => {
    const fates = async (seed: number) => {
      const { clock, net, a, fw } = await world(seed);
      for (let i = 0; i < 300; i++) {
        a.send(u32(i), fw.sideA);
        clock.advance(20);
      }
      clock.advance(100);
      const f = fw.records({ dir: 'a>b' }).map((r) => `${r.fate}:${r.intendedDelayMs?.toFixed(6)}`);
      await fw.close();
      await net.close();
      return f;
    };
    expect(await fates(9)).toEqual(await fates(9));
    expect(await fates(9)).not.toEqual(await fates(10));
  });
});
