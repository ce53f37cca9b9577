// Exposes window.mediapath through contextBridge and nothing else (filled in by the app issue).
import { contextBridge, ipcRenderer } from 'electron';
import type { MediapathApi } from '../main/api';

const api: MediapathApi = {
  version: () => ipcRenderer.invoke('mediapath:version'),
};

contextBridge.exposeInMainWorld('mediapath', api);
