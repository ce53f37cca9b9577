import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { checkFingerprint, checkIntegrity, decodeStun, errorCodeAttribute, addressAttribute, shortTermKey, Attr } from '../../../main/stun';
import * as v from '../../fixtures/rfc5769';

// The decoder faces the network: nothing hostile may throw or hang. At least 100,000 inputs a run.
const RUNS = Number(process.env['MEDIAPATH_FUZZ_RUNS'] ?? 100_000);

function mutate(r: SeededRandom, seed: Uint8Array): Uint8Array {
  const b = seed.slice(0, Math.max(0, seed.length - (r.next() < 0.1 ? r.int(seed.length) : 0)));
  const flips = 1 + r.int(6);
  for (let i = 0; i < flips && b.length > 0; i++) {
    const at = r.int(b.length);
    switch (r.int(4)) {
      case 0:
        b[at] = r.int(256);
        break;
      case 1:
        b[at]! ^= 1 << r.int(8);
        break;
      case 2: // attribute lengths are the juicy part
        b[at] = r.next() < 0.5 ? 0xff : 0;
        break;
      default:
        if (at < b.length - 1) b[at + 1] = b[at]!;
    }
  }
  // keep the length field consistent half the time so mutations reach the attribute walk
  if (r.next() < 0.5 && b.length >= 20) {
    const len = b.length - 20;
    b[2] = len >>> 8;
    b[3] = len & 0xff;
  }
  return b;
}

describe('STUN decoder fuzz', () => {
  it(`survives ${RUNS} random and mutated packets`, () => {
    const r = new SeededRandom(0x5eed);
    const seeds = [v.SAMPLE_REQUEST, v.SAMPLE_IPV4_RESPONSE, v.SAMPLE_IPV6_RESPONSE, v.SAMPLE_LONG_TERM_REQUEST];
    const key = shortTermKey(v.SHORT_TERM_PASSWORD);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < RUNS; i++) {
      const input = i % 4 === 0 ? r.bytes(r.int(200)) : mutate(r, seeds[i % seeds.length]!);
      if (i % 4 === 0 && input.length >= 8) {
        // random bodies behind a valid-looking header, so they get past the first checks
        input[0] = input[0]! & 0x3f;
        input[4] = 0x21;
        input[5] = 0x12;
        input[6] = 0xa4;
        input[7] = 0x42;
      }
      const res = decodeStun(input);
      if (res.ok) {
        parsed++;
        checkFingerprint(res.value);
        checkIntegrity(res.value, key);
        errorCodeAttribute(res.value);
        addressAttribute(res.value, Attr.XOR_MAPPED_ADDRESS);
      } else {
        rejected++;
        expect(res.error.code).toBe('STUN_PARSE');
      }
    }
    expect(parsed + rejected).toBe(RUNS);
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);
});
