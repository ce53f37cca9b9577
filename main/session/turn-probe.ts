import type { TransportAddress } from '../common/address';
import { formatAddress } from '../common/address';
import type { Clock, TimerHandle } from '../common/clock';
import { MediapathError, toErrorInfo, type ErrorInfo } from '../common/errors';
import type { DatagramSocket, Net } from '../net/types';
import type { RetransmitConfig } from '../stun';
import { TurnAllocation, type TurnCredentials, type TurnServer, type TurnTransportKind } from '../turn';

/**
 * A TURN check a network engineer can read (what coturn's turnutils_uclient does, explained):
 * allocate, show where the relay is and how each step went, bounce datagrams off an echo peer
 * through a permission and then through a channel, deallocate. Never throws: a failure is part of
 * the result, with whatever was measured before it.
 */
export interface TurnProbeOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly server: TurnServer;
  readonly credentials: TurnCredentials;
  /** Datagrams per echo mode. */
  readonly count?: number;
  readonly lifetimeSeconds?: number;
  readonly retransmit?: Partial<RetransmitConfig>;
  readonly connectTimeoutMs?: number;
  /** Local address for the client socket (and the built-in echo peer). */
  readonly localIp?: string;
  /** An external echo peer; by default one is started on the client's own address. */
  readonly echoPeer?: TransportAddress;
  /** How long to wait for each echoed datagram. */
  readonly echoTimeoutMs?: number;
}

export interface ProbeStep {
  readonly name: string;
  readonly ms: number;
  readonly outcome: string;
}

export interface EchoResult {
  readonly sent: number;
  readonly received: number;
  readonly rttMs: { readonly min: number; readonly avg: number; readonly max: number } | null;
}

export interface TurnProbeResult {
  readonly ok: boolean;
  readonly transport: TurnTransportKind;
  readonly server: TransportAddress;
  readonly relayed: TransportAddress | null;
  readonly reflexive: TransportAddress | null;
  readonly lifetime: number | null;
  readonly realm: string | null;
  readonly username: string;
  readonly steps: ProbeStep[];
  readonly echo: { readonly peer: TransportAddress | null; readonly indication: EchoResult; readonly channel: EchoResult & { readonly number: number | null } };
  readonly error?: ErrorInfo;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
const emptyEcho = (): EchoResult => ({ sent: 0, received: 0, rttMs: null });

/** Echoes every datagram back to its sender: the far end the relay talks to. */
async function startEchoPeer(net: Net, ip: string): Promise<DatagramSocket> {
  const sock = await net.bindUdp({ ip, port: 0 });
  sock.onMessage((bytes, from) => sock.send(bytes, from));
  return sock;
}

async function echoRound(alloc: TurnAllocation, peer: TransportAddress, count: number, clock: Clock, timeoutMs: number, tag: number): Promise<EchoResult> {
  const rtts: number[] = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(16 + (i % 4)); // odd sizes exercise ChannelData padding on streams
    payload[0] = tag;
    payload[1] = i;
    const sentAt = clock.now();
    const back = await new Promise<boolean>((resolve) => {
      let timer: TimerHandle | undefined = undefined;
      const d = alloc.onMessage((bytes, from) => {
        if (from.port === peer.port && bytes[0] === tag && bytes[1] === i) {
          d.dispose();
          clock.clearTimeout(timer);
          resolve(true);
        }
      });
      timer = clock.setTimeout(() => {
        d.dispose();
        resolve(false);
      }, timeoutMs);
      alloc.send(payload, peer);
    });
    if (back) rtts.push(clock.now() - sentAt);
  }
  return {
    sent: count,
    received: rtts.length,
    rttMs: rtts.length ? { min: round(Math.min(...rtts)), avg: round(rtts.reduce((a, b) => a + b, 0) / rtts.length), max: round(Math.max(...rtts)) } : null,
  };
}

export async function runTurnProbe(opts: TurnProbeOptions): Promise<TurnProbeResult> {
  const { clock } = opts;
  const count = opts.count ?? 5;
  const echoTimeoutMs = opts.echoTimeoutMs ?? 2000;
  const steps: ProbeStep[] = [];
  let alloc: TurnAllocation | undefined;
  let echoSock: DatagramSocket | undefined;
  let peer: TransportAddress | null = null;
  let indication = emptyEcho();
  let channel: EchoResult & { number: number | null } = { ...emptyEcho(), number: null };
  let error: ErrorInfo | undefined;
  let allocating = true;
  const startedAt = clock.now();

  const timed = async <T>(name: string, f: () => Promise<T>, outcome: (v: T) => string): Promise<T> => {
    const t0 = clock.now();
    try {
      const v = await f();
      steps.push({ name, ms: round(clock.now() - t0), outcome: outcome(v) });
      return v;
    } catch (e) {
      steps.push({ name, ms: round(clock.now() - t0), outcome: `failed: ${toErrorInfo(e).message}` });
      throw e;
    }
  };

  try {
    alloc = await TurnAllocation.allocate({
      net: opts.net,
      clock,
      server: opts.server,
      credentials: opts.credentials,
      ...(opts.lifetimeSeconds !== undefined ? { lifetimeSeconds: opts.lifetimeSeconds } : {}),
      ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      ...(opts.localIp !== undefined ? { localIp: opts.localIp } : {}),
      software: 'mediapath turn-probe',
      // Allocation steps arrive as events so that a failed allocate still shows its 401 and timing.
      observer: (e) => {
        if (e.type === 'step' && allocating) steps.push({ name: e.name, ms: round(e.ms), outcome: e.outcome });
      },
    });
    allocating = false;
    const a = alloc;

    if (opts.echoPeer) peer = opts.echoPeer;
    else {
      // The built-in peer must have an address the relay can send to: ours as the server saw it
      // when we bound a wildcard. Behind a NAT it is not reachable, hence --peer.
      const unspecified = a.base.ip === '0.0.0.0' || a.base.ip === '::';
      const ip = opts.localIp ?? (unspecified ? a.reflexive?.ip : a.base.ip);
      try {
        if (!ip) throw new Error('the server did not report our address');
        echoSock = await startEchoPeer(opts.net, ip);
      } catch (e) {
        throw new MediapathError('NET_BIND_FAILED', `cannot start the echo peer on ${ip ?? 'an unknown address'} (${(e as Error).message}); give an external one with --peer`, { layer: 'session' }, { cause: e });
      }
      peer = echoSock.local;
    }
    const p = peer;
    await timed('create-permission', () => a.createPermission([p]), () => `installed for ${p.ip}`);
    const t0 = clock.now();
    indication = await echoRound(a, p, count, clock, echoTimeoutMs, 0x11);
    steps.push({ name: 'echo-indication', ms: round(clock.now() - t0), outcome: `${indication.received}/${indication.sent} back` });
    const number = await timed('channel-bind', () => a.bindChannel(p), (n) => `channel 0x${n.toString(16)}`);
    const t1 = clock.now();
    channel = { ...(await echoRound(a, p, count, clock, echoTimeoutMs, 0x22)), number };
    steps.push({ name: 'echo-channel', ms: round(clock.now() - t1), outcome: `${channel.received}/${channel.sent} back` });
    await timed('deallocate', () => a.refresh(0), () => 'lifetime 0');
  } catch (e) {
    error = toErrorInfo(e);
    if (alloc === undefined && !error.response) {
      // Say which exchange never completed: the connection, or the (first or signed) Allocate.
      const connected = opts.server.transport === 'udp' || steps.some((s) => s.name === 'connect');
      const last = steps.at(-1);
      const name = !connected ? 'connect' : last?.outcome.startsWith('401') ? 'allocate-authenticated' : 'allocate';
      steps.push({ name, ms: round(clock.now() - startedAt - steps.reduce((n, s) => n + s.ms, 0)), outcome: `failed: ${error.code}` });
    }
  } finally {
    await alloc?.close().catch(() => undefined);
    await echoSock?.close();
  }

  const echoOk = indication.sent > 0 && indication.received === indication.sent && channel.received === channel.sent;
  if (!error && !echoOk && peer) {
    error = {
      code: 'TURN_TIMEOUT',
      message: `echo through the relay to ${formatAddress(peer)} came back ${indication.received}/${indication.sent} (indications) and ${channel.received}/${channel.sent} (channel)`,
      layer: 'turn',
    };
  }
  return {
    ok: !error,
    transport: opts.server.transport,
    server: opts.server.address,
    relayed: alloc && alloc.local.port !== 0 ? alloc.local : null,
    reflexive: alloc?.reflexive ?? null,
    lifetime: alloc ? alloc.lifetime : null,
    realm: alloc?.realm ?? null,
    username: opts.credentials.username,
    steps,
    echo: { peer, indication, channel },
    ...(error ? { error } : {}),
  };
}
