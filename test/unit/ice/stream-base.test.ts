import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../main/common/address';
import type { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import { StreamBase, streamRetransmit } from '../../../main/ice/stream-base';
import { encodeRfc4571 } from '../../../main/net/framing';
import type { StreamSocket } from '../../../main/net/types';
import { Method, encodeStun, retransmitSchedule, type StunMessage } from '../../../main/stun';
import { closeAndCheck, dec, enc, makeNetwork } from '../net/virtual/support';

// The base of an ICE-TCP pair on the virtual network: RFC 4571 frames, STUN demux, reliable checks.
async function connected() {
  const { clock, net } = makeNetwork(7);
  const a = net.addHost('a', { ip: '10.0.0.1' });
  const b = net.addHost('b', { ip: '10.0.0.2' });
  const server = await b.listenTcp({ ip: '10.0.0.2', port: 5000 });
  let accepted: StreamSocket | undefined;
  server.onConnection((s) => (accepted = s));
  const pending = a.connectTcp({ ip: '10.0.0.2', port: 5000 }, { local: { ip: '10.0.0.1', port: 0 } });
  clock.advance(10);
  const client = await pending;
  clock.advance(10);
  if (!accepted) throw new Error('no connection accepted');
  return { clock, net, client, accepted, server };
}

describe('StreamBase (RFC 6544 over RFC 4571 framing)', () => {
  it('a check goes out as one frame and its answer, split across writes, resolves it; data frames come out as data', async () => {
    const { clock, net, client, accepted } = await connected();
    const base = new StreamBase(client, clock, { random: new SeededRandom(1) });
    // The far end speaks raw frames, so we see exactly what is on the wire.
    const frames: Uint8Array[] = [];
    let buf = new Uint8Array(0);
    accepted.onData((chunk) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      while (buf.length >= 2 && buf.length >= 2 + ((buf[0]! << 8) | buf[1]!)) {
        const len = (buf[0]! << 8) | buf[1]!;
        frames.push(buf.slice(2, 2 + len));
        buf = buf.slice(2 + len);
      }
    });
    const data: Array<{ text: string; from: TransportAddress }> = [];
    base.onData((bytes, from) => data.push({ text: dec(bytes), from }));

    // `to` is ignored: the connection is the pair (a passive peer's candidate says port 9).
    const req = base.stun.request(Method.Binding, [], { ip: '10.0.0.2', port: 9 });
    clock.advance(10);
    expect(frames).toHaveLength(1);
    const txId = frames[0]!.slice(8, 20);
    const answer = encodeRfc4571(encodeStun({ method: Method.Binding, cls: 'success', transactionId: txId, attributes: [] }));
    // The answer and two data frames, cut at awkward places: mid-length, mid-body.
    const wire = new Uint8Array([...answer, ...encodeRfc4571(enc('rtp 1')), ...encodeRfc4571(enc('rtp 2'))]);
    accepted.write(wire.slice(0, 1));
    clock.advance(5);
    accepted.write(wire.slice(1, 9));
    clock.advance(5);
    accepted.write(wire.slice(9));
    clock.advance(10);
    const res = await req;
    expect(res.message.cls).toBe('success');
    expect(res.from).toEqual(client.remote);
    expect(data).toEqual([
      { text: 'rtp 1', from: client.remote },
      { text: 'rtp 2', from: client.remote },
    ]);

    base.send(enc('media'), { ip: '192.0.2.99', port: 1 });
    clock.advance(10);
    expect(dec(frames[1]!)).toBe('media');
    expect(base.frameCounters).toMatchObject({ framesIn: 3, framesOut: 2, oversize: 0 });
    await base.close();
    await closeAndCheck(clock, net);
  });

  it('passes peer requests up with the connection as their source', async () => {
    const { clock, net, client, accepted } = await connected();
    const base = new StreamBase(accepted, clock);
    const requests: Array<{ m: StunMessage; from: TransportAddress }> = [];
    base.onRequest((m, from) => requests.push({ m, from }));
    client.write(encodeRfc4571(encodeStun({ method: Method.Binding, cls: 'request', transactionId: new Uint8Array(12).fill(3), attributes: [] })));
    clock.advance(10);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.from).toEqual({ ip: '10.0.0.1', port: client.local.port });
    await base.close();
    await closeAndCheck(clock, net);
  });

  it('sends a check once and times out after the UDP schedule total, not RFC 8489 Ti', async () => {
    const { clock, net, client } = await connected();
    const retransmit = { rtoMs: 100, rc: 3, rm: 4 };
    const base = new StreamBase(client, clock, { retransmit });
    const limit = retransmitSchedule({ ...retransmit, maxRtoMs: Infinity, reliableTimeoutMs: 0 }, false).timeoutAt; // 0, 100, 300; +400
    expect(limit).toBe(700);
    expect(streamRetransmit(retransmit).reliableTimeoutMs).toBe(700);
    expect(streamRetransmit({ reliableTimeoutMs: 1234 }).reliableTimeoutMs).toBe(1234);
    let error: MediapathError | undefined;
    base.stun.request(Method.Binding, [], client.remote).catch((e: MediapathError) => (error = e));
    clock.advance(699);
    await Promise.resolve();
    expect(error).toBeUndefined();
    clock.advance(1);
    await Promise.resolve();
    expect(error?.code).toBe('STUN_TIMEOUT');
    expect(base.stun.stats.sends).toBe(1);
    await base.close();
    await closeAndCheck(clock, net);
  });

  it('when the peer closes, a pending check fails at once and onClose fires', async () => {
    const { clock, net, client, accepted } = await connected();
    const base = new StreamBase(client, clock);
    let closed = false;
    base.onClose(() => (closed = true));
    let error: MediapathError | undefined;
    base.stun.request(Method.Binding, [], client.remote).catch((e: MediapathError) => (error = e));
    await accepted.close();
    clock.advance(10);
    await Promise.resolve();
    expect(closed).toBe(true);
    expect(base.closed).toBe(true);
    expect(error?.code).toBe('STUN_TRANSPORT_CLOSED');
    await base.close();
    await closeAndCheck(clock, net);
  });

  it('drops and counts a datagram RFC 4571 cannot frame, without throwing', async () => {
    const { clock, net, client } = await connected();
    const base = new StreamBase(client, clock);
    expect(() => base.send(new Uint8Array(70_000), client.remote)).not.toThrow();
    expect(base.frameCounters.oversize).toBe(1);
    expect(base.frameCounters.framesOut).toBe(0);
    await base.close();
    await closeAndCheck(clock, net);
  });
});
