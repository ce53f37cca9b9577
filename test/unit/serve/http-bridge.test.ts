import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiServer } from '../../../main/serve/api-server';
import { startServe, type ServeHandle } from '../../../main/serve/http-server';
import { MemorySettingsStore } from '../../../main/serve/settings-store';

let dir = '';
let handle: ServeHandle;
let api: ApiServer;

function get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: handle.port, path: p, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the API socket; resolves with the socket or the HTTP status of the refusal. */
function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${handle.port}/api${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

interface Frame {
  kind: string;
  id?: number;
  result?: { ok: boolean; value?: unknown; error?: { code: string } };
  event?: { type: string; reason?: string };
}

function rpc(ws: WebSocket, id: number, method: string, input?: unknown): Promise<Frame> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData): void => {
      const f = JSON.parse(data.toString()) as Frame;
      if (f.kind === 'result' && f.id === id) {
        ws.off('message', on);
        resolve(f);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, method, input }));
  });
}

function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mp-serve-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>mediapath</title>');
  await writeFile(path.join(dir, 'assets', 'app.js'), 'export {};');
  await writeFile(path.join(os.tmpdir(), 'mp-outside.txt'), 'outside');
  api = new ApiServer({ version: '9.9.9', host: 'serve', settings: new MemorySettingsStore() });
  handle = await startServe({ api, rendererDir: dir, port: 0 });
});

afterAll(async () => {
  await handle.close();
  await rm(dir, { recursive: true, force: true });
  await rm(path.join(os.tmpdir(), 'mp-outside.txt'), { force: true });
});

describe('mediapath serve: HTTP', () => {
  it('serves the page on loopback with a token in the URL and a strict CSP', async () => {
    expect(handle.host).toBe('127.0.0.1');
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>mediapath</title>');
    expect(String(r.headers['content-security-policy'])).toMatch(/default-src 'none'; script-src 'self'/);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect((await get('/assets/app.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('refuses paths outside the build, other methods and foreign host names', async () => {
    expect((await get('/../mp-outside.txt')).status).toBe(404);
    expect((await get('/%2e%2e/mp-outside.txt')).status).toBe(404);
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/', { Host: 'evil.example:80' })).status).toBe(421);
    expect((await get('/', { Host: `localhost:${handle.port}` })).status).toBe(200);
  });
});

describe('mediapath serve: WebSocket bridge', () => {
  it('needs the token, a loopback host and our own origin', async () => {
    expect(await connect('')).toBe(401);
    expect(await connect('?token=wrong')).toBe(401);
    expect(await connect(`?token=${handle.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`?token=${handle.token}`, { Host: 'evil.example' })).toBe(421);
    const ws = await connect(`?token=${handle.token}`, { Origin: `http://127.0.0.1:${handle.port}` });
    expect(ws).toBeInstanceOf(WebSocket);
    await closeWs(ws as WebSocket);
  });

  it('implements MediapathApi: calls, validation, and events while a scenario runs', async () => {
    const ws = (await connect(`?token=${handle.token}`)) as WebSocket;
    expect((await rpc(ws, 1, 'version')).result).toEqual({ ok: true, value: { name: 'mediapath', version: '9.9.9', host: 'serve' } });
    expect((await rpc(ws, 2, 'runScenario', { kind: 'ice', scenario: 'promotion' })).result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect((await rpc(ws, 3, 'eval', 'x')).result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const events: Frame['event'][] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as Frame;
      if (f.kind === 'event') events.push(f.event);
    });
    const run = await rpc(ws, 4, 'runScenario', { kind: 'ice', scenario: 'promotion', strategy: 'lync', seed: 1 });
    expect(run.result).toMatchObject({ ok: true, value: { verdict: 'pass' } });
    // Every event went out before the result did.
    expect(events.length).toBe((run.result?.value as { events: number }).events);
    expect(events.some((e) => e?.type === 'path.changed' && e.reason === 'higher-priority-succeeded')).toBe(true);
    const garbage = new Promise<Frame>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Frame)));
    ws.send('{nope');
    expect((await garbage).kind).toBe('error');
    await closeWs(ws);
    for (let i = 0; i < 20 && api.listenerCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.listenerCount()).toBe(0);
  });
});
