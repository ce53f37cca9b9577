import type { TransportAddress } from '../../common/address';
import { familyOf, normalizeIp } from '../../common/address';
import { MAGIC_COOKIE, type StunMessage } from '../../stun';

/**
 * Address helpers for the server. The stun package decodes only the first occurrence of an
 * attribute, but a CreatePermission may carry several XOR-PEER-ADDRESS attributes (RFC 8656
 * §10.1), so the server decodes them itself. Everything returns undefined on bad input.
 */

/** RFC 5952 text for an IPv6 address given as 8 groups: lower case, longest zero run as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    // RFC 5952 §4.2.2: a single 0 group is not shortened.
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function parseIpv6(ip: string): number[] | undefined {
  let text = ip;
  const tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 address fills the last 32 bits (`::ffff:1.2.3.4`, RFC 4291 §2.2).
    const cut = text.lastIndexOf(':');
    const v4 = text.slice(cut + 1).split('.');
    if (cut < 0 || v4.length !== 4 || v4.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    const [a, b, c, d] = v4.map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, cut + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  if (!/^[0-9a-fA-F:]*$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const p of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const have = head.length + rest.length + tail.length;
  if (halves.length === 1 ? have !== 8 : have > 7) return undefined;
  return [...head, ...new Array<number>(8 - have).fill(0), ...rest, ...tail];
}

/**
 * One spelling per address, so permission and channel lookups match whatever produced the
 * address (a socket, the XOR decoder, a test): IPv4-mapped IPv6 becomes IPv4, IPv6 is RFC 5952.
 */
export function canonicalIp(ip: string): string {
  const n = normalizeIp(ip);
  if (familyOf(n) === 4) return n;
  const groups = parseIpv6(n);
  return groups ? formatIpv6(groups) : n;
}

export function canonicalAddress(a: TransportAddress): TransportAddress {
  return { ip: canonicalIp(a.ip), port: a.port };
}

export function addressKey(a: TransportAddress): string {
  return `${canonicalIp(a.ip)}|${a.port}`;
}

/** XOR-MAPPED-ADDRESS-style value (RFC 8489 §14.2): family, port ^ cookie>>16, address ^ cookie(‖txid). */
export function decodeXorAddress(value: Uint8Array, transactionId: Uint8Array): TransportAddress | undefined {
  if (value.length < 4) return undefined;
  const family = value[1];
  const port = (((value[2]! << 8) | value[3]!) ^ (MAGIC_COOKIE >>> 16)) & 0xffff;
  const mask = new Uint8Array(16);
  mask.set([MAGIC_COOKIE >>> 24, (MAGIC_COOKIE >>> 16) & 0xff, (MAGIC_COOKIE >>> 8) & 0xff, MAGIC_COOKIE & 0xff], 0);
  mask.set(transactionId.subarray(0, 12), 4);
  if (family === 0x01 && value.length === 8) {
    const b = [0, 1, 2, 3].map((i) => value[4 + i]! ^ mask[i]!);
    return { ip: b.join('.'), port };
  }
  if (family === 0x02 && value.length === 20) {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((value[4 + i]! ^ mask[i]!) << 8) | (value[5 + i]! ^ mask[i + 1]!));
    return { ip: formatIpv6(groups), port };
  }
  return undefined;
}

/** Every attribute of `type` decoded as an XOR address; undefined when any one is malformed. */
export function xorAddresses(msg: StunMessage, type: number): TransportAddress[] | undefined {
  const out: TransportAddress[] = [];
  for (const a of msg.attributes) {
    if (a.type !== type) continue;
    const addr = decodeXorAddress(a.value, msg.transactionId);
    if (!addr) return undefined;
    out.push(addr);
  }
  return out;
}
