import { warmUpCallCode } from './warm-up';
import type { Account } from '../api';
import type { Clock } from '../common/clock';
import type { Disposable } from '../common/events';
import { createLogger, type Logger } from '../common/logger';
import { CryptoRandom } from '../common/random';
import { loopbackPhoneNet, startLoopbackLab, type LabCallWorld, type LoopbackLabOptions } from '../lab/call-lab';
import { NodeNet } from '../net/node/node-net';
import type { DatagramSocket, Net, StreamSocket, StreamServer } from '../net/types';
import { accountEndpoint } from '../session/account-endpoint';
import { IncomingCall } from '../session/call-answer';
import type { Endpoint } from '../session/endpoint';
import type { AccountEnvironment, LabAccounts } from './engine-session';

/**
 * The lab that `mediapath serve` (and the desktop app, when asked) runs in its own process: the
 * loopback world of `mediapath demo` (registrar with provisioning and MRAS, coturn or the lab
 * TURN server: main/lab/call-lab.ts startLoopbackLab), plus its far end `sip:bob@lab.test`
 * registered and answering every call automatically, and a ready-made account for alice that the
 * settings offer (never persisted) and whose password the engine knows. As in the demo, the
 * direct path alice → bob stays down for the first 1.5 s of each call's checks, so the relay works
 * first and the host path takes over: every lab call shows a promotion.
 */

export const LAB_ACCOUNT_ID = 'lab-alice';

export interface EmbeddedLab extends LabAccounts {
  /** alice's account as the settings offer it (registrar: the lab's real port, UDP). */
  readonly account: Account;
  readonly calleeAor: string;
  readonly turn: LabCallWorld['turn'];
  /**
   * The lab's clock: the engine runs its accounts on it too, so the one-way delay both ends read
   * from the probes (sent at on one side, arrived at on the other) shares one origin.
   */
  readonly clock: Clock;
  /** Plain sentences: what runs where. */
  readonly description: readonly string[];
  /** Calls bob has answered so far. */
  answered(): number;
  close(): Promise<void>;
}

export interface EmbeddedLabOptions extends Pick<LoopbackLabOptions, 'labTurn' | 'directPathDelayMs'> {
  readonly logger?: Logger;
  readonly toolVersion?: string;
}

/**
 * A Net whose sockets bound from now on get a fresh direct-path cut: bob's phone, re-armed at
 * each incoming call (loopbackPhoneNet arms its cut once, on the first datagram from alice).
 */
class RearmedPhoneNet implements Net {
  private current: Net;

  constructor(
    private readonly base: Net,
    private readonly clock: Clock,
    private readonly ip: string,
    private readonly cut: { readonly fromIp: string; readonly forMs: number } | undefined,
  ) {
    this.current = loopbackPhoneNet(base, clock, ip);
  }

  rearm(): void {
    this.current = loopbackPhoneNet(this.base, this.clock, this.ip, this.cut);
  }

  bindUdp(addr: Parameters<Net['bindUdp']>[0]): Promise<DatagramSocket> {
    return this.current.bindUdp(addr);
  }
  connectTcp(to: Parameters<Net['connectTcp']>[0], opts?: Parameters<Net['connectTcp']>[1]): Promise<StreamSocket> {
    return this.current.connectTcp(to, opts);
  }
  listenTcp(addr: Parameters<Net['listenTcp']>[0]): Promise<StreamServer> {
    return this.current.listenTcp(addr);
  }
  interfaces(): ReturnType<Net['interfaces']> {
    return this.current.interfaces();
  }
  resolve(host: string): Promise<string[]> {
    return this.current.resolve(host);
  }
}

export async function startEmbeddedLab(opts: EmbeddedLabOptions = {}): Promise<EmbeddedLab> {
  await warmUpCallCode();
  const log = opts.logger ?? createLogger('serve/embedded-lab');
  // The world's own callee has no cut: bob gets a re-armed one per call below.
  const world = await startLoopbackLab({ ...(opts.labTurn ? { labTurn: true } : {}), directPathDelayMs: 0, mediaMs: 0 });
  const forMs = opts.directPathDelayMs ?? 1500;
  const { caller, callee, clock } = world;
  const registrar = `${world.registrar.address}:${world.registrar.udpPort}`;
  const bobNet = new RearmedPhoneNet(new NodeNet(), clock, callee.ip, forMs > 0 ? { fromIp: caller.ip, forMs } : undefined);
  let bob: Endpoint | undefined;
  let sub: Disposable | undefined;
  const calls = new Set<Promise<unknown>>();
  let answered = 0;
  try {
    bob = accountEndpoint({
      net: bobNet,
      clock,
      random: new CryptoRandom(),
      // bob's own Timeline is not shown: the UI follows alice, the user's side.
      sink: () => undefined,
      account: { aor: callee.aor, username: callee.username, password: callee.password },
      registrar: { address: world.registrar.address, port: world.registrar.udpPort },
      transport: 'udp',
      sipLocal: { ip: callee.ip },
      allowLoopback: true,
      dialect: 'multipart-draft6',
      strategy: 'lync',
      media: { codec: 'PCMU', delaySource: 'probe' },
      registerExpires: 600,
    });
    await bob.start();
    const b = bob;
    sub = b.onIncomingCall((sip) => {
      answered++;
      bobNet.rearm();
      const p = new IncomingCall(b, sip, {}).run().catch((e: unknown) => log.warn({ error: (e as Error).message }, 'lab callee failed'));
      calls.add(p);
      void p.finally(() => calls.delete(p));
    });
  } catch (e) {
    await bob?.close();
    await world.close();
    throw e;
  }
  const account: Account = { id: LAB_ACCOUNT_ID, aor: caller.aor, registrar, transport: 'udp', username: caller.username, displayName: 'alice (embedded lab)' };
  const isLabAlice = (a: Account): boolean => a.id === LAB_ACCOUNT_ID || (a.aor.toLowerCase() === caller.aor && a.registrar === registrar);
  const env: AccountEnvironment = { net: caller.net, sipLocal: { ip: caller.ip }, allowLoopback: true, delaySource: 'probe', strategy: 'lync', dialect: 'multipart-draft6' };
  let closed = false;
  return {
    account,
    calleeAor: callee.aor,
    turn: world.turn,
    clock,
    description: [...world.description, `bob (${callee.aor}) registered on ${callee.ip}, answering every call`, `the direct path alice → bob is down for the first ${(forMs / 1000).toFixed(1)} s of each call's checks: relay first, then host`],
    // The lab's two users, when registering at the lab's registrar (bob too: a second page can be bob).
    passwordFor: (a) => (a.registrar !== registrar ? undefined : isLabAlice(a) ? caller.password : a.aor.toLowerCase() === callee.aor ? callee.password : undefined),
    environmentFor: (a) => (a.registrar === registrar ? env : undefined),
    answered: () => answered,
    close: async () => {
      if (closed) return;
      closed = true;
      sub?.dispose();
      await bob?.close();
      await Promise.allSettled([...calls]);
      await world.close();
    },
  };
}
