import { describe, expect, it } from 'vitest';
import { addressKey, canonicalIp, decodeXorAddress, xorAddresses } from '../../../../main/lab/turn-server/addresses';
import { Attr, Method, attrs, decodeStun, encodeStun } from '../../../../main/stun';

describe('canonicalIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['fe80::1:2', 'fe80::1:2'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['not-an-ip', 'not-an-ip'],
  ])('%s → %s', (input, want) => {
    expect(canonicalIp(input)).toBe(want);
  });

  it('keys addresses by canonical IP and port', () => {
    expect(addressKey({ ip: '2001:DB8::0:1', port: 5 })).toBe(addressKey({ ip: '2001:db8::1', port: 5 }));
  });
});

describe('XOR addresses (RFC 8489 §14.2)', () => {
  it('decodes what the encoder wrote, IPv4 and IPv6, every occurrence', () => {
    for (const peer of [
      { ip: '198.51.100.7', port: 3478 },
      { ip: '2001:db8::42', port: 65535 },
    ]) {
      const bytes = encodeStun({ method: Method.CreatePermission, cls: 'request', transactionId: new Uint8Array(12).fill(7), attributes: [attrs.xorPeerAddress(peer)] });
      const r = decodeStun(bytes);
      expect(r.ok).toBe(true);
      if (r.ok) expect(xorAddresses(r.value, Attr.XOR_PEER_ADDRESS)).toEqual([peer]);
    }
  });

  it('returns undefined for a bad family or length', () => {
    const tx = new Uint8Array(12);
    expect(decodeXorAddress(new Uint8Array([0, 3, 0, 0, 1, 2, 3, 4]), tx)).toBeUndefined();
    expect(decodeXorAddress(new Uint8Array([0, 1, 0, 0, 1, 2, 3]), tx)).toBeUndefined();
    expect(decodeXorAddress(new Uint8Array([0, 2, 0, 0, 1, 2, 3, 4]), tx)).toBeUndefined();
    expect(decodeXorAddress(new Uint8Array(2), tx)).toBeUndefined();
  });
});
