import type { PairState, PhaseName } from '../../main/api';

// The renderer takes only types from main/api (lint), so the lists it iterates are restated here;
// a Record over each union makes a missing or extra member a compile error.
const pairStates: Readonly<Record<PairState, true>> = { frozen: true, waiting: true, 'in-progress': true, succeeded: true, failed: true };
export const PAIR_STATES = Object.keys(pairStates) as PairState[];

const phaseNames: Readonly<Record<PhaseName, true>> = { registration: true, mras: true, gathering: true, checks: true, media: true };
export const PHASE_NAMES = Object.keys(phaseNames) as PhaseName[];
