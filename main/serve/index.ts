/** The engine side of the UI: ApiServer (MediapathApi once), the HTTP + WebSocket bridge, the renderer build. */
export { ApiServer, type ApiServerOptions } from './api-server';
export { startServe, isLoopback, SERVE_CSP, type ServeHandle, type ServeOptions } from './http-server';
export { buildRenderer, ensureRenderer, DEFAULT_RENDERER_OUT, RENDERER_SRC } from './renderer-build';
export { FileSettingsStore, MemorySettingsStore, defaultConfigDir, type SettingsStore } from './settings-store';
export { parseRun, serializeRun, RUN_FILE_LIMITS } from './run-file';
export { runLabIce, type IceScenarioRunner } from './lab-run';
export { iceToEngineEvent } from './ice-timeline';
