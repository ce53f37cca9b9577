import { familyOf, normalizeIp, type IpFamily } from '../../common/address';
import type { NetworkInterface } from '../../net/types';

/**
 * Which addresses gathering uses. Names match interface names exactly; CIDRs match addresses.
 * Loopback is off unless asked (the lab and loopback tests ask). IPv6 link-local addresses are
 * left out: they need a scope id and reach only the link.
 */
export interface InterfaceFilter {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly allowLoopback?: boolean;
  readonly families?: readonly IpFamily[];
}

function ipToBits(ip: string): bigint | undefined {
  const a = normalizeIp(ip);
  if (familyOf(a) === 4) {
    const parts = a.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  if (!net || lenText === undefined) return false;
  if (familyOf(net) !== familyOf(normalizeIp(ip))) return false;
  const bits = familyOf(net) === 4 ? 32 : 128;
  const len = Number(lenText);
  const a = ipToBits(ip);
  const b = ipToBits(net);
  if (a === undefined || b === undefined || !Number.isInteger(len) || len < 0 || len > bits) return false;
  const shift = BigInt(bits - len);
  return a >> shift === b >> shift;
}

function matches(i: NetworkInterface, rule: string): boolean {
  return rule.includes('/') ? inCidr(i.address, rule) : i.name === rule;
}

export function selectInterfaces(all: readonly NetworkInterface[], f: InterfaceFilter = {}): NetworkInterface[] {
  return all.filter((i) => {
    if (i.internal && !f.allowLoopback) return false;
    if (f.families && !f.families.includes(i.family)) return false;
    if (i.family === 6 && normalizeIp(i.address).startsWith('fe80')) return false;
    if (f.include?.length && !f.include.some((r) => matches(i, r))) return false;
    if (f.exclude?.some((r) => matches(i, r))) return false;
    return true;
  });
}
