/** The engine side of the UI: ApiServer (MediapathApi once), the HTTP + WebSocket bridge, the renderer build. */
export { ApiServer, type ApiServerOptions } from './api-server';
export { startServe, isLoopback, SERVE_CSP, type ServeHandle, type ServeOptions } from './http-server';
export { buildRenderer, ensureRenderer, DEFAULT_RENDERER_OUT, RENDERER_SRC } from './renderer-build';
export { FileSettingsStore, MemorySettingsStore, defaultConfigDir, type SettingsStore } from './settings-store';
export { parseRun, serializeRun, RUN_FILE_LIMITS } from './run-file';
export { runLabIce, type IceScenarioRunner } from './lab-run';
export { iceToEngineEvent } from './ice-timeline';
export { EngineSession, type EngineSessionOptions, type RunHost, type AccountEnvironment, type LabAccounts } from './engine-session';
export { startEmbeddedLab, LAB_ACCOUNT_ID, type EmbeddedLab, type EmbeddedLabOptions } from './embedded-lab';
export { MemorySecretStore, type SecretStore } from './secret-store';
export { exportRun, type ExportSource } from './run-export';
export { concludeRun, reloadedTimeline } from './run-conclusion';
