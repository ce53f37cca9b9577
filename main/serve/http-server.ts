import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { MediapathError } from '../common/errors';
import { createLogger, type Logger } from '../common/logger';
import type { ApiServer } from './api-server';
import { WsBridge } from './ws-bridge';

export interface ServeOptions {
  readonly api: ApiServer;
  /** A built renderer (index.html and assets): see renderer-build.ts. */
  readonly rendererDir: string;
  /** Default 127.0.0.1: only this machine. Anything else must be asked for explicitly. */
  readonly host?: string;
  /** 0 (default) takes any free port. */
  readonly port?: number;
  /** Default: 24 random bytes, base64url. */
  readonly token?: string;
  readonly logger?: Logger;
}

export interface ServeHandle {
  /** The page to open, token included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The page may load only its own files and talk only to its own origin (the WebSocket too). */
export const SERVE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `mediapath serve`: the built renderer over HTTP and MediapathApi over a WebSocket at `/api`.
 * The socket needs the token from the page's URL; bound to loopback, requests must also name a
 * loopback host (so a DNS-rebinding page cannot reach it) and a WebSocket's Origin must be the
 * page's own.
 */
export async function startServe(o: ServeOptions): Promise<ServeHandle> {
  const log = o.logger ?? createLogger('serve/http');
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? randomBytes(24).toString('base64url');
  const root = path.resolve(o.rendererDir);
  const index = await stat(path.join(root, 'index.html')).catch(() => undefined);
  if (!index) throw new MediapathError('SERVE_FAILED', `no built renderer in ${root} (run npm run build:renderer)`, { layer: 'api' });
  const loopbackOnly = isLoopback(host);
  const bridge = new WsBridge(o.api, log);
  const sockets = new Set<Socket>();

  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!loopbackOnly) return true;
    const h = req.headers.host;
    if (!h) return false;
    const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
    return isLoopback(name);
  };

  const server: Server = createServer((req, res) => void serveFile(req, res));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = {
      'Content-Security-Policy': SERVE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    };
    const reply = (status: number, body: string): void => {
      res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (!hostAllowed(req)) return reply(421, 'this server answers loopback host names only\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'GET only\n');
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return reply(400, 'bad path\n');
    }
    if (rel.includes('\0')) return reply(400, 'bad path\n');
    const file = path.resolve(root, '.' + (rel.endsWith('/') ? `${rel}index.html` : rel));
    if (file !== root && !file.startsWith(root + path.sep)) return reply(404, 'not found\n');
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return reply(404, 'not found\n');
    res.writeHead(200, {
      ...headers,
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      // Assets are content-hashed by Vite; the page itself must always be fresh.
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return refuse('400 Bad Request');
    }
    if (url.pathname !== '/api') return refuse('404 Not Found');
    if (!hostAllowed(req)) return refuse('421 Misdirected Request');
    if (!sameToken(url.searchParams.get('token'), token)) return refuse('401 Unauthorized');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return refuse('403 Forbidden');
    bridge.wss.handleUpgrade(req, socket, head, (ws) => bridge.wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(new MediapathError('SERVE_FAILED', `cannot listen on ${host}:${o.port ?? 0}: ${e.message}`, { layer: 'api' }, { cause: e }));
    server.once('error', onError);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`;
  log.info({ host, port }, 'serving the UI');

  let closed: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    close: () =>
      (closed ??= (async () => {
        await bridge.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      })()),
  };
}
