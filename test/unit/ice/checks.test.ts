import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { lyncIce2Profile, rfc8445Profile, type CompatProfile } from '../../../main/compat';
import {
  STUN_BAD_REQUEST,
  STUN_ROLE_CONFLICT,
  STUN_UNAUTHENTICATED,
  STUN_UNKNOWN_ATTRIBUTE,
  checkRequestSpec,
  encodeCheckError,
  encodeCheckRequest,
  encodeCheckSuccess,
  encodeRejection,
  encodeRoleConflict,
  interpretCheckResponse,
  validateCheckRequest,
  type CheckRejection,
  type CheckRequestInput,
} from '../../../main/ice';
import {
  Attr,
  FINGERPRINT_XOR,
  Method,
  attrs,
  checkFingerprint,
  checkIntegrity,
  crc32,
  decodeStun,
  encodeStun,
  getAttribute,
  shortTermKey,
  type AttributeSpec,
  type StunMessage,
} from '../../../main/stun';

// Alice checks Bob: USERNAME is "bob:alice", signed with Bob's password.
const ALICE = { ufrag: 'alice', pwd: 'alicepasswordalicepass' };
const BOB = { ufrag: 'bobb', pwd: 'bobpasswordbobpassword' };
const TX = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

function request(overrides: Partial<CheckRequestInput> = {}): CheckRequestInput {
  return {
    localUfrag: ALICE.ufrag,
    remoteUfrag: BOB.ufrag,
    remotePassword: BOB.pwd,
    role: 'controlling',
    tieBreaker: 0x0123_4567_89ab_cdefn,
    priority: 1862270975,
    nominate: false,
    component: 1,
    localFoundation: 'f00d',
    ...overrides,
  };
}

function decode(bytes: Uint8Array): StunMessage {
  const r = decodeStun(bytes);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

const bob = { ufrag: BOB.ufrag, password: BOB.pwd, component: 1 };

/** Rewrites FINGERPRINT after a deliberate change, so only MESSAGE-INTEGRITY can catch it. */
function refingerprint(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const at = out.length - 8;
  const fp = (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
  new DataView(out.buffer).setUint32(at + 4, fp);
  return out;
}

describe('check request (RFC 8445 §7.2.2)', () => {
  it('carries USERNAME remote:local, PRIORITY, ICE-CONTROLLING, integrity with the peer’s password, FINGERPRINT', () => {
    const msg = decode(encodeCheckRequest(rfc8445Profile, request(), TX));
    expect(msg.method).toBe(Method.Binding);
    expect(msg.cls).toBe('request');
    expect(new TextDecoder().decode(getAttribute(msg, Attr.USERNAME)!.value)).toBe('bobb:alice');
    expect(msg.attributes.map((a) => a.type)).toEqual([Attr.USERNAME, Attr.PRIORITY, Attr.ICE_CONTROLLING, Attr.MESSAGE_INTEGRITY, Attr.FINGERPRINT]);
    expect(checkIntegrity(msg, shortTermKey(BOB.pwd))).toBe('valid');
    expect(checkIntegrity(msg, shortTermKey(ALICE.pwd))).toBe('invalid');
    expect(checkFingerprint(msg)).toBe('valid');
  });

  it('adds USE-CANDIDATE only for a nominating controlling agent, ICE-CONTROLLED when controlled', () => {
    const types = (i: Partial<CheckRequestInput>) => checkRequestSpec(rfc8445Profile, request(i)).attributes.map((a) => a.type);
    expect(types({ nominate: true })).toContain(Attr.USE_CANDIDATE);
    expect(types({ nominate: false })).not.toContain(Attr.USE_CANDIDATE);
    expect(types({ role: 'controlled', nominate: true })).toEqual([Attr.USERNAME, Attr.PRIORITY, Attr.ICE_CONTROLLED]);
  });

  it('adds the [MS-ICE2] attributes under the Lync profile', () => {
    const msg = decode(encodeCheckRequest(lyncIce2Profile, request({ localFoundation: 'abc' }), TX));
    expect(getAttribute(msg, Attr.MS_CANDIDATE_IDENTIFIER)!.value).toEqual(new Uint8Array([0x61, 0x62, 0x63, 0]));
    expect(getAttribute(msg, Attr.MS_IMPLEMENTATION_VERSION)!.value).toEqual(new Uint8Array([0, 0, 0, 2]));
    const v = validateCheckRequest(lyncIce2Profile, msg, bob);
    expect(v.ok && v.value.implementationVersion).toBe(2);
  });
});

describe('validating an incoming check (RFC 8445 §7.3, RFC 8489 §9.1.3)', () => {
  for (const profile of [rfc8445Profile, lyncIce2Profile] as CompatProfile[]) {
    it(`round-trips a request under ${profile.name}`, () => {
      const msg = decode(encodeCheckRequest(profile, request({ nominate: true }), TX));
      const v = validateCheckRequest(profile, msg, bob);
      expect(v).toEqual({
        ok: true,
        value: expect.objectContaining({
          transactionId: TX,
          username: 'bobb:alice',
          remoteUfrag: 'alice',
          priority: 1862270975,
          useCandidate: true,
          role: { role: 'controlling', tieBreaker: 0x0123_4567_89ab_cdefn },
        }),
      });
    });
  }

  it('rejects a tampered request with 401 (integrity) and drops one whose FINGERPRINT fails', () => {
    const bytes = encodeCheckRequest(rfc8445Profile, request(), TX);
    const tampered = bytes.slice();
    tampered[24 + 4 + 8 + 4 + 3]! ^= 0x01; // a byte inside PRIORITY's value
    const dropped = validateCheckRequest(rfc8445Profile, decode(tampered), bob);
    expect(dropped).toMatchObject({ ok: false, error: { action: 'discard', reason: 'bad FINGERPRINT' } });
    const refp = validateCheckRequest(rfc8445Profile, decode(refingerprint(tampered)), bob);
    expect(refp).toMatchObject({ ok: false, error: { action: 'respond', code: STUN_UNAUTHENTICATED, authenticated: false } });
  });

  it('401 for a USERNAME not addressed to us or the wrong password', () => {
    const wrongUser = decode(encodeCheckRequest(rfc8445Profile, request({ remoteUfrag: 'carol' }), TX));
    expect(validateCheckRequest(rfc8445Profile, wrongUser, bob)).toMatchObject({ ok: false, error: { code: STUN_UNAUTHENTICATED } });
    const wrongPwd = decode(encodeCheckRequest(rfc8445Profile, request({ remotePassword: 'not-bobs-password-at-all' }), TX));
    expect(validateCheckRequest(rfc8445Profile, wrongPwd, bob)).toMatchObject({ ok: false, error: { code: STUN_UNAUTHENTICATED } });
  });

  it('400 without MESSAGE-INTEGRITY or USERNAME, with both role attributes, without PRIORITY', () => {
    const key = shortTermKey(BOB.pwd);
    const build = (attributes: AttributeSpec[], integrity = true) =>
      decode(encodeStun({ method: Method.Binding, cls: 'request', transactionId: TX, attributes }, { ...(integrity ? { integrityKey: key } : {}), fingerprint: true }));
    const user = attrs.username('bobb:alice');
    const prio = attrs.priority(1);
    expect(validateCheckRequest(rfc8445Profile, build([user, prio], false), bob)).toMatchObject({ ok: false, error: { code: STUN_BAD_REQUEST } });
    expect(validateCheckRequest(rfc8445Profile, build([prio]), bob)).toMatchObject({ ok: false, error: { code: STUN_BAD_REQUEST } });
    expect(validateCheckRequest(rfc8445Profile, build([user, prio, attrs.iceControlling(1n), attrs.iceControlled(2n)]), bob)).toMatchObject({
      ok: false,
      error: { code: STUN_BAD_REQUEST, authenticated: true },
    });
    expect(validateCheckRequest(rfc8445Profile, build([user, attrs.iceControlling(1n)]), bob)).toMatchObject({ ok: false, error: { code: STUN_BAD_REQUEST, reason: 'PRIORITY missing' } });
    // a check without role attributes (ICE-lite style) is accepted, with no role claim
    const lite = validateCheckRequest(rfc8445Profile, build([user, prio]), bob);
    expect(lite.ok && lite.value.role).toBeUndefined();
  });

  it('420 listing unknown comprehension-required attributes, signed', () => {
    const msg = decode(
      encodeStun(
        { method: Method.Binding, cls: 'request', transactionId: TX, attributes: [attrs.username('bobb:alice'), attrs.priority(1), attrs.raw(0x7777, new Uint8Array([1]))] },
        { integrityKey: shortTermKey(BOB.pwd), fingerprint: true },
      ),
    );
    const v = validateCheckRequest(rfc8445Profile, msg, bob);
    expect(v).toMatchObject({ ok: false, error: { code: STUN_UNKNOWN_ATTRIBUTE, unknownAttributes: [0x7777], authenticated: true } });
    const answer = decode(encodeRejection(rfc8445Profile, msg, rejection(v), BOB.pwd)!);
    expect(answer.cls).toBe('error');
    expect(getAttribute(answer, Attr.UNKNOWN_ATTRIBUTES)!.value).toEqual(new Uint8Array([0x77, 0x77]));
    expect(checkIntegrity(answer, shortTermKey(BOB.pwd))).toBe('valid');
  });

  it('answers 400/401 unsigned and drops what must be dropped', () => {
    const msg = decode(encodeCheckRequest(rfc8445Profile, request({ remoteUfrag: 'carol' }), TX));
    const v = validateCheckRequest(rfc8445Profile, msg, bob);
    const answer = decode(encodeRejection(rfc8445Profile, msg, rejection(v), BOB.pwd)!);
    expect(interpretCheckResponse(answer)).toEqual({ kind: 'error', code: 401, reason: 'Unauthenticated' });
    expect(getAttribute(answer, Attr.MESSAGE_INTEGRITY)).toBeUndefined();
    expect(encodeRejection(rfc8445Profile, msg, { action: 'discard', reason: 'x', authenticated: false }, BOB.pwd)).toBeUndefined();
  });

  it('never throws on mutated requests', () => {
    const r = new SeededRandom(42);
    const seed = encodeCheckRequest(lyncIce2Profile, request({ nominate: true }), TX);
    const signedEnd = seed.length - 8; // everything up to and including MESSAGE-INTEGRITY
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const b = seed.slice();
      for (let k = 0; k < 1 + r.int(4); k++) b[20 + r.int(b.length - 20)] = r.int(256);
      const d = decodeStun(b);
      if (!d.ok) continue;
      const v = validateCheckRequest(lyncIce2Profile, d.value, bob);
      if (v.ok) {
        // Only a change that leaves the signed bytes alone may pass: one that turned FINGERPRINT
        // into an ignored attribute after MESSAGE-INTEGRITY (RFC 8489 §14.5).
        expect(b.subarray(0, signedEnd)).toEqual(seed.subarray(0, signedEnd));
        accepted++;
      }
    }
    expect(accepted).toBeLessThan(100);
  });
});

describe('check responses (RFC 8445 §7.3.1.2, §7.2.5)', () => {
  it('success carries the source as XOR-MAPPED-ADDRESS, signed with our password', () => {
    const source = { ip: '198.51.100.7', port: 40001 };
    const msg = decode(encodeCheckSuccess(rfc8445Profile, { transactionId: TX, source, localPassword: BOB.pwd, component: 1 }));
    expect(msg.cls).toBe('success');
    expect(checkIntegrity(msg, shortTermKey(BOB.pwd))).toBe('valid');
    expect(checkFingerprint(msg)).toBe('valid');
    expect(interpretCheckResponse(msg)).toEqual({ kind: 'success', mapped: source });
  });

  it('IPv6 mapped addresses and the Lync version survive the round trip', () => {
    const source = { ip: '2001:db8::7', port: 40001 };
    const msg = decode(encodeCheckSuccess(lyncIce2Profile, { transactionId: TX, source, localPassword: BOB.pwd, component: 1 }));
    expect(interpretCheckResponse(msg)).toEqual({ kind: 'success', mapped: source, implementationVersion: 2 });
  });

  it('487 reads as a role conflict; other errors keep their code', () => {
    const req = decode(encodeCheckRequest(rfc8445Profile, request(), TX));
    const conflict = decode(encodeRoleConflict(rfc8445Profile, req, BOB.pwd));
    expect(interpretCheckResponse(conflict)).toEqual({ kind: 'role-conflict' });
    expect(checkIntegrity(conflict, shortTermKey(BOB.pwd))).toBe('valid');
    expect(errorOf(encodeCheckError(rfc8445Profile, { transactionId: TX, code: STUN_ROLE_CONFLICT }))).toEqual({ kind: 'role-conflict' });
    expect(errorOf(encodeCheckError(rfc8445Profile, { transactionId: TX, code: 500, reason: 'Server Error' }))).toEqual({ kind: 'error', code: 500, reason: 'Server Error' });
  });

  it('calls a success without a mapped address malformed', () => {
    const msg = decode(encodeStun({ method: Method.Binding, cls: 'success', transactionId: TX, attributes: [] }));
    expect(interpretCheckResponse(msg)).toMatchObject({ kind: 'malformed' });
  });
});

function rejection(v: ReturnType<typeof validateCheckRequest>): CheckRejection {
  if (v.ok) throw new Error('expected a rejection');
  return v.error;
}

function errorOf(bytes: Uint8Array) {
  return interpretCheckResponse(decode(bytes));
}
