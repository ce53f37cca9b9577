import { Buffer } from 'node:buffer';
import type { CandidateKind, CandidateType } from './kinds';
import type { CompatProfile } from './profile';
import { preferenceOffset } from './relay-rank';

/**
 * [MS-ICE] (ICE draft 6), which Office Communicator 2007 and Lync speak in the
 * `ms-proxy-2007fallback` SDP part (PROTOCOLS.md §2, §4). Partial: it carries the ranking, the
 * USERNAME form, the integrity key and the nomination style, but our STUN codec decodes only
 * RFC 8489 messages, so RFC 3489-style checks (no magic cookie) cannot be exchanged yet.
 */

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const enc = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Draft-6 USERNAME: b64dec(remote user) ":" comp ":" b64dec(local user) ":" comp. */
function draft6Username(receiver: string, sender: string, component: number): Uint8Array {
  return concat(b64(receiver), enc.encode(`:${component}:`), b64(sender), enc.encode(`:${component}`));
}

function startsWith(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0 || hay.length < needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[i] !== needle[i]) return false;
  return true;
}

/**
 * The fractional priority a draft-6 line carries, ×1000 (`0.830` → 830), as libnice and Lync
 * captures show: host 830, reflexive 550, relay 450, minus a step per address or relay rank.
 */
export function draft6Priority(kind: CandidateKind, index: number): number {
  const base: Record<CandidateType, number> = { host: 830, prflx: 550, srflx: 550, relay: 450 };
  return Math.max(1, base[kind.type] - preferenceOffset(kind, index) * 10);
}

export const lyncIceV6Profile: CompatProfile = {
  name: 'lync-ice-v6',
  label: 'Lync/OCS ICE draft 6 ([MS-ICE])',
  // Internally the pair ordering still uses RFC 8445 numbers; the SDP writer asks draft6Priority.
  typePreference: (kind) => ({ host: 126, prflx: 110, srflx: 100, relay: 0 })[kind.type],
  localPreference: (kind, index) => Math.max(0, 65535 - preferenceOffset(kind, index)),
  check: {
    // ufrag/pwd here are a candidate's base64 username and password.
    requestUsername: (localUser, remoteUser, component) => draft6Username(remoteUser, localUser, component),
    usernameIsOurs: (username, localUser, component) => startsWith(username, concat(b64(localUser), enc.encode(`:${component}:`))),
    remoteUfragOf: () => undefined,
    integrityKey: (password) => b64(password),
    priorityAttribute: false,
    roleAttributes: false,
    useCandidateAttribute: false,
    fingerprint: false,
  },
  checkAttributes: () => [],
  responseAttributes: () => [],
  nominations: ['implicit'],
  sdp: { candidateSyntax: 'draft6', tcpSyntax: 'rfc6544', ipv6Attribute: 'candidate' },
  limitations: [
    'RFC 3489-style checks (16-byte transaction id, no magic cookie) are not encoded or decoded by our STUN codec',
    'per-candidate credentials are modelled in USERNAME and key only; no role attributes, so no role-conflict repair',
  ],
};
