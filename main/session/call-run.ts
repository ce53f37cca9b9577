import type { Clock } from '../common/clock';
import { type ErrorInfo, toErrorInfo } from '../common/errors';
import type { RandomSource } from '../common/random';
import type { IceStrategy } from '../ice/agent';
import type { CodecName } from '../media/codecs';
import type { JitterBufferConfig } from '../media/jitter-buffer';
import type { PacingScheduler } from '../media/stream';
import type { Net } from '../net/types';
import type { RetransmitConfig } from '../stun';
import { nextIncomingCall, IncomingCall } from './call-answer';
import type { Entry } from './call-events';
import { OutgoingCall } from './call';
import type { CallOutcome, CallTimings } from './call-session';
import { Endpoint, type EndpointReady } from './endpoint';
import type { OfferDialect } from './sdp-bridge';
import { Timeline, type AnyEvent } from './timeline';

/**
 * One call between two endpoints of this process (the lab's demo and field scenarios): both
 * register, provision and get MRAS credentials, the caller calls, the callee answers
 * automatically, media runs, the caller hangs up, both close. Each side has its own Timeline
 * (the caller's is the one a report judges). The network, the servers and time come from the
 * world (main/lab/call-lab.ts builds them; the session never imports the lab).
 */

export interface CallWorldPhone {
  readonly net: Net;
  readonly ip: string;
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly aor: string;
  readonly username: string;
  readonly password: string;
}

export interface CallWorld {
  readonly clock: Clock;
  readonly registrar: { readonly address: string; readonly udpPort: number; readonly tcpPort: number };
  readonly caller: CallWorldPhone;
  readonly callee: CallWorldPhone;
  readonly ice: { readonly allowLoopback?: boolean; readonly consentIntervalMs?: number; readonly consentTimeoutMs?: number; readonly nominationDelayMs?: number; readonly connectTimeoutMs?: number; readonly gatherRetransmit?: Partial<RetransmitConfig> };
  readonly mediaMs: number;
  onChecksStarted(at: number): void;
  /** Runs a promise to completion in this world's time (fake time moves on the virtual network). */
  run<T>(p: Promise<T>, limitMs?: number): Promise<T>;
}

export interface TwoPartyCallOptions {
  readonly strategy: IceStrategy;
  readonly dialect: OfferDialect;
  readonly codec: CodecName;
  readonly ptimeMs?: number;
  readonly random: { readonly caller: RandomSource; readonly callee: RandomSource };
  readonly toolVersion: string;
  readonly title: string;
  /** Whom the caller calls (default the callee's AOR). */
  readonly target?: string;
  readonly meta?: Readonly<Record<string, string | number | boolean>>;
  readonly timings?: Partial<CallTimings>;
  readonly jitterBuffer?: JitterBufferConfig;
  readonly scheduler?: PacingScheduler;
  /** Entries written right after `run.started` on both sides (the thresholds the run is judged by…). */
  readonly preamble?: readonly Entry[];
  /** Every entry of either side as it is appended (live progress). */
  readonly onEntry?: (side: 'caller' | 'callee', e: AnyEvent & { seq: number }) => void;
}

export interface CallSide {
  readonly timeline: Timeline;
  readonly ready?: EndpointReady;
  readonly outcome?: CallOutcome;
  readonly error?: ErrorInfo;
}

export interface TwoPartyCallResult {
  readonly caller: CallSide;
  readonly callee: CallSide;
}

function endpointFor(world: CallWorld, side: 'caller' | 'callee', timeline: Timeline, o: TwoPartyCallOptions): Endpoint {
  const p = world[side];
  return new Endpoint({
    net: p.net,
    clock: world.clock,
    random: o.random[side],
    sink: (e: Entry) => void timeline.append(e),
    account: { aor: p.aor, username: p.username, password: p.password },
    registrar: { address: world.registrar.address, port: p.transport === 'udp' ? world.registrar.udpPort : world.registrar.tcpPort },
    transport: p.transport,
    sipLocal: { ip: p.ip },
    registerExpires: 600,
    dialect: o.dialect,
    ice: (() => {
      const { allowLoopback, ...timers } = world.ice;
      return { strategy: o.strategy, interfaces: { allowLoopback: allowLoopback ?? false, families: [4] }, ...timers };
    })(),
    media: {
      codec: o.codec,
      ...(o.ptimeMs !== undefined ? { ptimeMs: o.ptimeMs } : {}),
      rtcpIntervalMs: 1000,
      // Both ends run in this process on one clock: one-way delay is measurable from the probes.
      delaySource: 'probe',
      ...(o.jitterBuffer ? { jitterBuffer: o.jitterBuffer } : {}),
      ...(o.scheduler ? { scheduler: o.scheduler } : {}),
    },
  });
}

/** Makes the call; never rejects (a side that failed says so in its CallSide and its Timeline). */
export async function runTwoPartyCall(world: CallWorld, o: TwoPartyCallOptions): Promise<TwoPartyCallResult> {
  const start = (side: 'caller' | 'callee'): Timeline => {
    const t = Timeline.start(world.clock, { toolVersion: o.toolVersion, meta: { ...o.meta, side, account: world[side].aor } });
    if (o.onEntry) t.subscribe((e) => o.onEntry!(side, e as AnyEvent & { seq: number }));
    t.append({ type: 'run.started', at: world.clock.now(), runId: `${o.title}:${side}`.slice(0, 128), title: `${o.title} (${side})`.slice(0, 256), source: 'lab', startedAt: world.clock.wallNow() });
    for (const e of o.preamble ?? []) t.append({ ...e, at: world.clock.now() });
    return t;
  };
  const tCaller = start('caller');
  const tCallee = start('callee');
  const caller = endpointFor(world, 'caller', tCaller, o);
  const callee = endpointFor(world, 'callee', tCallee, o);
  let checksSeen = false;
  tCaller.subscribe((e) => {
    if (!checksSeen && e.type === 'ice.state' && e['to'] === 'checking') {
      checksSeen = true;
      world.onChecksStarted(e.at);
    }
  });
  const timings: Partial<CallTimings> = { durationMs: world.mediaMs, ...o.timings };
  const result: { caller: Omit<CallSide, 'timeline'>; callee: Omit<CallSide, 'timeline'> } = { caller: {}, callee: {} };
  const work = async (): Promise<void> => {
    const [rc, re] = await Promise.allSettled([caller.start(), callee.start()]);
    if (rc.status === 'fulfilled') result.caller = { ready: rc.value };
    else result.caller = { error: toErrorInfo(rc.reason) };
    if (re.status === 'fulfilled') result.callee = { ready: re.value };
    else result.callee = { error: toErrorInfo(re.reason) };
    if (rc.status !== 'fulfilled' || re.status !== 'fulfilled') return;
    const incoming = nextIncomingCall(callee, (timings.answerTimeoutMs ?? 30_000) + 5000).then(async (sip) => {
      if (!sip) return undefined;
      return new IncomingCall(callee, sip, { ...timings, durationMs: undefined }).run();
    });
    const outgoing = new OutgoingCall(caller, { ...timings, target: o.target ?? world.callee.aor }).run();
    const [out, inc] = await Promise.all([outgoing, incoming]);
    result.caller = { ...result.caller, outcome: out };
    result.callee = { ...result.callee, ...(inc ? { outcome: inc } : { error: { code: 'SIP_TIMEOUT', message: 'no call arrived', layer: 'session' } }) };
  };
  try {
    await world.run(work());
  } catch (e) {
    const error = toErrorInfo(e);
    result.caller = { ...result.caller, error: result.caller.error ?? error };
  }
  await world.run(Promise.all([caller.close(), callee.close()]), 60_000).catch(() => undefined);
  for (const [t, side, name] of [
    [tCaller, result.caller, 'caller'],
    [tCallee, result.callee, 'callee'],
  ] as const) {
    const error = side.error ?? side.outcome?.error;
    t.append({ type: 'run.ended', at: world.clock.now(), runId: `${o.title}:${name}`.slice(0, 128), ok: !error && !!side.outcome?.ok, ...(error ? { error } : {}) });
  }
  return { caller: { timeline: tCaller, ...result.caller }, callee: { timeline: tCallee, ...result.callee } };
}
