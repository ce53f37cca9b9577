import { describe, expect, it } from 'vitest';
import { inCidr, selectInterfaces } from '../../../../main/ice/gather/interfaces';
import type { NetworkInterface } from '../../../../main/net/types';

const ifs: NetworkInterface[] = [
  { name: 'lo', address: '127.0.0.1', family: 4, internal: true, cidr: '127.0.0.1/8' },
  { name: 'eth0', address: '10.1.0.11', family: 4, internal: false, cidr: '10.1.0.11/24' },
  { name: 'eth0', address: 'fe80::1', family: 6, internal: false, cidr: 'fe80::1/64' },
  { name: 'eth0', address: '2001:db8::11', family: 6, internal: false, cidr: '2001:db8::11/64' },
  { name: 'wlan0', address: '192.168.1.5', family: 4, internal: false, cidr: '192.168.1.5/24' },
  { name: 'docker0', address: '172.17.0.1', family: 4, internal: false, cidr: '172.17.0.1/16' },
];

const names = (xs: NetworkInterface[]): string[] => xs.map((x) => `${x.name}/${x.address}`);

describe('interface selection for gathering', () => {
  it('leaves out loopback and IPv6 link-local unless asked', () => {
    expect(names(selectInterfaces(ifs))).toEqual(['eth0/10.1.0.11', 'eth0/2001:db8::11', 'wlan0/192.168.1.5', 'docker0/172.17.0.1']);
    expect(names(selectInterfaces(ifs, { allowLoopback: true, include: ['lo'] }))).toEqual(['lo/127.0.0.1']);
  });

  it('includes and excludes by name or CIDR, and by family', () => {
    expect(names(selectInterfaces(ifs, { exclude: ['docker0', '2001:db8::/32'] }))).toEqual(['eth0/10.1.0.11', 'wlan0/192.168.1.5']);
    expect(names(selectInterfaces(ifs, { include: ['192.168.0.0/16'] }))).toEqual(['wlan0/192.168.1.5']);
    expect(names(selectInterfaces(ifs, { families: [6] }))).toEqual(['eth0/2001:db8::11']);
  });

  it('matches CIDRs exactly, in both families, and rejects nonsense', () => {
    expect(inCidr('10.1.0.11', '10.1.0.0/24')).toBe(true);
    expect(inCidr('10.1.1.11', '10.1.0.0/24')).toBe(false);
    expect(inCidr('10.1.1.11', '0.0.0.0/0')).toBe(true);
    expect(inCidr('2001:db8::11', '2001:db8::/32')).toBe(true);
    expect(inCidr('2001:db9::11', '2001:db8::/32')).toBe(false);
    expect(inCidr('10.1.0.11', '2001:db8::/32')).toBe(false);
    expect(inCidr('10.1.0.11', '10.1.0.0/33')).toBe(false);
    expect(inCidr('10.1.0.11', 'garbage')).toBe(false);
  });
});
