/**
 * The one contract between the engine and every face of it (preload/IPC, the WebSocket bridge,
 * the renderer). Types only for now; the app issue fills it in.
 */
import type { ErrorInfo } from '../common/errors';
import type { Result } from '../common/result';

export type ApiResult<T> = Result<T, ErrorInfo>;

export interface VersionInfo {
  readonly name: 'mediapath';
  readonly version: string;
}

export interface MediapathApi {
  version(): Promise<ApiResult<VersionInfo>>;
}
