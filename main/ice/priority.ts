import { MediapathError } from '../common/errors';
import type { CandidateKind, IceRole } from '../compat/kinds';
import type { CompatProfile } from '../compat/profile';
import { candidateKind, type Candidate } from './candidate';

export const MAX_TYPE_PREFERENCE = 126;
export const MAX_LOCAL_PREFERENCE = 65535;

function bad(what: string): never {
  throw new MediapathError('INVALID_ARGUMENT', what, { layer: 'ice' });
}

/**
 * RFC 8445 §5.1.2.1: priority = 2^24·type-pref + 2^8·local-pref + (256 − component). At most
 * 126·2^24 + 65535·2^8 + 255 = 2^31 − 1, so a plain number is exact.
 */
export function computePriority(typePreference: number, localPreference: number, component: number): number {
  if (!Number.isInteger(typePreference) || typePreference < 0 || typePreference > MAX_TYPE_PREFERENCE) bad(`type preference ${typePreference} outside 0–126`);
  if (!Number.isInteger(localPreference) || localPreference < 0 || localPreference > MAX_LOCAL_PREFERENCE) bad(`local preference ${localPreference} outside 0–65535`);
  if (!Number.isInteger(component) || component < 1 || component > 256) bad(`component ${component} outside 1–256`);
  return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/** A candidate's priority under a dialect profile; `index` ranks its base address or relay server. */
export function candidatePriority(profile: CompatProfile, kind: CandidateKind, component: number, index = 0): number {
  return computePriority(profile.typePreference(kind), profile.localPreference(kind, index), component);
}

export function typePreferenceOf(priority: number): number {
  return Math.floor(priority / 2 ** 24) & 0x7f;
}

/** The local preference a priority was built with (bits 8–23). */
export function localPreferenceOf(priority: number): number {
  return Math.floor(priority / 2 ** 8) & 0xffff;
}

/**
 * The PRIORITY a check carries (RFC 8445 §7.1.1): what the local candidate would be worth as a
 * peer-reflexive candidate — peer-reflexive type preference, the local candidate's own local
 * preference, its component.
 */
export function prflxPriority(profile: CompatProfile, local: Candidate): number {
  const kind = { ...candidateKind(local), type: 'prflx' as const, relayProtocol: undefined };
  return computePriority(profile.typePreference(kind), localPreferenceOf(local.priority), local.component);
}

/**
 * RFC 8445 §6.1.2.3: pair priority = 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G the controlling
 * agent's candidate priority, D the controlled one's. Up to 2^63, beyond 2^53: bigint.
 */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling);
  const d = BigInt(controlled);
  const min = g < d ? g : d;
  const max = g < d ? d : g;
  return (1n << 32n) * min + 2n * max + (g > d ? 1n : 0n);
}

/** Pair priority from our side: which of ours and theirs is G depends on our role. */
export function pairPriorityFor(role: IceRole, localPriority: number, remotePriority: number): bigint {
  return role === 'controlling' ? pairPriority(localPriority, remotePriority) : pairPriority(remotePriority, localPriority);
}
