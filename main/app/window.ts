import { app, BrowserWindow, ipcMain, safeStorage, session, type IpcMainInvokeEvent } from 'electron';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../common/logger';
import { ApiServer } from '../serve/api-server';
import { startEmbeddedLab, type EmbeddedLab } from '../serve/embedded-lab';
import { FileSettingsStore } from '../serve/settings-store';
import { forwardEvents, registerIpc } from './ipc';
import { SafeStorageSecretStore } from './secret-store';

// Injected by Forge's Vite plugin at build time.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

/** Same policy as `mediapath serve`, sent as a header too (the page's meta tag says the same). */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(app.getAppPath(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return app.getVersion();
  }
}

/** The page we load, and nothing else, may use the API and be navigated to. */
function isOurPage(url: string): boolean {
  if (MAIN_WINDOW_VITE_DEV_SERVER_URL) return url.startsWith(MAIN_WINDOW_VITE_DEV_SERVER_URL);
  return url.startsWith('file://') && url.includes(`/renderer/${MAIN_WINDOW_VITE_NAME}/`);
}

function createWindow(api: ApiServer): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'mediapath',
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  forwardEvents(api, win.webContents);
  if (MAIN_WINDOW_VITE_DEV_SERVER_URL) void win.loadURL(MAIN_WINDOW_VITE_DEV_SERVER_URL);
  else void win.loadFile(path.join(__dirname, `../renderer/${MAIN_WINDOW_VITE_NAME}/index.html`));
}

export function startApp(): void {
  // Every web contents, present and future: no navigation away, no new windows, no webviews.
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isOurPage(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isOurPage(url)) e.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });

  void app.whenReady().then(async () => {
    // No camera, microphone, notifications or anything else a page might ask for.
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    // The dev server's page needs Vite's inline preamble and HMR socket: the strict header applies to built pages.
    if (!MAIN_WINDOW_VITE_DEV_SERVER_URL) {
      session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
        callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
      });
    }
    // Settings and secrets in the app's userData folder; passwords only as safeStorage ciphertext.
    const userData = app.getPath('userData');
    // The embedded lab, as `mediapath serve` runs it, so a first lab call works with no server of
    // the user's own; an app that cannot start it (ports, coturn) still serves real accounts.
    const log = createLogger('app/window');
    const lab: EmbeddedLab | undefined = await startEmbeddedLab({}).catch((e: unknown) => {
      log.warn({ err: String((e as Error)?.message ?? e) }, 'embedded lab not started: lab calls are unavailable');
      return undefined;
    });
    const api = new ApiServer({
      version: appVersion(),
      host: 'electron',
      settings: new FileSettingsStore(userData),
      secrets: new SafeStorageSecretStore(userData, safeStorage),
      ...(lab ? { lab } : {}),
    });
    // Un-REGISTER and hang up before the process goes.
    let closed = false;
    app.on('will-quit', (e) => {
      if (closed) return;
      e.preventDefault();
      closed = true;
      void api
        .close()
        .then(() => lab?.close())
        .finally(() => app.quit());
    });
    const trusted = (e: IpcMainInvokeEvent): boolean => isOurPage(e.senderFrame?.url ?? '');
    registerIpc(ipcMain, api, trusted);
    createWindow(api);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow(api);
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
