/**
 * IPv4 arithmetic for the virtual network. Addresses are kept as strings at the API (like
 * TransportAddress everywhere else) and turned into 32-bit numbers only to test CIDR membership.
 * The virtual network is IPv4 only (see README of the model in ARCHITECTURE.md).
 */
export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
  readonly mask: number;
  /** `10.0.0.0/24` form. */
  readonly text: string;
}

/** Dotted quad → unsigned 32-bit number; undefined for anything else (IPv6, names, garbage). */
export function parseIpv4(ip: string): number | undefined {
  // Hand-rolled: this runs for every datagram sent, so no split() or regex allocations.
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 3) return undefined;
      part = part * 10 + (c - 48);
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 255 || dots === 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return n * 256 + part;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n`, or a bare address meaning /32. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, len, extra] = text.split('/');
  if (ip === undefined || extra !== undefined) return undefined;
  const n = parseIpv4(ip);
  if (n === undefined) return undefined;
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const mask = maskOf(prefix);
  const base = (n & mask) >>> 0;
  return { base, prefix, mask, text: `${formatIpv4(base)}/${prefix}` };
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & c.mask) >>> 0) === c.base;
}

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g)). For an address already known to be IPv4. */
export function isLoopbackIp(ip: string): boolean {
  return ip.startsWith('127.');
}

export const WILDCARD_IP = '0.0.0.0';
export const LOOPBACK_IP = '127.0.0.1';
