/** The lab registrar/proxy with provisioning and the MRAS service (PROTOCOLS.md §0–§1). */
export { startLabRegistrar, type LabRegistrar } from './registrar';
export {
  DEFAULT_REGISTRAR_KNOBS,
  type Binding,
  type Flow,
  type LabMrasConfig,
  type LabProvisioningConfig,
  type LabRegistrarOptions,
  type RegistrarEvent,
  type RegistrarKnobs,
  type RegistrationLimits,
  type SipTransportKind,
} from './types';
export { DigestGuard, type DigestCheck, type DigestGuardOptions } from './digest-guard';
export { LocationTable, contactKey, DEFAULT_REGISTRATION_LIMITS, type BindingChange, type ContactUpdate, type RegisterRefusal, type RegisterUpdate } from './location';
export { answerMrasService, defaultMrasUri, relaysFor, sameServiceUri, type MrasServiceAnswer, type MrasServiceContext } from './mras-service';
export { answerProvisioning, eventPackage, type ProvisioningAnswer, type ProvisioningValues } from './provisioning';
export { responseFor } from './responses';
