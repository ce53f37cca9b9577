import { lyncIce2Profile } from './lync-ice2';
import { lyncIceV6Profile } from './lync-ice-v6';
import type { CompatProfile, ProfileName } from './profile';
import { rfc8445Profile } from './rfc8445';

export * from './kinds';
export * from './profile';
export { rfc8445Profile, rfc6544LocalPreference } from './rfc8445';
export { lyncIce2Profile, candidateIdentifier, MS_ICE2_IMPLEMENTATION_VERSION } from './lync-ice2';
export { lyncIceV6Profile, draft6Priority } from './lync-ice-v6';

const PROFILES: Readonly<Record<ProfileName, CompatProfile>> = {
  rfc8445: rfc8445Profile,
  'lync-ice2': lyncIce2Profile,
  'lync-ice-v6': lyncIceV6Profile,
};

/** The one place a dialect name becomes behaviour: the session picks a profile here and passes it down. */
export function profileByName(name: ProfileName): CompatProfile {
  return PROFILES[name];
}

export const PROFILE_NAMES: readonly ProfileName[] = Object.keys(PROFILES) as ProfileName[];
