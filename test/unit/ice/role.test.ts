import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { otherRole, randomTieBreaker, resolveRoleConflict, resolveRoleConflictResponse } from '../../../main/ice';

const BIG = 0xffff_ffff_ffff_fff0n;
const SMALL = 0x10n;

describe('role conflict on a received request (RFC 8445 §7.3.1.1)', () => {
  it.each([
    // we control and they claim controlling
    ['controlling', BIG, 'controlling', SMALL, 'respond-487'],
    ['controlling', SMALL, 'controlling', BIG, 'switch-role'],
    ['controlling', SMALL, 'controlling', SMALL, 'respond-487'], // equal: ours ≥ theirs
    // we are controlled and they claim controlled
    ['controlled', BIG, 'controlled', SMALL, 'switch-role'],
    ['controlled', SMALL, 'controlled', BIG, 'respond-487'],
    ['controlled', SMALL, 'controlled', SMALL, 'switch-role'], // equal: ours ≥ theirs
    // no conflict
    ['controlling', SMALL, 'controlled', BIG, 'continue'],
    ['controlled', BIG, 'controlling', SMALL, 'continue'],
  ] as const)('we %s (%s), they claim %s (%s) → %s', (role, ours, theirRole, theirs, want) => {
    expect(resolveRoleConflict({ role, tieBreaker: ours }, { role: theirRole, tieBreaker: theirs })).toBe(want);
  });

  it('lets the larger tie-breaker end up controlling in both conflicts', () => {
    for (const [a, b] of [
      [BIG, SMALL],
      [SMALL, BIG],
    ] as const) {
      for (const role of ['controlling', 'controlled'] as const) {
        const d = resolveRoleConflict({ role, tieBreaker: a }, { role, tieBreaker: b });
        const oursAfter = d === 'switch-role' ? otherRole(role) : role;
        expect(oursAfter === 'controlling').toBe(a > b);
      }
    }
  });

  it('sees no conflict when the peer claims no role (ICE-lite, draft-6)', () => {
    expect(resolveRoleConflict({ role: 'controlling', tieBreaker: 1n }, undefined)).toBe('continue');
  });

  it('compares tie-breakers as unsigned 64-bit values', () => {
    expect(resolveRoleConflict({ role: 'controlling', tieBreaker: 0x8000_0000_0000_0000n }, { role: 'controlling', tieBreaker: 0x7fff_ffff_ffff_ffffn })).toBe('respond-487');
  });
});

describe('487 answer to our request (RFC 8445 §7.2.5.1)', () => {
  it('switches away from the role the request claimed, once', () => {
    expect(resolveRoleConflictResponse('controlling', 'controlling')).toBe('switch-role');
    expect(resolveRoleConflictResponse('controlled', 'controlled')).toBe('switch-role');
    expect(resolveRoleConflictResponse('controlling', 'controlled')).toBe('continue');
    expect(resolveRoleConflictResponse('controlled', 'controlling')).toBe('continue');
  });
});

describe('tie-breaker', () => {
  it('is 64 random bits from the injected source', () => {
    const a = randomTieBreaker(new SeededRandom(7));
    expect(randomTieBreaker(new SeededRandom(7))).toBe(a);
    expect(randomTieBreaker(new SeededRandom(8))).not.toBe(a);
    const r = new SeededRandom(1);
    let max = 0n;
    for (let i = 0; i < 200; i++) {
      const t = randomTieBreaker(r);
      expect(t >= 0n && t < 1n << 64n).toBe(true);
      if (t > max) max = t;
    }
    expect(max > 1n << 62n).toBe(true);
  });
});
