import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { RUN_FILE_MAX_BYTES } from '../api';
import type { Logger } from '../common/logger';
import type { ApiServer } from './api-server';

/**
 * MediapathApi over a WebSocket, for any browser (`mediapath serve`). Frames are JSON:
 *   client → server  { id, method, input? }
 *   server → client  { kind: 'result', id, result }  |  { kind: 'event', event }
 * The envelope is checked here, the input by ApiServer.invoke (the method's zod schema).
 */
const requestSchema = z.object({ id: z.number().int().min(0), method: z.string().max(64), input: z.unknown().optional() }).strict();

/** A client that reads this far behind the event stream is cut off rather than buffered forever. */
const MAX_BUFFERED = 64 * 1024 * 1024;

export class WsBridge {
  readonly wss: WebSocketServer;
  private readonly clients = new Set<WebSocket>();

  constructor(
    private readonly api: ApiServer,
    private readonly log: Logger,
  ) {
    // A saved run travels in one frame (openRun {text}); nothing bigger is accepted.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: RUN_FILE_MAX_BYTES + 64 * 1024 });
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.attach(ws, req));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  private attach(ws: WebSocket, req: IncomingMessage): void {
    this.clients.add(ws);
    this.log.info({ remote: req.socket.remoteAddress }, 'ui client connected');
    const send = (msg: unknown): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        this.log.warn({}, 'ui client too slow: closing');
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(msg));
    };
    const unsubscribe = this.api.onDidEvent((event) => send({ kind: 'event', event }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send({ kind: 'error', message: 'binary frames are not part of the protocol' });
      let parsed: z.SafeParseReturnType<unknown, z.infer<typeof requestSchema>>;
      try {
        parsed = requestSchema.safeParse(JSON.parse(data.toString()));
      } catch {
        return send({ kind: 'error', message: 'not JSON' });
      }
      if (!parsed.success) return send({ kind: 'error', message: 'not a request: { id, method, input? }' });
      const { id, method, input } = parsed.data;
      void this.api.invoke(method, input).then((result) => send({ kind: 'result', id, result }));
    });
    ws.on('close', () => {
      unsubscribe();
      this.clients.delete(ws);
    });
    ws.on('error', (e) => this.log.warn({ error: e.message }, 'ui client socket error'));
  }

  async close(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
