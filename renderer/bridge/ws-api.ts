import type { ApiResult, EngineEvent, MediapathApi } from '../../main/api';

/**
 * MediapathApi over the `mediapath serve` WebSocket, so the renderer cannot tell a browser from
 * Electron. Requests carry an id and resolve with the server's Result; a dropped connection
 * resolves every pending call with a CLOSED error (nothing rejects, as over IPC).
 */
interface Frame {
  readonly kind: 'result' | 'event' | 'error';
  readonly id?: number;
  readonly result?: ApiResult<unknown>;
  readonly event?: EngineEvent;
  readonly message?: string;
}

export function createWsApi(url: string, WebSocketImpl: typeof WebSocket = WebSocket): MediapathApi {
  const ws = new WebSocketImpl(url);
  const pending = new Map<number, (r: ApiResult<unknown>) => void>();
  const listeners = new Set<(e: EngineEvent) => void>();
  const queue: string[] = [];
  let nextId = 1;
  let closed = false;

  ws.addEventListener('open', () => {
    for (const m of queue.splice(0)) ws.send(m);
  });
  ws.addEventListener('message', (ev: MessageEvent) => {
    let f: Frame;
    try {
      f = JSON.parse(String(ev.data)) as Frame;
    } catch {
      return;
    }
    if (f.kind === 'event' && f.event) for (const cb of [...listeners]) cb(f.event);
    else if (f.kind === 'result' && f.id !== undefined && f.result) {
      pending.get(f.id)?.(f.result);
      pending.delete(f.id);
    }
  });
  ws.addEventListener('close', () => {
    closed = true;
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'CLOSED', message: 'the connection to mediapath serve closed: reload the page' } });
    pending.clear();
  });

  function invoke<T>(method: string, input?: unknown): Promise<ApiResult<T>> {
    if (closed) return Promise.resolve({ ok: false, error: { code: 'CLOSED', message: 'the connection to mediapath serve is closed: reload the page' } });
    const id = nextId++;
    const frame = JSON.stringify({ id, method, input });
    return new Promise((resolve) => {
      pending.set(id, resolve as (r: ApiResult<unknown>) => void);
      if (ws.readyState === ws.OPEN) ws.send(frame);
      else queue.push(frame);
    });
  }

  // Typed as the contract: a method missing here fails to compile.
  return {
    version: () => invoke('version'),
    scenarios: () => invoke('scenarios'),
    runScenario: (i) => invoke('runScenario', i),
    register: (i) => invoke('register', i),
    unregister: () => invoke('unregister'),
    call: (i) => invoke('call', i),
    answer: (i) => invoke('answer', i),
    hangup: (i) => invoke('hangup', i),
    openRun: (i) => invoke('openRun', i),
    exportRun: (i) => invoke('exportRun', i),
    currentRun: () => invoke('currentRun'),
    getSettings: () => invoke('getSettings'),
    saveSettings: (i) => invoke('saveSettings', i),
    revealMrasCredentials: () => invoke('revealMrasCredentials'),
    onDidEvent(cb) {
      listeners.add(cb);
      return () => void listeners.delete(cb);
    },
  };
}

/** The API socket's URL for a page served by `mediapath serve` (`?token=` in the page's URL). */
export function wsUrlFor(loc: { protocol: string; host: string; search: string }): string | null {
  if (loc.protocol !== 'http:' && loc.protocol !== 'https:') return null;
  const token = new URLSearchParams(loc.search).get('token');
  if (!token) return null;
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api?token=${encodeURIComponent(token)}`;
}
