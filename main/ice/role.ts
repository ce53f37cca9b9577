import type { RandomSource } from '../common/random';
import type { IceRole } from '../compat/kinds';

export type { IceRole } from '../compat/kinds';

/** What a request's ICE-CONTROLLING or ICE-CONTROLLED attribute claims. */
export interface RoleClaim {
  readonly role: IceRole;
  readonly tieBreaker: bigint;
}

export interface OurRole {
  readonly role: IceRole;
  readonly tieBreaker: bigint;
}

export type RoleDecision = 'switch-role' | 'respond-487' | 'continue';

export function otherRole(role: IceRole): IceRole {
  return role === 'controlling' ? 'controlled' : 'controlling';
}

/**
 * RFC 8445 §7.3.1.1, on receiving a check. A conflict is both agents claiming the same role; the
 * larger tie-breaker ends up controlling, ties going to the receiver:
 * - we control, they claim controlling: ours ≥ theirs → answer 487 and stay; ours < theirs → switch.
 * - we are controlled, they claim controlled: ours ≥ theirs → switch; ours < theirs → answer 487.
 * No claim (ICE-lite or draft-6 peers) or opposite claims: no conflict.
 */
export function resolveRoleConflict(ours: OurRole, theirs: RoleClaim | undefined): RoleDecision {
  if (!theirs || theirs.role !== ours.role) return 'continue';
  const oursWins = ours.tieBreaker >= theirs.tieBreaker;
  if (ours.role === 'controlling') return oursWins ? 'respond-487' : 'switch-role';
  return oursWins ? 'switch-role' : 'respond-487';
}

/**
 * RFC 8445 §7.2.5.1, on a 487 answer to our check: switch to the other role than the one the
 * request claimed, unless we already did (several checks may come back 487 after one switch).
 * Either way the pair is retried (CheckList.onRoleConflictResponse).
 */
export function resolveRoleConflictResponse(roleInRequest: IceRole, currentRole: IceRole): 'switch-role' | 'continue' {
  return roleInRequest === currentRole ? 'switch-role' : 'continue';
}

/** RFC 8445 §7.1.1 / §16.1: a 64-bit random tie-breaker, chosen once per session. */
export function randomTieBreaker(random: RandomSource): bigint {
  const b = random.bytes(8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
}
