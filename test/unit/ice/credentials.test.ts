import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { ICE_CHARS, generateCredentials, isValidPwd, isValidUfrag } from '../../../main/ice';

describe('ICE credentials (RFC 8445 §5.3, §15.4)', () => {
  it('makes an 8-char ufrag and 24-char pwd of ice-chars by default', () => {
    const c = generateCredentials(new SeededRandom(1));
    expect(c.ufrag).toMatch(/^[A-Za-z0-9+/]{8}$/);
    expect(c.pwd).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(isValidUfrag(c.ufrag) && isValidPwd(c.pwd)).toBe(true);
  });

  it('never goes below 4 / 22 characters (24 and 128 bits)', () => {
    const c = generateCredentials(new SeededRandom(2), { ufragLength: 1, pwdLength: 3 });
    expect(c.ufrag.length).toBe(4);
    expect(c.pwd.length).toBe(22);
  });

  it('is deterministic for a seed and different across seeds', () => {
    expect(generateCredentials(new SeededRandom(3))).toEqual(generateCredentials(new SeededRandom(3)));
    expect(generateCredentials(new SeededRandom(3))).not.toEqual(generateCredentials(new SeededRandom(4)));
  });

  it('uses all 64 ice-chars', () => {
    const r = new SeededRandom(5);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const ch of generateCredentials(r, { pwdLength: 64 }).pwd) seen.add(ch);
    expect(seen.size).toBe(64);
    expect(ICE_CHARS.length).toBe(64);
  });

  it('validates what the peer sends', () => {
    expect(isValidUfrag('abc')).toBe(false);
    expect(isValidUfrag('ab:d')).toBe(false);
    expect(isValidUfrag('a+/9')).toBe(true);
    expect(isValidPwd('x'.repeat(21))).toBe(false);
    expect(isValidPwd('x'.repeat(22))).toBe(true);
    expect(isValidPwd('x'.repeat(257))).toBe(false);
  });
});
