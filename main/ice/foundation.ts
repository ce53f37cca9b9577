import { normalizeIp } from '../common/address';
import { crc32 } from '../stun/crc32';
import type { CandidateTransport, CandidateType, RelayProtocol } from '../compat/kinds';

/**
 * RFC 8445 §5.1.1.3: two candidates share a foundation when they have the same type, bases with
 * the same IP address (ports may differ), the same STUN/TURN server IP (for srflx and relay) and
 * the same transport protocol. We also keep the protocol used towards the server apart (a relay
 * over TCP fails for other reasons than one over UDP). The component is deliberately not part of
 * it: RTP and RTCP candidates of one kind share a foundation, which is what unfreezing relies on.
 */
export interface FoundationInput {
  readonly type: CandidateType;
  readonly baseIp: string;
  readonly transport: CandidateTransport;
  readonly serverIp?: string | undefined;
  readonly serverProtocol?: RelayProtocol | undefined;
}

export function foundationKey(f: FoundationInput): string {
  const server = f.type === 'srflx' || f.type === 'relay' ? `${normalizeIp(f.serverIp ?? '')}/${f.serverProtocol ?? 'udp'}` : '';
  return `${f.type}|${normalizeIp(f.baseIp)}|${f.transport}|${server}`;
}

const utf8 = new TextEncoder();

/**
 * Hands out foundations: short ice-char strings (RFC 8445 §15.1: 1*32 ice-char) derived from the
 * key by CRC-32 in base 36, so the same candidate set gets the same foundations on every run
 * whatever order gathering finishes in. A collision between two keys (1 in 2^32 per pair) is
 * resolved by a suffix, so distinct keys never share a foundation within one registry.
 */
export class FoundationRegistry {
  private readonly byKey = new Map<string, string>();
  private readonly taken = new Set<string>();

  foundationFor(f: FoundationInput): string {
    const key = foundationKey(f);
    const known = this.byKey.get(key);
    if (known) return known;
    const base = crc32(utf8.encode(key)).toString(36);
    let value = base;
    for (let i = 1; this.taken.has(value); i++) value = `${base}${i}`;
    this.byKey.set(key, value);
    this.taken.add(value);
    return value;
  }

  get size(): number {
    return this.byKey.size;
  }
}
