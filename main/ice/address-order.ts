import { familyOf, type IpFamily } from '../common/address';

export interface LocalAddress {
  readonly ip: string;
  readonly interfaceName?: string;
}

export interface RankedAddress extends LocalAddress {
  readonly family: IpFamily;
  /** 0 = most preferred; what a profile's localPreference(kind, index) takes. */
  readonly rank: number;
}

/**
 * RFC 8421 §4 (multihomed and dual-stack ICE): give IPv6 its RFC 6724 precedence but do not let
 * every IPv6 candidate go before every IPv4 one, or a broken IPv6 path delays IPv4 checks by the
 * whole IPv6 list. So: keep the caller's interface order within each family and interleave the
 * families, IPv6 first (v6, v4, v6, v4…); what is left of the longer family follows. One address
 * gets rank 0, hence local preference 65535 (RFC 8445 §5.1.2.1).
 */
export function rankLocalAddresses(addresses: readonly LocalAddress[]): RankedAddress[] {
  const v6 = addresses.filter((a) => familyOf(a.ip) === 6);
  const v4 = addresses.filter((a) => familyOf(a.ip) === 4);
  const out: RankedAddress[] = [];
  for (let i = 0; i < Math.max(v6.length, v4.length); i++) {
    const a = v6[i];
    if (a) out.push({ ...a, family: 6, rank: out.length });
    const b = v4[i];
    if (b) out.push({ ...b, family: 4, rank: out.length });
  }
  return out;
}
