import type { MediapathApi } from '../main/api';

declare module '*.css';

declare global {
  interface Window {
    /** The engine: Electron's preload exposes it; in a browser bridge/ws-api.ts creates it. */
    mediapath?: MediapathApi;
  }
}
