/**
 * The wire names of the contract, shared by preload (Electron IPC), main/app (the handlers) and
 * main/serve (the WebSocket bridge). Free of zod so the sandboxed preload bundle stays tiny.
 * test/unit/api/channels.test.ts holds a snapshot: a rename here is a deliberate, visible change.
 */

/** Every call-style method of MediapathApi (contract.ts checks this list is exactly its keys). */
export const API_METHODS = [
  'version',
  'scenarios',
  'runScenario',
  'register',
  'unregister',
  'call',
  'answer',
  'hangup',
  'openRun',
  'exportRun',
  'currentRun',
  'getSettings',
  'saveSettings',
  'revealMrasCredentials',
] as const;
export type ApiMethodName = (typeof API_METHODS)[number];

/** One prefix for every channel, so the preload and the main side can refuse anything else. */
export const CHANNEL_PREFIX = 'mediapath:';

/** Main → renderer: one EngineEvent per message. */
export const EVENT_CHANNEL = `${CHANNEL_PREFIX}event`;

export function channelFor(method: ApiMethodName): string {
  return `${CHANNEL_PREFIX}${method}`;
}

export function isApiMethod(name: unknown): name is ApiMethodName {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/** Every channel in use: the methods' invoke channels and the event channel. */
export const API_CHANNELS: readonly string[] = [...API_METHODS.map(channelFor), EVENT_CHANNEL];
