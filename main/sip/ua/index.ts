export { SipUserAgent, type SubscribeOptions } from './user-agent';
export { acceptedTypes, ClientCall, type InviteOptions, type UnsupportedMediaTypeRefusal } from './client-call';
export { ServerCall } from './server-call';
export type { Call, CallEvents, ReinviteHandler } from './call';
export { bodyOf, reasonPhrase, responseTo, type SipBody, type ResponseInput } from './responses';
export { grantedExpires, sameContact } from './registration';
export { nextHop, resolveSipUri } from './routing';
export type {
  SipUserAgentOptions,
  UaEvent,
  RegistrationEvent,
  RegistrationState,
  RegistrationInfo,
  CallStateEvent,
  ClientCallState,
  ServerCallState,
  CallEnd,
} from './types';
