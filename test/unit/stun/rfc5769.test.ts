import { describe, expect, it } from 'vitest';
import {
  Attr,
  Method,
  addressAttribute,
  attrs,
  checkFingerprint,
  checkIntegrity,
  crc32,
  decodeStun,
  encodeStun,
  longTermKey,
  messageType,
  shortTermKey,
  signStun,
  splitMessageType,
  textAttribute,
  uint32Attribute,
  type StunMessage,
} from '../../../main/stun';
import * as v from '../../fixtures/rfc5769';

function decoded(bytes: Uint8Array): StunMessage {
  const r = decodeStun(bytes);
  if (!r.ok) throw new Error(`${r.error.reason} at ${r.error.offset}`);
  return r.value;
}

describe('RFC 5769 test vectors', () => {
  it('CRC-32 gives the published check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('§2.1 sample request: decodes, integrity and fingerprint check', () => {
    const m = decoded(v.SAMPLE_REQUEST);
    expect(m.method).toBe(Method.Binding);
    expect(m.cls).toBe('request');
    expect(textAttribute(m, Attr.USERNAME)).toBe('evtj:h6vY');
    expect(textAttribute(m, Attr.SOFTWARE)).toBe('STUN test client');
    expect(uint32Attribute(m, Attr.PRIORITY)).toBe(0x6e0001ff);
    expect(checkFingerprint(m)).toBe('valid');
    expect(checkIntegrity(m, shortTermKey(v.SHORT_TERM_PASSWORD))).toBe('valid');
    expect(checkIntegrity(m, shortTermKey('wrong'))).toBe('invalid');
  });

  it('§2.2 IPv4 and §2.3 IPv6 responses decode to the documented addresses and check', () => {
    for (const [bytes, ip] of [
      [v.SAMPLE_IPV4_RESPONSE, '192.0.2.1'],
      [v.SAMPLE_IPV6_RESPONSE, '2001:db8:1234:5678:11:2233:4455:6677'],
    ] as const) {
      const m = decoded(bytes);
      expect(m.cls).toBe('success');
      expect(addressAttribute(m, Attr.XOR_MAPPED_ADDRESS)).toEqual({ ip, port: 32853 });
      expect(checkFingerprint(m)).toBe('valid');
      expect(checkIntegrity(m, shortTermKey(v.SHORT_TERM_PASSWORD))).toBe('valid');
    }
  });

  it('§2.4 long-term request checks under MD5(user:realm:pass)', () => {
    const m = decoded(v.SAMPLE_LONG_TERM_REQUEST);
    expect(textAttribute(m, Attr.USERNAME)).toBe(v.LONG_TERM_USERNAME);
    expect(textAttribute(m, Attr.REALM)).toBe(v.LONG_TERM_REALM);
    expect(textAttribute(m, Attr.NONCE)).toBe(v.LONG_TERM_NONCE);
    expect(checkFingerprint(m)).toBe('absent');
    expect(checkIntegrity(m, longTermKey(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, v.LONG_TERM_PASSWORD))).toBe('valid');
    expect(checkIntegrity(m, longTermKey(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, 'TheMatrix'))).toBe('invalid');
  });

  it('a flipped byte breaks the fingerprint', () => {
    const bytes = v.SAMPLE_REQUEST.slice();
    bytes[30]! ^= 1;
    expect(checkFingerprint(decoded(bytes))).toBe('invalid');
  });

  it('our encoder reproduces the §2.2 and §2.3 responses byte for byte', () => {
    for (const [want, ip] of [
      [v.SAMPLE_IPV4_RESPONSE, '192.0.2.1'],
      [v.SAMPLE_IPV6_RESPONSE, '2001:db8:1234:5678:11:2233:4455:6677'],
    ] as const) {
      const unsigned = encodeStun({
        method: Method.Binding,
        cls: 'success',
        transactionId: want.slice(8, 20),
        attributes: [attrs.software('test vector'), attrs.xorMappedAddress({ ip, port: 32853 })],
      });
      // The RFC pads the 11-byte SOFTWARE with a space where we write a zero (padding may be any
      // value): put the space in, then sign, and the result must be the RFC's bytes exactly.
      unsigned[20 + 4 + 11] = 0x20;
      const got = signStun(unsigned, { integrityKey: shortTermKey(v.SHORT_TERM_PASSWORD), fingerprint: true });
      expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(want).toString('hex'));
    }
  });

  it('message types interleave method and class as RFC 8489 §5 and RFC 8656 give them', () => {
    const cases: Array<[number, 'request' | 'indication' | 'success' | 'error', number]> = [
      [Method.Binding, 'request', 0x0001],
      [Method.Binding, 'success', 0x0101],
      [Method.Binding, 'error', 0x0111],
      [Method.Allocate, 'request', 0x0003],
      [Method.Allocate, 'error', 0x0113],
      [Method.Refresh, 'request', 0x0004],
      [Method.Send, 'indication', 0x0016],
      [Method.Data, 'indication', 0x0017],
      [Method.CreatePermission, 'request', 0x0008],
      [Method.ChannelBind, 'success', 0x0109],
    ];
    for (const [method, cls, t] of cases) {
      expect(messageType(method, cls)).toBe(t);
      expect(splitMessageType(t)).toEqual({ method, cls });
    }
  });
});
