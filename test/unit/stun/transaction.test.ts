import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import type { MediapathError } from '../../../main/common/errors';
import {
  Attr,
  Method,
  StunClient,
  attrs,
  decodeStun,
  encodeStun,
  retransmitSchedule,
  shortTermKey,
  DEFAULT_RETRANSMIT,
  type StunMessage,
} from '../../../main/stun';

const server = { ip: '192.0.2.10', port: 3478 };

function setup(reliable = false, retransmit = {}) {
  const clock = new FakeClock();
  const sent: Array<{ at: number; bytes: Uint8Array }> = [];
  const client = new StunClient({ clock, reliable, retransmit, random: new SeededRandom(1), send: (bytes) => sent.push({ at: clock.now(), bytes }) });
  return { clock, sent, client };
}

function parse(bytes: Uint8Array): StunMessage {
  const r = decodeStun(bytes);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

function successFor(req: Uint8Array, key?: Uint8Array, fingerprint = false): StunMessage {
  const m = parse(req);
  return parse(
    encodeStun(
      { method: m.method, cls: 'success', transactionId: m.transactionId, attributes: [attrs.xorMappedAddress({ ip: '198.51.100.7', port: 40000 })] },
      { ...(key ? { integrityKey: key } : {}), fingerprint },
    ),
  );
}

describe('RFC 8489 §6.2.1 retransmission', () => {
  it('default schedule: 0, 500, 1500, 3500, 7500, 15500, 31500 and give up at 39500', () => {
    expect(retransmitSchedule(DEFAULT_RETRANSMIT, false)).toEqual({ sends: [0, 500, 1500, 3500, 7500, 15500, 31500], timeoutAt: 39500 });
    expect(retransmitSchedule(DEFAULT_RETRANSMIT, true)).toEqual({ sends: [0], timeoutAt: 39500 });
  });

  it('sends on that schedule under a fake clock and times out with STUN_TIMEOUT', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Binding, [], server);
    const outcome = p.then(
      () => 'resolved',
      (e: MediapathError) => e,
    );
    clock.advance(39_499);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    // every retransmission is the same bytes (same transaction id)
    expect(new Set(sent.map((s) => Buffer.from(s.bytes).toString('hex'))).size).toBe(1);
    clock.advance(1);
    const e = await outcome;
    expect(e).not.toBe('resolved');
    expect((e as MediapathError).code).toBe('STUN_TIMEOUT');
    expect(client.stats).toMatchObject({ sends: 7, retransmissions: 6, timeouts: 1 });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('honours a configured RTO, Rc and Rm', async () => {
    const { clock, sent, client } = setup(false, { rtoMs: 100, rc: 3, rm: 4 });
    const p = client.request(Method.Binding, [], server).catch((e: MediapathError) => e.code);
    clock.advance(10_000);
    expect(sent.map((s) => s.at)).toEqual([0, 100, 300]);
    expect(await p).toBe('STUN_TIMEOUT');
  });

  it('over a reliable transport sends once and times out after Ti', async () => {
    const { clock, sent, client } = setup(true, { reliableTimeoutMs: 5000 });
    const p = client.request(Method.Binding, [], server).catch((e: MediapathError) => e.code);
    clock.advance(4999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(await p).toBe('STUN_TIMEOUT');
  });

  it('a response stops retransmission and resolves with the attempt count', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Binding, [], server);
    clock.advance(600);
    expect(client.handle(successFor(sent[0]!.bytes), server)).toBe(true);
    const r = await p;
    expect(r.attempts).toBe(2);
    expect(r.elapsedMs).toBe(600);
    clock.advance(60_000);
    expect(sent).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('matches by transaction id and source address', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Binding, [], server);
    expect(client.handle(successFor(sent[0]!.bytes), { ip: '203.0.113.66', port: 3478 })).toBe(false);
    const other = parse(encodeStun({ method: Method.Binding, cls: 'success', transactionId: new Uint8Array(12) }));
    expect(client.handle(other, server)).toBe(false);
    expect(client.handle(successFor(sent[0]!.bytes), server)).toBe(true);
    await p;
    clock.runAll();
  });
});

describe('response checks', () => {
  const key = shortTermKey('s3cret');

  it('drops and counts a response with a bad MESSAGE-INTEGRITY, then believes a good one', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Binding, [attrs.username('a:b')], server, { integrityKey: key, fingerprint: true });
    expect(parse(sent[0]!.bytes).attributes.map((a) => a.type)).toContain(Attr.MESSAGE_INTEGRITY);
    expect(client.handle(successFor(sent[0]!.bytes, shortTermKey('forged')), server)).toBe(true);
    expect(client.handle(successFor(sent[0]!.bytes), server)).toBe(true); // unsigned success: dropped
    expect(client.stats.droppedBadIntegrity).toBe(1);
    expect(client.stats.droppedMissingIntegrity).toBe(1);
    expect(client.inFlight).toBe(1);
    expect(client.handle(successFor(sent[0]!.bytes, key, true), server)).toBe(true);
    await p;
    expect(client.stats.responses).toBe(1);
    clock.runAll();
  });

  it('drops a response whose FINGERPRINT is wrong', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Binding, [], server);
    const good = successFor(sent[0]!.bytes, undefined, true);
    const raw = good.raw.slice();
    raw[raw.length - 1]! ^= 0xff;
    expect(client.handle(parse(raw), server)).toBe(true);
    expect(client.stats.droppedBadFingerprint).toBe(1);
    expect(client.handle(good, server)).toBe(true);
    await p;
    clock.runAll();
  });

  it('accepts an unsigned 401 to a signed request (challenges carry no integrity)', async () => {
    const { clock, sent, client } = setup();
    const p = client.request(Method.Allocate, [], server, { integrityKey: key });
    const req = parse(sent[0]!.bytes);
    const e401 = parse(encodeStun({ method: Method.Allocate, cls: 'error', transactionId: req.transactionId, attributes: [attrs.errorCode(401, 'Unauthorized')] }));
    expect(client.handle(e401, server)).toBe(true);
    expect((await p).message.cls).toBe('error');
    clock.runAll();
  });

  it('close() fails pending requests and leaves no timers', async () => {
    const { clock, client } = setup();
    const p = client.request(Method.Binding, [], server).catch((e: MediapathError) => e.code);
    client.close();
    expect(await p).toBe('STUN_TRANSPORT_CLOSED');
    expect(clock.pendingTimers()).toBe(0);
  });
});
