import { describe, expect, it } from 'vitest';
import { responseFor } from '../../../../main/lab/registrar/responses';
import {
  decrementMaxForwards,
  isSelfUri,
  nextHopUri,
  popSelfRoutes,
  recordRouteEntries,
  statelessBranch,
  uriTarget,
  viaReturnTarget,
  withoutTopVia,
  withReceived,
  type SelfIdentity,
} from '../../../../main/lab/registrar/routing';
import { parseVia } from '../../../../main/sip/header-values';
import { getHeader, getHeaders, sipRequest } from '../../../../main/sip/message';
import { parseSipUri } from '../../../../main/sip/uri';

const self: SelfIdentity = { host: '192.0.2.10', domain: 'lab.test', udpPort: 5060, tcpPort: 5070 };
const uri = (s: string) => {
  const u = parseSipUri(s);
  if (!u.ok) throw new Error(s);
  return u.value;
};

function req(headers: Array<[string, string]>, ruri = 'sip:bob@192.0.2.20:5062') {
  return sipRequest('BYE', ruri, [
    ['Via', 'SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKa;rport'],
    ['Via', 'SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKb'],
    ['From', '<sip:alice@lab.test>;tag=1'],
    ['To', '<sip:bob@lab.test>;tag=2'],
    ['Call-ID', 'c'],
    ['CSeq', '2 BYE'],
    ...headers,
  ]);
}

describe('proxy routing helpers (RFC 3261 §16)', () => {
  it('knows its own URIs: the domain, or its host on one of its ports', () => {
    expect(isSelfUri(uri('sip:bob@lab.test'), self)).toBe(true);
    expect(isSelfUri(uri('sip:192.0.2.10'), self)).toBe(true);
    expect(isSelfUri(uri('sip:192.0.2.10:5070;transport=tcp'), self)).toBe(true);
    expect(isSelfUri(uri('sip:alice@192.0.2.10:5062'), self)).toBe(false);
    const withTls = { ...self, tlsPort: 5071 };
    expect(isSelfUri(uri('sip:192.0.2.10:5071;transport=tls'), withTls)).toBe(true);
    expect(isSelfUri(uri('sip:192.0.2.10:5071;transport=tls'), self)).toBe(false);
    expect(recordRouteEntries(withTls, 'tls', 'udp')).toEqual(['<sip:192.0.2.10:5060;transport=udp;lr>', '<sip:192.0.2.10:5071;transport=tls;lr>']);
  });

  it('records one route, or two when the transports differ (RFC 5658), callee side on top', () => {
    expect(recordRouteEntries(self, 'udp', 'udp')).toEqual(['<sip:192.0.2.10:5060;transport=udp;lr>']);
    expect(recordRouteEntries(self, 'udp', 'tcp')).toEqual(['<sip:192.0.2.10:5070;transport=tcp;lr>', '<sip:192.0.2.10:5060;transport=udp;lr>']);
  });

  it('pops its own Route entries (both of a double record-route) and keeps the rest', () => {
    const r = popSelfRoutes(req([['Route', '<sip:192.0.2.10:5070;transport=tcp;lr>'], ['Route', '<sip:192.0.2.10:5060;transport=udp;lr>'], ['Route', '<sip:198.51.100.1;lr>']]), self);
    expect(getHeaders(r, 'Route')).toEqual(['<sip:198.51.100.1;lr>']);
    const hop = nextHopUri(r);
    expect(hop.ok && hop.value.host).toBe('198.51.100.1');
    const none = popSelfRoutes(req([['Route', '<sip:192.0.2.10;lr>']]), self);
    expect(getHeader(none, 'Route')).toBeUndefined();
    expect(nextHopUri(none)).toMatchObject({ ok: true, value: { host: '192.0.2.20', port: 5062 } });
  });

  it('turns URIs into targets: IP literals, UDP by default, TCP or TLS when asked, sips: as TLS on 5061', () => {
    expect(uriTarget(uri('sip:bob@192.0.2.20:5062'))).toEqual({ ok: true, value: { transport: 'udp', address: { ip: '192.0.2.20', port: 5062 } } });
    expect(uriTarget(uri('sip:bob@192.0.2.20;transport=TCP'))).toEqual({ ok: true, value: { transport: 'tcp', address: { ip: '192.0.2.20', port: 5060 } } });
    expect(uriTarget(uri('sip:bob@pc.lab.test')).ok).toBe(false);
    expect(uriTarget(uri('sip:bob@192.0.2.20;transport=tls'))).toEqual({ ok: true, value: { transport: 'tls', address: { ip: '192.0.2.20', port: 5061 } } });
    expect(uriTarget(uri('sips:bob@192.0.2.20:5071'))).toEqual({ ok: true, value: { transport: 'tls', address: { ip: '192.0.2.20', port: 5071 } } });
    expect(uriTarget(uri('sips:bob@192.0.2.20;transport=udp')).ok).toBe(false);
    expect(uriTarget(uri('sip:bob@192.0.2.20;transport=sctp')).ok).toBe(false);
  });

  it('adds received and rport to the top Via (§18.2.1, RFC 3581) and finds the way back by it', () => {
    const r = withReceived(req([]), { ip: '203.0.113.5', port: 40000 });
    const vias = getHeaders(r, 'Via');
    expect(vias).toHaveLength(2);
    const top = parseVia(vias[0]!);
    expect(top.ok && top.value).toMatchObject({ received: '203.0.113.5', rport: 40000, branch: 'z9hG4bKa' });
    expect(top.ok && viaReturnTarget(top.value)).toEqual({ transport: 'udp', address: { ip: '203.0.113.5', port: 40000 } });
    // rport asked: received is written even when the host matches (RFC 3581 §4).
    const same = withReceived(req([]), { ip: '10.0.0.2', port: 1 });
    expect(getHeader(same, 'Via')).toBe('SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKa;received=10.0.0.2;rport=1');
    const noRport = sipRequest('OPTIONS', 'sip:lab.test', [['Via', 'SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKc'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:a@b>'], ['Call-ID', 'x'], ['CSeq', '1 OPTIONS']]);
    // Same host, no rport asked: the Via is left alone.
    expect(withReceived(noRport, { ip: '10.0.0.2', port: 9 })).toBe(noRport);
  });

  it('decrements Max-Forwards and stops at zero (483)', () => {
    const r = decrementMaxForwards(req([['Max-Forwards', '2']]));
    expect(r.ok && getHeader(r.value, 'Max-Forwards')).toBe('1');
    expect(decrementMaxForwards(req([['Max-Forwards', '0']]))).toEqual({ ok: false, error: 483 });
    const dflt = decrementMaxForwards(req([]));
    expect(dflt.ok && getHeader(dflt.value, 'Max-Forwards')).toBe('69');
  });

  it('strips the top Via of a response, and gives a stable branch to stateless forwards', () => {
    const res = responseFor(req([]), 200, { toTag: 'x' });
    const up = withoutTopVia(res)!;
    expect(getHeaders(up, 'Via')).toEqual(['SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKb']);
    expect(withoutTopVia(up)).toBeUndefined();
    expect(statelessBranch(req([]))).toBe(statelessBranch(req([])));
    expect(statelessBranch(req([]))).toMatch(/^z9hG4bK/);
  });

  it('builds responses as §8.2.6.2 says: Vias, From, To with a tag, Call-ID, CSeq', () => {
    const r = responseFor(sipRequest('OPTIONS', 'sip:lab.test', [['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:a@b>'], ['Call-ID', 'x'], ['CSeq', '1 OPTIONS']]), 200, { toTag: 't9' });
    expect(getHeader(r, 'To')).toBe('<sip:a@b>;tag=t9');
    expect(r.reason).toBe('OK');
    expect(getHeader(responseFor(req([]), 200, { toTag: 'new' }), 'To')).toBe('<sip:bob@lab.test>;tag=2');
  });
});
