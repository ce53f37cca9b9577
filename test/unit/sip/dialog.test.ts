import { describe, expect, it } from 'vitest';
import { Dialog, dialogIdOfIncoming } from '../../../main/sip/dialog';
import { getHeader, getHeaders, sipRequest, sipResponse } from '../../../main/sip/message';
import { learnedAddress, markReceived, responseDestination } from '../../../main/sip/transport';

const invite = sipRequest('INVITE', 'sip:bob@lab.test', [
  ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport'],
  ['From', '"Alice" <sip:alice@lab.test>;tag=a1'],
  ['To', '<sip:bob@lab.test>'],
  ['Call-ID', 'c1'],
  ['CSeq', '7 INVITE'],
  ['Contact', '<sip:alice@10.0.0.1:5060>'],
  ['Record-Route', '<sip:p1.lab.test;lr>'],
  ['Record-Route', '<sip:p2.lab.test;lr>'],
]);

function ok200(rr: string[]) {
  return sipResponse(200, 'OK', [
    ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport=5060;received=10.0.0.1'],
    ...rr.map((r): [string, string] => ['Record-Route', r]),
    ['From', '"Alice" <sip:alice@lab.test>;tag=a1'],
    ['To', '<sip:bob@lab.test>;tag=b1'],
    ['Call-ID', 'c1'],
    ['CSeq', '7 INVITE'],
    ['Contact', '<sip:bob@10.0.0.2:5062>'],
  ]);
}

describe('Dialog (RFC 3261 §12)', () => {
  it('UAC: reversed Record-Route, loose routing, CSeq counting, ACK with the INVITE number', () => {
    const d = Dialog.forUac(invite, ok200(['<sip:p2.lab.test;lr>', '<sip:p1.lab.test;lr>']));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.state).toBe('confirmed');
    expect(d.value.id).toEqual({ callId: 'c1', localTag: 'a1', remoteTag: 'b1' });
    expect(d.value.routeSet).toEqual(['<sip:p1.lab.test;lr>', '<sip:p2.lab.test;lr>']);
    const bye = d.value.request('BYE', { via: 'SIP/2.0/UDP x;branch=z9hG4bK-2' });
    expect(bye.uri).toBe('sip:bob@10.0.0.2:5062');
    expect(getHeaders(bye, 'Route')).toEqual(['<sip:p1.lab.test;lr>', '<sip:p2.lab.test;lr>']);
    expect(getHeader(bye, 'CSeq')).toBe('8 BYE');
    expect(getHeader(bye, 'From')).toBe('Alice <sip:alice@lab.test>;tag=a1');
    expect(getHeader(bye, 'To')).toBe('<sip:bob@lab.test>;tag=b1');
    expect(getHeader(d.value.ack(7, { via: 'SIP/2.0/UDP x;branch=z9hG4bK-3' }), 'CSeq')).toBe('7 ACK');
  });

  it('strict routing: the first route becomes the Request-URI and the remote target the last Route', () => {
    const d = Dialog.forUac(invite, ok200(['<sip:p2.lab.test>', '<sip:p1.lab.test?x=y>']));
    if (!d.ok) throw new Error('no dialog');
    const req = d.value.request('INFO', { via: 'SIP/2.0/UDP x;branch=z9hG4bK-4' });
    expect(req.uri).toBe('sip:p1.lab.test');
    expect(getHeaders(req, 'Route')).toEqual(['<sip:p2.lab.test>', '<sip:bob@10.0.0.2:5062>']);
  });

  it('UAS: route set in order, peer CSeq must grow, target refresh', () => {
    const d = Dialog.forUas(invite, 'b1', 'early');
    if (!d.ok) throw new Error('no dialog');
    expect(d.value.routeSet).toEqual(['<sip:p1.lab.test;lr>', '<sip:p2.lab.test;lr>']);
    expect(d.value.state).toBe('early');
    d.value.confirm();
    expect(d.value.state).toBe('confirmed');
    const mk = (seq: number, method = 'INVITE') =>
      sipRequest(method, 'sip:bob@10.0.0.2', [
        ['Via', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-9'],
        ['From', '<sip:alice@lab.test>;tag=a1'],
        ['To', '<sip:bob@lab.test>;tag=b1'],
        ['Call-ID', 'c1'],
        ['CSeq', `${seq} ${method}`],
        ['Contact', '<sip:alice@10.9.9.9:7000>'],
      ]);
    expect(d.value.acceptRemoteSeq(mk(7)).ok).toBe(false);
    expect(d.value.acceptRemoteSeq(mk(7, 'ACK')).ok).toBe(true);
    expect(d.value.acceptRemoteSeq(mk(8)).ok).toBe(true);
    d.value.refreshTarget(mk(8));
    expect(d.value.remoteTarget).toBe('sip:alice@10.9.9.9:7000');
    expect(getHeader(d.value.request('BYE', { via: 'v' }), 'CSeq')).toBe('1 BYE');
    expect(dialogIdOfIncoming(mk(9))).toEqual({ callId: 'c1', localTag: 'b1', remoteTag: 'a1' });
  });

  it('refuses a response without a Contact or a To tag', () => {
    const noTag = sipResponse(200, 'OK', [...ok200([]).headers.filter((h) => h.name !== 'To').map((h): [string, string] => [h.name, h.value]), ['To', '<sip:bob@lab.test>']]);
    expect(Dialog.forUac(invite, noTag).ok).toBe(false);
    const noContact = sipResponse(200, 'OK', ok200([]).headers.filter((h) => h.name !== 'Contact').map((h): [string, string] => [h.name, h.value]));
    expect(Dialog.forUac(invite, noContact).ok).toBe(false);
  });
});

describe('Via handling (RFC 3261 §18.2, RFC 3581)', () => {
  const req = (via: string) => sipRequest('OPTIONS', 'sip:x', [['Via', via], ['Via', 'SIP/2.0/UDP second;branch=z9hG4bK-2'], ['From', '<sip:a@x>;tag=1'], ['To', '<sip:x>'], ['Call-ID', 'c'], ['CSeq', '1 OPTIONS']]);
  it('adds received only when the host differs, rport only when asked, and keeps the rest of the stack', () => {
    const same = markReceived(req('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1'), { ip: '10.0.0.1', port: 5060 });
    expect(getHeader(same, 'Via')).toBe('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1');
    const nat = markReceived(req('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1'), { ip: '192.0.2.7', port: 4000 });
    expect(getHeader(nat, 'Via')).toBe('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;received=192.0.2.7');
    const rport = markReceived(req('SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK-1'), { ip: '10.0.0.1', port: 4000 });
    expect(getHeaders(rport, 'Via')).toEqual(['SIP/2.0/UDP 10.0.0.1:5060;rport=4000;branch=z9hG4bK-1;received=10.0.0.1', 'SIP/2.0/UDP second;branch=z9hG4bK-2']);
    const res = sipResponse(200, 'OK', rport.headers.map((h): [string, string] => [h.name, h.value]));
    expect(learnedAddress(res)).toEqual({ ip: '10.0.0.1', port: 4000 });
    expect(responseDestination(res, { ip: '10.0.0.1', port: 4000 }, 'udp')).toEqual({ ip: '10.0.0.1', port: 4000 });
    const plain = sipResponse(200, 'OK', nat.headers.map((h): [string, string] => [h.name, h.value]));
    // Without rport a UDP response goes to the source address and the sent-by port (§18.2.2).
    expect(responseDestination(plain, { ip: '192.0.2.7', port: 4000 }, 'udp')).toEqual({ ip: '192.0.2.7', port: 5060 });
    expect(responseDestination(plain, { ip: '192.0.2.7', port: 4000 }, 'tcp')).toEqual({ ip: '192.0.2.7', port: 4000 });
  });
});
