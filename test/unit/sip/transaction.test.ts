import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import { getHeader, type SipRequest, type SipResponse, sipRequest, sipResponse } from '../../../main/sip/message';
import type { TxAction } from '../../../main/sip/transaction/actions';
import { TransactionDriver } from '../../../main/sip/transaction/driver';
import { TransactionLayer } from '../../../main/sip/transaction/layer';

const peer = { ip: '192.0.2.1', port: 5060 };
const me = { ip: '192.0.2.10', port: 5060 };

function request(method: string, branch = 'z9hG4bK-1', seq = 1): SipRequest {
  return sipRequest(method, 'sip:bob@example.test', [
    ['Via', `SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport`],
    ['Max-Forwards', '70'],
    ['From', '<sip:alice@example.test>;tag=a1'],
    ['To', '<sip:bob@example.test>'],
    ['Call-ID', 'call-1'],
    ['CSeq', `${seq} ${method}`],
    ['Route', '<sip:proxy.example.test;lr>'],
  ]);
}

function responseTo(req: SipRequest, status: number, reason = 'X'): SipResponse {
  const copy = (n: string): [string, string][] => req.headers.filter((h) => h.name === n).map((h): [string, string] => [h.name, h.value]);
  const to = getHeader(req, 'To')!;
  return sipResponse(status, reason, [...copy('Via'), ...copy('From'), ['To', status > 100 ? `${to};tag=b2` : to], ...copy('Call-ID'), ...copy('CSeq')]);
}

/** Runs the layer on a fake clock and records what went on the wire and to the TU. */
function harness(reliable = false) {
  const clock = new FakeClock();
  const wire: { at: number; message: SipRequest | SipResponse }[] = [];
  const tu: Exclude<TxAction, { kind: 'send' | 'timer' | 'clear-timers' }>[] = [];
  const layer = new TransactionLayer();
  const driver = new TransactionDriver(layer, clock, {
    send: (message) => wire.push({ at: clock.now(), message }),
    deliver: (a) => tu.push(a),
  });
  const sentAt = (pred: (m: SipRequest | SipResponse) => boolean): number[] => wire.filter((w) => pred(w.message)).map((w) => w.at);
  return { clock, wire, tu, layer, driver, reliable, sentAt };
}

const isMethod = (method: string) => (m: SipRequest | SipResponse) => m.kind === 'request' && m.method === method;
const isStatus = (status: number) => (m: SipRequest | SipResponse) => m.kind === 'response' && m.status === status;
const failures = (tu: ReturnType<typeof harness>['tu']) => tu.filter((a) => a.kind === 'failed');

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026)', () => {
  it('retransmits on Timer A (T1 doubling) and times out on Timer B = 64·T1', () => {
    const h = harness();
    h.driver.sendRequest(request('INVITE'), peer, false);
    h.clock.runAll();
    expect(h.sentAt(isMethod('INVITE'))).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    const [f] = failures(h.tu);
    expect(f).toMatchObject({ kind: 'failed', error: { code: 'SIP_TIMEOUT' } });
    expect(h.clock.now()).toBe(32000);
    expect(h.layer.size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.tu.filter((a) => a.kind === 'state').map((a) => a.kind === 'state' && `${a.from}>${a.to}: ${a.reason}`)).toEqual([
      'calling>terminated: Timer B: no response',
    ]);
  });

  it('sends once over a reliable transport and still times out on Timer B', () => {
    const h = harness();
    h.driver.sendRequest(request('INVITE'), peer, true);
    h.clock.runAll();
    expect(h.sentAt(isMethod('INVITE'))).toEqual([0]);
    expect(failures(h.tu)).toHaveLength(1);
  });

  it('stops retransmitting on a provisional response and waits as long as it takes', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.sendRequest(inv, peer, false);
    h.clock.advance(600);
    h.driver.onMessage(responseTo(inv, 180, 'Ringing'), peer, false);
    h.clock.advance(120_000);
    expect(h.sentAt(isMethod('INVITE'))).toEqual([0, 500]);
    expect(h.tu.filter((a) => a.kind === 'response').map((a) => a.kind === 'response' && a.response.status)).toEqual([180]);
    expect(failures(h.tu)).toHaveLength(0);
    h.driver.close();
  });

  it('ACKs a final error itself, absorbs its retransmissions, and ends on Timer D', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.sendRequest(inv, peer, false);
    const busy = responseTo(inv, 486, 'Busy Here');
    h.driver.onMessage(busy, peer, false);
    h.clock.advance(1000);
    h.driver.onMessage(busy, peer, false); // our ACK was lost
    const acks = h.wire.filter((w) => w.message.kind === 'request' && w.message.method === 'ACK');
    expect(acks.map((a) => a.at)).toEqual([0, 1000]);
    const ack = acks[0]!.message as SipRequest;
    expect(ack.uri).toBe(inv.uri);
    expect(getHeader(ack, 'CSeq')).toBe('1 ACK');
    expect(getHeader(ack, 'To')).toBe('<sip:bob@example.test>;tag=b2');
    expect(getHeader(ack, 'Route')).toBe('<sip:proxy.example.test;lr>');
    expect(h.tu.filter((a) => a.kind === 'response')).toHaveLength(1);
    expect(h.layer.size).toBe(1);
    h.clock.advance(31_000); // Timer D = 32 s from the first 486
    expect(h.layer.size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('passes 2xx and its retransmissions to the TU while Accepted (Timer M), then stray 2xx too', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.sendRequest(inv, peer, false);
    const ok = responseTo(inv, 200, 'OK');
    h.driver.onMessage(ok, peer, false);
    h.driver.onMessage(ok, peer, false);
    expect(h.tu.filter((a) => a.kind === 'response' && a.txId !== undefined)).toHaveLength(2);
    expect(h.wire.filter((w) => w.message.kind === 'request' && w.message.method === 'ACK')).toHaveLength(0);
    h.clock.advance(32_000);
    expect(h.layer.size).toBe(0);
    h.driver.onMessage(ok, peer, false);
    expect(h.tu[h.tu.length - 1]).toMatchObject({ kind: 'response', txId: undefined });
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits on Timer E capped at T2 and fails on Timer F', () => {
    const h = harness();
    h.driver.sendRequest(request('REGISTER'), peer, false);
    h.clock.runAll();
    expect(h.sentAt(isMethod('REGISTER'))).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(failures(h.tu)).toMatchObject([{ error: { code: 'SIP_TIMEOUT', message: expect.stringContaining('Timer F') } }]);
    expect(h.clock.now()).toBe(32000);
  });

  it('retransmits every T2 once Proceeding, then absorbs duplicates and ends on Timer K', () => {
    const h = harness();
    const reg = request('REGISTER');
    h.driver.sendRequest(reg, peer, false);
    h.clock.advance(100);
    h.driver.onMessage(responseTo(reg, 100, 'Trying'), peer, false);
    h.clock.advance(9000); // the pending E at 500, then E every T2 is 4000: 4500, 8500
    expect(h.sentAt(isMethod('REGISTER'))).toEqual([0, 500, 4500, 8500]);
    const ok = responseTo(reg, 200, 'OK');
    h.driver.onMessage(ok, peer, false);
    h.driver.onMessage(ok, peer, false);
    expect(h.tu.filter((a) => a.kind === 'response').map((a) => a.kind === 'response' && a.response.status)).toEqual([100, 200]);
    h.clock.advance(4999);
    expect(h.layer.size).toBe(1);
    h.clock.advance(1);
    expect(h.layer.size).toBe(0);
  });

  it('ends at once over a reliable transport (Timer K = 0) and reports transport errors', () => {
    const h = harness();
    const reg = request('REGISTER');
    const id = h.driver.sendRequest(reg, peer, true);
    h.driver.onMessage(responseTo(reg, 401, 'Unauthorized'), peer, true);
    expect(h.layer.size).toBe(0);
    const id2 = h.driver.sendRequest(request('OPTIONS', 'z9hG4bK-2'), peer, true);
    expect(id2).not.toBe(id);
    h.driver.onTransportError(id2, new MediapathError('NET_CONNECT_FAILED', 'refused', { layer: 'net' }));
    expect(failures(h.tu)).toMatchObject([{ txId: id2, error: { code: 'NET_CONNECT_FAILED' } }]);
    expect(h.layer.size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('matches responses by branch and method only (a CANCEL has its own transaction)', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.sendRequest(inv, peer, false);
    h.driver.sendRequest(request('CANCEL'), peer, false);
    h.driver.onMessage(responseTo(request('CANCEL'), 200, 'OK'), peer, false);
    h.driver.onMessage(responseTo(inv, 487, 'Request Terminated'), peer, false);
    expect(h.tu.filter((a) => a.kind === 'response').map((a) => a.kind === 'response' && `${a.txId} ${a.response.status}`)).toEqual([
      'z9hG4bK-1|CANCEL 200',
      'z9hG4bK-1|INVITE 487',
    ]);
    h.driver.onMessage(responseTo(request('BYE', 'z9hG4bK-other'), 200, 'OK'), peer, false);
    expect(h.tu.filter((a) => a.kind === 'response')).toHaveLength(2); // stray non-INVITE: dropped
    h.driver.close();
  });

  it('refuses requests it cannot track', () => {
    const h = harness();
    expect(() => h.driver.sendRequest(request('ACK'), peer, false)).toThrow(/ACK/);
    const noBranch = sipRequest('OPTIONS', 'sip:b@x', [['Via', 'SIP/2.0/UDP h'], ['CSeq', '1 OPTIONS']]);
    expect(() => h.driver.sendRequest(noBranch, peer, false)).toThrow(/branch/);
    h.driver.sendRequest(request('OPTIONS'), peer, false);
    expect(() => h.driver.sendRequest(request('OPTIONS'), peer, false)).toThrow(/exists/);
    h.driver.close();
  });
});

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026)', () => {
  it('sends 100 Trying, repeats the latest provisional to retransmissions, hands the TU one request', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.onMessage(inv, peer, false);
    const newRequests = h.tu.filter((a) => a.kind === 'request');
    expect(newRequests).toHaveLength(1);
    const txId = newRequests[0]!.txId!;
    h.driver.respond(txId, responseTo(inv, 180, 'Ringing'));
    h.driver.onMessage(inv, peer, false);
    expect(h.wire.map((w) => (w.message.kind === 'response' ? w.message.status : 0))).toEqual([100, 180, 180]);
    expect(h.tu.filter((a) => a.kind === 'request')).toHaveLength(1);
    expect(getHeader(h.wire[0]!.message, 'To')).toBe('<sip:bob@example.test>');
    h.driver.close();
  });

  it('retransmits a final error on Timer G (capped at T2) until the ACK, then ends on Timer I', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.onMessage(inv, peer, false);
    const txId = h.tu.find((a) => a.kind === 'request')!.txId!;
    h.driver.respond(txId, responseTo(inv, 486, 'Busy Here'));
    h.clock.advance(12_000);
    expect(h.sentAt(isStatus(486))).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    const ack = sipRequest('ACK', inv.uri, [...inv.headers.filter((h2) => h2.name !== 'CSeq').map((x): [string, string] => [x.name, x.value]), ['CSeq', '1 ACK']]);
    h.driver.onMessage(ack, peer, false);
    h.driver.onMessage(ack, peer, false); // absorbed in Confirmed
    h.clock.advance(10_000);
    expect(h.sentAt(isStatus(486))).toHaveLength(6);
    expect(h.tu.filter((a) => a.kind === 'request')).toHaveLength(1);
    expect(h.layer.size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('fails on Timer H when no ACK comes', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.onMessage(inv, peer, false);
    h.driver.respond(h.tu[0]!.kind === 'request' ? h.tu[0]!.txId! : '', responseTo(inv, 603, 'Decline'));
    h.clock.runAll();
    expect(failures(h.tu)).toMatchObject([{ error: { code: 'SIP_TIMEOUT', message: expect.stringContaining('Timer H') } }]);
    expect(h.clock.now()).toBe(32_000);
  });

  it('after a 2xx passes ACKs to the TU, lets it retransmit the 2xx, and ends on Timer L', () => {
    const h = harness();
    const inv = request('INVITE');
    h.driver.onMessage(inv, peer, false);
    const txId = h.tu.find((a) => a.kind === 'request')!.txId!;
    const ok = responseTo(inv, 200, 'OK');
    h.driver.respond(txId, ok);
    h.clock.advance(500);
    h.driver.respond(txId, ok);
    h.driver.onMessage(inv, peer, false); // retransmitted INVITE: absorbed
    const ack = sipRequest('ACK', inv.uri, [['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1'], ['CSeq', '1 ACK'], ['Call-ID', 'call-1']]);
    h.driver.onMessage(ack, peer, false);
    expect(h.sentAt(isStatus(200))).toEqual([0, 500]);
    expect(h.tu.filter((a) => a.kind === 'request').map((a) => a.kind === 'request' && a.request.method)).toEqual(['INVITE', 'ACK']);
    h.clock.advance(32_000);
    expect(h.layer.size).toBe(0);
    // An ACK with a new branch (the usual ACK for 2xx) never had a transaction.
    h.driver.onMessage({ ...ack, headers: [{ name: 'Via', value: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-ack' }, ...ack.headers.slice(1)] }, peer, false);
    expect(h.tu[h.tu.length - 1]).toMatchObject({ kind: 'request', txId: undefined, request: { method: 'ACK' } });
  });

  it('matches a CANCEL to its INVITE', () => {
    const h = harness();
    h.driver.onMessage(request('INVITE'), peer, false);
    h.driver.onMessage(request('CANCEL'), peer, false);
    const cancel = h.tu.find((a) => a.kind === 'request' && a.request.method === 'CANCEL');
    expect(cancel).toMatchObject({ cancels: 'z9hG4bK-1|192.0.2.10:5060|INVITE', txId: 'z9hG4bK-1|192.0.2.10:5060|CANCEL' });
    h.driver.close();
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('drops retransmissions while Trying, repeats the final answer, and ends on Timer J', () => {
    const h = harness();
    const reg = request('REGISTER');
    h.driver.onMessage(reg, me, false);
    h.driver.onMessage(reg, me, false);
    expect(h.wire).toHaveLength(0);
    const txId = h.tu.find((a) => a.kind === 'request')!.txId!;
    h.driver.respond(txId, responseTo(reg, 200, 'OK'));
    h.driver.onMessage(reg, me, false);
    expect(h.sentAt(isStatus(200))).toEqual([0, 0]);
    expect(h.wire[0]!.message.kind === 'response' && h.wire.every((w) => w.message.kind === 'response')).toBe(true);
    h.clock.advance(31_999);
    expect(h.layer.size).toBe(1);
    h.clock.advance(1);
    expect(h.layer.size).toBe(0);
    expect(h.tu.filter((a) => a.kind === 'request')).toHaveLength(1);
  });

  it('ends at once on a reliable transport, and ignores late answers', () => {
    const h = harness();
    const reg = request('REGISTER');
    h.driver.onMessage(reg, me, true);
    const txId = h.tu.find((a) => a.kind === 'request')!.txId!;
    h.driver.respond(txId, responseTo(reg, 200, 'OK'));
    expect(h.layer.size).toBe(0);
    h.driver.respond(txId, responseTo(reg, 500, 'late'));
    expect(h.wire).toHaveLength(1);
    expect(h.clock.pendingTimers()).toBe(0);
  });
});

describe('transaction layer under random traffic', () => {
  it('never throws, and leaves no transaction or timer once every request is answered', () => {
    const rng = new SeededRandom(0x7a);
    for (let run = 0; run < 300; run++) {
      const h = harness();
      const reliable = rng.int(2) === 0;
      const methods = ['INVITE', 'REGISTER', 'OPTIONS', 'BYE', 'SUBSCRIBE'];
      const sent: SipRequest[] = [];
      const received: SipRequest[] = [];
      for (let step = 0; step < 20; step++) {
        const m = methods[rng.int(methods.length)]!;
        switch (rng.int(6)) {
          case 0: {
            const r = request(m, `z9hG4bK-c${run}-${step}`, step);
            h.driver.sendRequest(r, peer, reliable);
            sent.push(r);
            break;
          }
          case 1: {
            const r = sent[rng.int(sent.length)];
            if (r) h.driver.onMessage(responseTo(r, [100, 180, 200, 401, 486, 503][rng.int(6)]!), peer, reliable);
            break;
          }
          case 2: {
            const r = request(m, `z9hG4bK-s${run}-${rng.int(5)}`, step);
            h.driver.onMessage(r, peer, reliable);
            received.push(r);
            break;
          }
          case 3: {
            const a = h.tu.filter((x) => x.kind === 'request' && x.txId !== undefined);
            const pick = a[rng.int(a.length)];
            if (pick?.kind === 'request') h.driver.respond(pick.txId!, responseTo(pick.request, [180, 200, 404, 486][rng.int(4)]!));
            break;
          }
          case 4: {
            const r = received[rng.int(received.length)];
            if (r) h.driver.onMessage(r, peer, reliable); // retransmission
            break;
          }
          default:
            h.clock.advance(rng.int(10_000));
        }
      }
      // An INVITE that got a 1xx waits for its final answer with no timer (§17.1.1.2: Timer B
      // runs in Calling only; ending the wait is the TU's CANCEL). So the peer answers, the TU
      // answers whatever is still open, and time runs out every timer.
      for (const r of sent) h.driver.onMessage(responseTo(r, 486, 'Busy'), peer, reliable);
      for (const a of h.tu) if (a.kind === 'request' && a.txId !== undefined) h.driver.respond(a.txId, responseTo(a.request, 500, 'Bye'));
      h.clock.runAll();
      expect(h.layer.size).toBe(0);
      expect(h.clock.pendingTimers()).toBe(0);
      expect(h.driver.pendingTimers).toBe(0);
    }
  });
});
