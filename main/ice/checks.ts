import type { TransportAddress } from '../common/address';
import { err, ok, type Result } from '../common/result';
import type { IceRole } from '../compat/kinds';
import type { CompatProfile } from '../compat/profile';
import { Attr, HEADER_LENGTH, Method } from '../stun/constants';
import { attrs, encodeStun, signStun, type AttributeSpec } from '../stun/encode';
import { checkFingerprint, checkIntegrity } from '../stun/integrity';
import { addressAttribute, errorCodeAttribute, getAttribute, uint32Attribute, type StunMessage } from '../stun/message';
import type { RoleClaim } from './role';

/**
 * Connectivity-check messages (RFC 8445 §7.2.2, §7.3): what a check carries, how an incoming one
 * is judged, and how it is answered. Pure functions over the STUN codec; the dialect's spelling
 * comes from the profile's CheckDialect and extra attributes.
 */

// STUN error codes an ICE agent answers with (RFC 8489 §14.8, RFC 8445 §7.3.1.1).
export const STUN_BAD_REQUEST = 400;
export const STUN_UNAUTHENTICATED = 401;
export const STUN_UNKNOWN_ATTRIBUTE = 420;
export const STUN_ROLE_CONFLICT = 487;

const REASONS: Record<number, string> = {
  [STUN_BAD_REQUEST]: 'Bad Request',
  [STUN_UNAUTHENTICATED]: 'Unauthenticated',
  [STUN_UNKNOWN_ATTRIBUTE]: 'Unknown Attribute',
  [STUN_ROLE_CONFLICT]: 'Role Conflict',
};

export interface CheckRequestInput {
  readonly localUfrag: string;
  readonly remoteUfrag: string;
  /** The peer's password: our requests are signed with it (RFC 8445 §7.2.2). */
  readonly remotePassword: string;
  readonly role: IceRole;
  readonly tieBreaker: bigint;
  /** PRIORITY: the local candidate's worth as peer-reflexive (priority.ts prflxPriority). */
  readonly priority: number;
  /** USE-CANDIDATE (controlling agent only). */
  readonly nominate: boolean;
  readonly component: number;
  readonly localFoundation: string;
}

/** What StunClient.request needs: attributes plus how to sign. */
export interface CheckRequestSpec {
  readonly method: number;
  readonly attributes: AttributeSpec[];
  readonly integrityKey: Uint8Array;
  readonly fingerprint: boolean;
}

/**
 * RFC 8445 §7.2.2 (§7.1.1 attributes): USERNAME `remote:local`, PRIORITY, ICE-CONTROLLING or
 * ICE-CONTROLLED with our tie-breaker, USE-CANDIDATE when the controlling agent nominates, then
 * the profile's own attributes; MESSAGE-INTEGRITY with the peer's password and FINGERPRINT are
 * added by the encoder.
 */
export function checkRequestSpec(profile: CompatProfile, input: CheckRequestInput): CheckRequestSpec {
  const d = profile.check;
  const attributes: AttributeSpec[] = [attrs.raw(Attr.USERNAME, d.requestUsername(input.localUfrag, input.remoteUfrag, input.component))];
  if (d.priorityAttribute) attributes.push(attrs.priority(input.priority));
  if (d.roleAttributes) attributes.push(input.role === 'controlling' ? attrs.iceControlling(input.tieBreaker) : attrs.iceControlled(input.tieBreaker));
  if (d.useCandidateAttribute && input.nominate && input.role === 'controlling') attributes.push(attrs.useCandidate());
  attributes.push(...profile.checkAttributes({ role: input.role, component: input.component, localFoundation: input.localFoundation, nominate: input.nominate }));
  return { method: Method.Binding, attributes, integrityKey: d.integrityKey(input.remotePassword), fingerprint: d.fingerprint };
}

/** The whole request as bytes (tests, and drivers that keep their own transaction table). */
export function encodeCheckRequest(profile: CompatProfile, input: CheckRequestInput, transactionId: Uint8Array): Uint8Array {
  const spec = checkRequestSpec(profile, input);
  return encodeStun(
    { method: spec.method, cls: 'request', transactionId, attributes: spec.attributes },
    { integrityKey: spec.integrityKey, fingerprint: spec.fingerprint },
  );
}

/** A check that passed validation: what the agent, role.ts and the check list need from it. */
export interface IncomingCheck {
  readonly transactionId: Uint8Array;
  readonly username: string;
  /** The sender's ufrag from USERNAME, when the dialect carries one. */
  readonly remoteUfrag?: string;
  readonly priority?: number;
  readonly useCandidate: boolean;
  readonly role?: RoleClaim;
  /** [MS-ICE2] IMPLEMENTATION-VERSION, when the peer sent one. */
  readonly implementationVersion?: number;
}

/** Why a request is refused: answered with an error code, or silently dropped. */
export interface CheckRejection {
  readonly action: 'respond' | 'discard';
  /** STUN error code for `respond`. */
  readonly code?: number;
  readonly reason: string;
  /** For 420: the attribute types we did not understand. */
  readonly unknownAttributes?: readonly number[];
  /** Whether the answer may be signed: only once the request's integrity was verified. */
  readonly authenticated: boolean;
}

export interface LocalCheckCredentials {
  readonly ufrag: string;
  readonly password: string;
  readonly component: number;
}

/** Comprehension-required attributes (< 0x8000) we understand in a Binding request. */
const UNDERSTOOD = new Set<number>([
  Attr.MAPPED_ADDRESS,
  Attr.USERNAME,
  Attr.MESSAGE_INTEGRITY,
  Attr.MESSAGE_INTEGRITY_SHA256,
  Attr.PRIORITY,
  Attr.USE_CANDIDATE,
  Attr.XOR_MAPPED_ADDRESS,
]);

function u64(v: Uint8Array): bigint | undefined {
  return v.length === 8 ? new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0) : undefined;
}

function reject(action: 'respond' | 'discard', reason: string, code?: number, authenticated = false, unknownAttributes?: number[]): { ok: false; error: CheckRejection } {
  return err({ action, reason, ...(code !== undefined ? { code } : {}), authenticated, ...(unknownAttributes ? { unknownAttributes } : {}) });
}

/**
 * Judges an incoming check (RFC 8445 §7.3, RFC 8489 §9.1.3): a bad FINGERPRINT is dropped;
 * missing USERNAME or MESSAGE-INTEGRITY is 400; a USERNAME not starting with our ufrag or a bad
 * MESSAGE-INTEGRITY (our password) is 401; then unknown comprehension-required attributes are
 * 420 and malformed ICE attributes 400. Never throws.
 */
export function validateCheckRequest(profile: CompatProfile, msg: StunMessage, local: LocalCheckCredentials): Result<IncomingCheck, CheckRejection> {
  const d = profile.check;
  if (msg.cls !== 'request') return reject('discard', `not a request (${msg.cls})`);
  if (checkFingerprint(msg) === 'invalid') return reject('discard', 'bad FINGERPRINT');
  if (msg.method !== Method.Binding) return reject('respond', `method 0x${msg.method.toString(16)} is not Binding`, STUN_BAD_REQUEST);

  const username = getAttribute(msg, Attr.USERNAME);
  if (!username || !getAttribute(msg, Attr.MESSAGE_INTEGRITY)) return reject('respond', 'USERNAME or MESSAGE-INTEGRITY missing', STUN_BAD_REQUEST);
  if (!d.usernameIsOurs(username.value, local.ufrag, local.component)) return reject('respond', 'USERNAME is not addressed to our ufrag', STUN_UNAUTHENTICATED);
  if (checkIntegrity(msg, d.integrityKey(local.password)) !== 'valid') return reject('respond', 'MESSAGE-INTEGRITY does not match our password', STUN_UNAUTHENTICATED);

  const unknown = msg.attributes.filter((a) => a.type < 0x8000 && !UNDERSTOOD.has(a.type)).map((a) => a.type);
  if (unknown.length > 0) return reject('respond', 'unknown comprehension-required attributes', STUN_UNKNOWN_ATTRIBUTE, true, [...new Set(unknown)]);

  const controlling = getAttribute(msg, Attr.ICE_CONTROLLING);
  const controlled = getAttribute(msg, Attr.ICE_CONTROLLED);
  let role: RoleClaim | undefined;
  if (controlling && controlled) return reject('respond', 'both ICE-CONTROLLING and ICE-CONTROLLED', STUN_BAD_REQUEST, true);
  const claim = controlling ?? controlled;
  if (claim) {
    const tieBreaker = u64(claim.value);
    if (tieBreaker === undefined) return reject('respond', `tie-breaker of ${claim.value.length} bytes`, STUN_BAD_REQUEST, true);
    role = { role: controlling ? 'controlling' : 'controlled', tieBreaker };
  }
  const prio = getAttribute(msg, Attr.PRIORITY);
  if (prio && prio.value.length !== 4) return reject('respond', `PRIORITY of ${prio.value.length} bytes`, STUN_BAD_REQUEST, true);
  if (!prio && d.priorityAttribute) return reject('respond', 'PRIORITY missing', STUN_BAD_REQUEST, true);
  const priority = uint32Attribute(msg, Attr.PRIORITY);

  const version = getAttribute(msg, Attr.MS_IMPLEMENTATION_VERSION);
  const implementationVersion = version && version.value.length === 4 ? uint32Attribute(msg, Attr.MS_IMPLEMENTATION_VERSION) : undefined;
  const remoteUfrag = d.remoteUfragOf(username.value);
  return ok({
    transactionId: msg.transactionId,
    username: new TextDecoder('utf-8', { fatal: false }).decode(username.value),
    ...(remoteUfrag !== undefined ? { remoteUfrag } : {}),
    ...(priority !== undefined ? { priority } : {}),
    useCandidate: getAttribute(msg, Attr.USE_CANDIDATE) !== undefined,
    ...(role ? { role } : {}),
    ...(implementationVersion !== undefined ? { implementationVersion } : {}),
  });
}

export interface SuccessResponseInput {
  readonly transactionId: Uint8Array;
  /** The request's source: reflected in XOR-MAPPED-ADDRESS (RFC 8445 §7.3.1.2). */
  readonly source: TransportAddress;
  /** Our password: responses are signed with the key the request used (RFC 8489 §9.1.3). */
  readonly localPassword: string;
  readonly component: number;
}

/** RFC 8445 §7.3.1.2: success response with XOR-MAPPED-ADDRESS, signed with our password. */
export function encodeCheckSuccess(profile: CompatProfile, input: SuccessResponseInput): Uint8Array {
  const attributes = [attrs.xorMappedAddress(input.source), ...profile.responseAttributes({ component: input.component })];
  return encodeStun(
    { method: Method.Binding, cls: 'success', transactionId: input.transactionId, attributes },
    { integrityKey: profile.check.integrityKey(input.localPassword), fingerprint: profile.check.fingerprint },
  );
}

export interface ErrorResponseInput {
  readonly transactionId: Uint8Array;
  readonly code: number;
  readonly reason?: string;
  /** Sign with our password; only when the request itself was authenticated. */
  readonly localPassword?: string;
  readonly unknownAttributes?: readonly number[];
}

/** An error response (400, 401, 420, 487) to a check. */
export function encodeCheckError(profile: CompatProfile, input: ErrorResponseInput): Uint8Array {
  const attributes: AttributeSpec[] = [attrs.errorCode(input.code, input.reason ?? REASONS[input.code] ?? 'Error')];
  let body = encodeStun({ method: Method.Binding, cls: 'error', transactionId: input.transactionId, attributes });
  if (input.unknownAttributes?.length) body = appendUnknownAttributes(body, input.unknownAttributes);
  return signStun(body, {
    ...(input.localPassword !== undefined ? { integrityKey: profile.check.integrityKey(input.localPassword) } : {}),
    fingerprint: profile.check.fingerprint,
  });
}

/**
 * UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): a list of 16-bit types. The stun package encodes this type
 * itself and reads raw bytes as a list of numbers, so the attribute is appended here, before
 * signing, with the header length fixed up.
 */
function appendUnknownAttributes(message: Uint8Array, types: readonly number[]): Uint8Array {
  const valueLen = types.length * 2;
  const attrLen = 4 + ((valueLen + 3) & ~3);
  const out = new Uint8Array(message.length + attrLen);
  out.set(message);
  const v = new DataView(out.buffer);
  v.setUint16(message.length, Attr.UNKNOWN_ATTRIBUTES);
  v.setUint16(message.length + 2, valueLen);
  types.forEach((t, i) => v.setUint16(message.length + 4 + i * 2, t));
  v.setUint16(2, out.length - HEADER_LENGTH);
  return out;
}

/**
 * The answer to a rejected request, or undefined when it is to be dropped. 400/401 go unsigned
 * (we could not verify the request); 420/487 are signed with our password (RFC 8489 §9.1.3).
 */
export function encodeRejection(profile: CompatProfile, msg: StunMessage, rejection: CheckRejection, localPassword: string): Uint8Array | undefined {
  if (rejection.action === 'discard' || rejection.code === undefined) return undefined;
  return encodeCheckError(profile, {
    transactionId: msg.transactionId,
    code: rejection.code,
    ...(rejection.authenticated ? { localPassword } : {}),
    ...(rejection.unknownAttributes ? { unknownAttributes: rejection.unknownAttributes } : {}),
  });
}

/** The 487 a controlling (or controlled) agent answers with when it keeps its role (RFC 8445 §7.3.1.1). */
export function encodeRoleConflict(profile: CompatProfile, msg: StunMessage, localPassword: string): Uint8Array {
  return encodeCheckError(profile, { transactionId: msg.transactionId, code: STUN_ROLE_CONFLICT, localPassword });
}

export type CheckResponse =
  | { readonly kind: 'success'; readonly mapped: TransportAddress; readonly implementationVersion?: number }
  | { readonly kind: 'role-conflict' }
  | { readonly kind: 'error'; readonly code: number; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * What an answer to our check means (RFC 8445 §7.2.5). Integrity and fingerprint are the STUN
 * client's job (it drops responses that fail them); this reads the verdict.
 */
export function interpretCheckResponse(msg: StunMessage): CheckResponse {
  if (msg.method !== Method.Binding) return { kind: 'malformed', reason: `method 0x${msg.method.toString(16)} is not Binding` };
  if (msg.cls === 'error') {
    const e = errorCodeAttribute(msg);
    if (!e) return { kind: 'malformed', reason: 'error response without ERROR-CODE' };
    return e.code === STUN_ROLE_CONFLICT ? { kind: 'role-conflict' } : { kind: 'error', code: e.code, reason: e.reason };
  }
  if (msg.cls !== 'success') return { kind: 'malformed', reason: `not a response (${msg.cls})` };
  const mapped = addressAttribute(msg, Attr.XOR_MAPPED_ADDRESS) ?? addressAttribute(msg, Attr.MAPPED_ADDRESS);
  if (!mapped) return { kind: 'malformed', reason: 'success response without XOR-MAPPED-ADDRESS' };
  const version = getAttribute(msg, Attr.MS_IMPLEMENTATION_VERSION);
  const implementationVersion = version && version.value.length === 4 ? uint32Attribute(msg, Attr.MS_IMPLEMENTATION_VERSION) : undefined;
  return { kind: 'success', mapped, ...(implementationVersion !== undefined ? { implementationVersion } : {}) };
}
