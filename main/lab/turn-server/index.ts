export { TurnServerCore, type TurnServerCoreOptions } from './core';
export { startLabTurnServer, type LabTurnServer, type LabTurnServerOptions } from './server';
export {
  DEFAULT_KNOBS,
  DEFAULT_LIFETIMES,
  type AllocationCounters,
  type AllocationDeleteReason,
  type AllocationState,
  type AllocationView,
  type ClientEndpoint,
  type ClientTransport,
  type DropReason,
  type TurnServerAction,
  type TurnServerAuth,
  type TurnServerEvent,
  type TurnServerKnobs,
  type TurnServerLifetimes,
  type TurnServerStats,
} from './types';
