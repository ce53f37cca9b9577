import type { ClientCallState, ServerCallState } from './types';

/**
 * The caller's call (RFC 3261 §13.2, §9.1 CANCEL, §15 BYE). `cancelling` covers both a CANCEL
 * sent and one waiting for the first provisional response (§9.1 forbids it before).
 */
export const CLIENT_CALL_TABLE: Readonly<Record<ClientCallState, readonly ClientCallState[]>> = {
  calling: ['proceeding', 'early', 'confirmed', 'cancelling', 'terminated'],
  proceeding: ['early', 'confirmed', 'cancelling', 'terminated'],
  early: ['confirmed', 'cancelling', 'terminated'],
  // A 2xx that crossed our CANCEL: ACK it and hang up (§9.1, §15).
  cancelling: ['terminating', 'terminated'],
  confirmed: ['terminating', 'terminated'],
  terminating: ['terminated'],
  terminated: [],
};

/** The callee's call (RFC 3261 §13.3): `accepted` is the 2xx sent and waiting for its ACK (§13.3.1.4). */
export const SERVER_CALL_TABLE: Readonly<Record<ServerCallState, readonly ServerCallState[]>> = {
  incoming: ['early', 'accepted', 'terminated'],
  early: ['accepted', 'terminated'],
  accepted: ['confirmed', 'terminating', 'terminated'],
  confirmed: ['terminating', 'terminated'],
  terminating: ['terminated'],
  terminated: [],
};

/** Who is offering in the middle of a call (RFC 3261 §14: one offer at a time per direction). */
export type OfferState = 'idle' | 'sending' | 'receiving';

export const OFFER_TABLE: Readonly<Record<OfferState, readonly OfferState[]>> = {
  idle: ['sending', 'receiving'],
  sending: ['idle'],
  receiving: ['idle'],
};
