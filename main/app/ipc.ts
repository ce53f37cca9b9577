import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { API_METHODS, channelFor, EVENT_CHANNEL, type ApiMethod, type ApiOutput, type ApiResult } from '../api';
import type { ApiServer } from '../serve/api-server';

/**
 * The Electron face of MediapathApi: one `ipcMain.handle` per method on its `mediapath:` channel,
 * each passing the renderer's value, untrusted, to ApiServer.invoke (zod-validated there). The
 * handler table is typed by the API: a method without a handler fails to compile.
 */
type IpcHandlers = { readonly [M in ApiMethod]: (input: unknown) => Promise<ApiResult<ApiOutput<M>>> };

export function ipcHandlers(api: ApiServer): IpcHandlers {
  const via =
    <M extends ApiMethod>(m: M) =>
    (input: unknown) =>
      api.invoke(m, input) as Promise<ApiResult<ApiOutput<M>>>;
  return {
    version: via('version'),
    scenarios: via('scenarios'),
    runScenario: via('runScenario'),
    register: via('register'),
    unregister: via('unregister'),
    call: via('call'),
    answer: via('answer'),
    hangup: via('hangup'),
    openRun: via('openRun'),
    exportRun: via('exportRun'),
    currentRun: via('currentRun'),
    getSettings: via('getSettings'),
    saveSettings: via('saveSettings'),
    revealMrasCredentials: via('revealMrasCredentials'),
  };
}

/**
 * Registers the handlers; `trusted` says whether a call comes from our own page (a frame of
 * another origin gets an error, not the API). Returns a function that removes them again.
 */
export function registerIpc(ipcMain: IpcMain, api: ApiServer, trusted: (e: IpcMainInvokeEvent) => boolean): () => void {
  const handlers = ipcHandlers(api);
  for (const m of API_METHODS) {
    ipcMain.handle(channelFor(m), async (e, input: unknown) => {
      if (!trusted(e)) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'call from an untrusted frame', layer: 'api' } };
      return handlers[m](input);
    });
  }
  return () => {
    for (const m of API_METHODS) ipcMain.removeHandler(channelFor(m));
  };
}

/** Forwards the engine's events to a window's renderer until the window goes away. */
export function forwardEvents(api: ApiServer, wc: WebContents): () => void {
  const off = api.onDidEvent((e) => {
    if (!wc.isDestroyed()) wc.send(EVENT_CHANNEL, e);
  });
  wc.once('destroyed', off);
  return off;
}
