import type { TransportAddress } from '../../common/address';
import { formatAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import { StateMachine } from '../../common/fsm';
import { createLogger } from '../../common/logger';
import type { StreamServer, StreamSocket } from '../types';
import type { TcpKind, TcpSegment } from './packet';
import type { ScheduledEvent } from './scheduler';

/** What a TCP endpoint needs from its host. */
export interface TcpHost {
  readonly name: string;
  now(): number;
  after(ms: number, cb: () => void): ScheduledEvent;
  sendSegment(ep: TcpEndpoint, kind: TcpKind, seq: number, payload?: Uint8Array): void;
  /** Forget the endpoint (connection table, and its port when it owns one). */
  detach(ep: TcpEndpoint): void;
}

export type TcpState = 'syn-sent' | 'syn-received' | 'established' | 'closed';

const TCP_TRANSITIONS: Readonly<Record<TcpState, readonly TcpState[]>> = {
  'syn-sent': ['established', 'closed'],
  'syn-received': ['established', 'closed'],
  established: ['closed'],
  closed: [],
};

const log = createLogger('net/virtual/tcp');
const logListenerError = (e: unknown): void => log.warn({ err: e }, 'TCP listener threw');

// Segments that overtook a missing one wait here; a stalled direction (the missing one was
// dropped for good) would otherwise grow without bound.
const MAX_OUT_OF_ORDER = 4096;

interface StreamEvents {
  data: Uint8Array;
  close: MediapathError | undefined;
}

/**
 * One end of a virtual TCP connection. A reliable, ordered byte stream: each write is one
 * segment routed through links, NATs and firewalls like a datagram, numbered per direction and
 * delivered in that order (held back when a later one overtakes). The handshake is SYN, SYN-ACK,
 * ACK; a close sends FIN and closes this end at once (no half-close).
 */
export class TcpEndpoint implements StreamSocket {
  private readonly fsm: StateMachine<TcpState>;
  private readonly events = new TypedEmitter<StreamEvents>(logListenerError);
  private sendSeq = 0;
  private expected = 0;
  private readonly outOfOrder = new Map<number, { seg: TcpSegment; payload: Uint8Array }>();
  private connectTimer: ScheduledEvent | undefined;
  private pendingConnect: { resolve: (s: StreamSocket) => void; reject: (e: MediapathError) => void } | undefined;
  private closeError: MediapathError | undefined;
  /** Server side: the listener to tell once established. */
  private listener: VirtualStreamServer | undefined;

  constructor(
    private readonly host: TcpHost,
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
    readonly secure: boolean,
    readonly role: 'client' | 'server',
    /** Whether this endpoint holds its local port (clients do; accepted ones share the listener's). */
    readonly ownsPort: boolean,
  ) {
    this.fsm = new StateMachine<TcpState>(`tcp ${formatAddress(local)}→${formatAddress(remote)}`, role === 'client' ? 'syn-sent' : 'syn-received', TCP_TRANSITIONS, () => host.now(), undefined, 'net');
  }

  get state(): TcpState {
    return this.fsm.state;
  }

  get closed(): boolean {
    return this.fsm.state === 'closed';
  }

  write(bytes: Uint8Array): void {
    if (this.fsm.state !== 'established' || bytes.length === 0) return;
    this.host.sendSegment(this, 'data', this.sendSeq++, bytes.slice());
  }

  onData(cb: (bytes: Uint8Array) => void): Disposable {
    return this.events.on('data', cb);
  }

  onClose(cb: (error?: MediapathError) => void): Disposable {
    if (this.closed) {
      queueMicrotask(() => cb(this.closeError));
      return { dispose: () => undefined };
    }
    return this.events.on('close', cb);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.fsm.state === 'established') this.host.sendSegment(this, 'fin', this.sendSeq++);
    else this.host.sendSegment(this, 'rst', this.sendSeq);
    this.finish('closed locally', undefined);
    return Promise.resolve();
  }

  /** @internal client: sends SYN, resolves on SYN-ACK, rejects on RST or after `timeoutMs`. */
  connect(timeoutMs: number): Promise<StreamSocket> {
    return new Promise((resolve, reject) => {
      this.pendingConnect = { resolve, reject };
      this.connectTimer = this.host.after(timeoutMs, () => {
        this.connectTimer = undefined;
        // Tell the far end (if the SYN got there) that we gave up, as a kernel does on close().
        this.host.sendSegment(this, 'rst', this.sendSeq);
        this.failConnect(`no answer within ${timeoutMs} ms`);
      });
      this.host.sendSegment(this, 'syn', this.sendSeq++);
    });
  }

  /** @internal server: a SYN arrived for `listener`; answer with SYN-ACK. */
  accept(listener: VirtualStreamServer): void {
    this.listener = listener;
    this.expected = 1;
    listener.track(this);
    this.host.sendSegment(this, 'syn-ack', this.sendSeq++);
  }

  /** @internal a segment for this connection arrived (any order). */
  receive(seg: TcpSegment, payload: Uint8Array): void {
    if (this.closed) return;
    if (seg.kind === 'rst') {
      if (this.fsm.state === 'syn-sent') this.failConnect('connection refused (RST)');
      else this.finish('reset by peer', new MediapathError('NET_SOCKET_ERROR', `TCP ${formatAddress(this.remote)}: connection reset by peer`, { layer: 'net', peer: this.remote }));
      return;
    }
    if (seg.seq < this.expected) return;
    if (seg.seq > this.expected) {
      if (this.outOfOrder.size < MAX_OUT_OF_ORDER) this.outOfOrder.set(seg.seq, { seg, payload });
      return;
    }
    this.process(seg, payload);
    for (let next = this.outOfOrder.get(this.expected); next && !this.closed; next = this.outOfOrder.get(this.expected)) {
      this.outOfOrder.delete(this.expected);
      this.process(next.seg, next.payload);
    }
  }

  /** @internal the network is shutting down: close without sending anything. */
  abort(): void {
    if (this.pendingConnect) this.failConnect('the virtual network closed', 'CLOSED');
    else this.finish('network closed', undefined);
  }

  private process(seg: TcpSegment, payload: Uint8Array): void {
    this.expected++;
    switch (seg.kind) {
      case 'syn-ack':
        if (this.fsm.state !== 'syn-sent') return;
        this.fsm.transition('established', 'SYN-ACK received');
        this.host.sendSegment(this, 'ack', this.sendSeq++);
        this.connectTimer?.cancel();
        this.connectTimer = undefined;
        this.pendingConnect?.resolve(this);
        this.pendingConnect = undefined;
        return;
      case 'ack':
        if (this.fsm.state !== 'syn-received') return;
        this.fsm.transition('established', 'ACK received');
        this.listener?.established(this);
        return;
      case 'data':
        if (this.fsm.state === 'established') this.events.emit('data', payload);
        return;
      case 'fin':
        this.finish('FIN received', undefined);
        return;
      case 'syn':
      case 'rst':
        return;
    }
  }

  private failConnect(reason: string, code: 'NET_CONNECT_FAILED' | 'CLOSED' = 'NET_CONNECT_FAILED'): void {
    const p = this.pendingConnect;
    this.pendingConnect = undefined;
    const error = new MediapathError(code, `${this.secure ? 'TLS' : 'TCP'} connect to ${formatAddress(this.remote)}: ${reason}`, { layer: 'net', peer: this.remote });
    this.finish(reason, error);
    p?.reject(error);
  }

  private finish(reason: string, error: MediapathError | undefined): void {
    if (this.closed) return;
    this.fsm.transition('closed', reason);
    this.closeError = error;
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    this.outOfOrder.clear();
    this.host.detach(this);
    this.listener?.untrack(this);
    this.events.emit('close', error);
    this.events.removeAll();
  }
}

/** What a listener needs from its host. */
export interface TcpListenHost {
  releaseListener(server: VirtualStreamServer): void;
}

/** A listening TCP socket. Connections are announced once their handshake completes. */
export class VirtualStreamServer implements StreamServer {
  private readonly events = new TypedEmitter<{ connection: StreamSocket }>(logListenerError);
  private readonly conns = new Set<TcpEndpoint>();
  private isClosed = false;

  constructor(
    private readonly host: TcpListenHost,
    readonly local: TransportAddress,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  onConnection(cb: (socket: StreamSocket) => void): Disposable {
    return this.events.on('connection', cb);
  }

  /** Stops listening and closes the connections it accepted (as NodeStreamServer does). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.releaseListener(this);
    this.events.removeAll();
    await Promise.all([...this.conns].map((c) => c.close()));
  }

  /** @internal */
  track(ep: TcpEndpoint): void {
    this.conns.add(ep);
  }

  /** @internal */
  untrack(ep: TcpEndpoint): void {
    this.conns.delete(ep);
  }

  /** @internal */
  established(ep: TcpEndpoint): void {
    if (!this.isClosed) this.events.emit('connection', ep);
  }

  /** @internal the network is shutting down. */
  abort(): void {
    if (!this.isClosed) this.host.releaseListener(this);
    this.isClosed = true;
    this.events.removeAll();
    for (const c of [...this.conns]) c.abort();
  }
}
