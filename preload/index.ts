// Exposes exactly window.mediapath through contextBridge, and nothing else (DESIGN.md "IPC
// contract"). Each method invokes its one channel under the `mediapath:` prefix; events arrive on
// the one event channel. Values are checked in main (ApiServer.invoke), never trusted here.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, channelFor, EVENT_CHANNEL, type ApiMethodName } from '../main/api/channels';
import type { MediapathApi } from '../main/api/contract';
import type { EngineEvent } from '../main/api/events';

type Invokers = { [M in ApiMethodName]: MediapathApi[M] };

function invoker<M extends ApiMethodName>(m: M): MediapathApi[M] {
  // One argument at most; the renderer's objects cross by structured clone.
  return ((input?: unknown) => ipcRenderer.invoke(channelFor(m), input)) as MediapathApi[M];
}

const invokers = Object.fromEntries(API_METHODS.map((m) => [m, invoker(m)])) as Invokers;

const api: MediapathApi = {
  ...invokers,
  onDidEvent(cb: (e: EngineEvent) => void) {
    // The renderer never sees the IpcRendererEvent (it carries the sender object).
    const listener = (_e: IpcRendererEvent, event: EngineEvent): void => cb(event);
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('mediapath', api);
