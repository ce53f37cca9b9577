/**
 * The one contract between the engine and every face of it (preload/IPC, the WebSocket bridge,
 * the renderer): plain-data event and view types, zod schemas for every input, the API
 * interface and its channel names. May import main/common only (eslint layering).
 */
export * from './views';
export * from './events';
export * from './channels';
export * from './contract';
