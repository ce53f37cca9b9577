import { writeFileSync } from 'node:fs';
import type { RealClock } from '../../main/common/clock';
import { CryptoRandom } from '../../main/common/random';
import { lyncIce2Profile } from '../../main/compat';
import { IceAgent } from '../../main/ice/agent';
import { remoteInputOf } from '../../main/ice/candidate-factory';
import { MediaSession, type PacingScheduler } from '../../main/media/stream';
import type { NodeNet } from '../../main/net/node/node-net';
import { timelineSink } from '../../main/session/call-events';
import { followIcePath, iceMediaPath } from '../../main/session/call-media';
import { Endpoint } from '../../main/session/endpoint';
import type { Timeline } from '../../main/session/timeline';
import type { SippProcess } from './sipp';

/**
 * Our caller against a SIPp UAS (test/interop/session): SIPp plays registrar, provisioning and
 * the callee's signalling; an ICE agent and media stream of the test stand behind the SDP SIPp
 * answers with (SIPp does no ICE), their credentials and candidate handed to SIPp in an
 * injection file.
 */

/** Runs `body`; on failure the error carries SIPp's exit code and output. SIPp is stopped either way. */
export async function withSipp<T>(sipp: SippProcess, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    const r = await sipp.stop();
    if (e instanceof Error) e.message = `${e.message}\nsipp exit ${r.code}\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
    throw e;
  } finally {
    await sipp.stop();
  }
}

/** Hands the test the call's ICE agent: SIPp's media engine would learn its password from the SDP,
 * but the Timeline's copy of the INVITE has it redacted. */
export class CallerEndpoint extends Endpoint {
  agent: IceAgent | undefined;
  override createAgent(role: 'controlling' | 'controlled'): IceAgent {
    this.agent = super.createAgent(role);
    return this.agent;
  }
}

export function sippCaller(net: NodeNet, clock: RealClock, port: number, timeline: Timeline, dialect: 'v19' | 'multipart-draft6'): CallerEndpoint {
  return new CallerEndpoint({
    net,
    clock,
    random: new CryptoRandom(),
    sink: timelineSink(timeline),
    account: { aor: 'sip:alice@lab.test', password: 'alice-pw' },
    registrar: { address: '127.0.0.1', port },
    transport: 'udp',
    sipLocal: { ip: '127.0.0.1' },
    registerExpires: 600,
    dialect,
    ice: { strategy: 'lync', interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] } },
    media: { codec: 'PCMU', rtcpIntervalMs: 1000, delaySource: 'probe' },
  });
}

/** The far end's ICE agent and media behind SIPp's SDP. */
export interface FarEnd {
  readonly agent: IceAgent;
  readonly media: MediaSession;
  /** Writes the injection file SIPp reads (`ufrag;pwd;ip;port;` per line). */
  writeInjection(file: string, lines?: number): void;
  /** Starts checks and media once the caller's INVITE is out (`invite` matches the one to answer). */
  watch(timeline: Timeline, caller: CallerEndpoint, invite?: (text: string) => boolean): { readonly invites: string[] };
  close(): Promise<void>;
}

export async function farEnd(net: NodeNet, clock: RealClock, scheduler: PacingScheduler): Promise<FarEnd> {
  const agent = new IceAgent({ net, clock, random: new CryptoRandom(), profile: lyncIce2Profile, role: 'controlled', strategy: 'lync', interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] }, policy: 'host-only' });
  await agent.gather();
  const media = new MediaSession({ clock, random: new CryptoRandom(), scheduler, rtp: iceMediaPath(agent, 1), rtcpIntervalMs: 1000, delaySource: 'probe' });
  const follow = followIcePath(agent, media, 1);
  const disposers: Array<() => void> = [() => follow.dispose()];
  return {
    agent,
    media,
    writeInjection(file, lines = 4) {
      const c = agent.localCandidates[0]!;
      writeFileSync(file, `SEQUENTIAL\n${Array(lines).fill(`${agent.local.ufrag};${agent.local.pwd};${c.address.ip};${c.address.port};`).join('\n')}\n`);
    },
    watch(timeline, caller, invite = (t) => /^INVITE /.test(t)) {
      const invites: string[] = [];
      const sub = timeline.subscribe((e) => {
        const text = String(e['text']);
        if (e.type !== 'sip.sent' || !/^INVITE /.test(text)) return;
        invites.push(text);
        if (!invite(text) || agent.state !== 'gathered' || !caller.agent) return;
        // When the INVITE to answer leaves, the far agent learns the offer, as SIPp's media engine would.
        agent.setRemote({ ufrag: caller.agent.local.ufrag, pwd: caller.agent.local.pwd, candidates: caller.agent.localCandidates.map(remoteInputOf) });
        agent.start();
        media.start();
      });
      disposers.push(() => sub.dispose());
      return { invites };
    },
    async close() {
      for (const d of disposers.splice(0)) d();
      media.close();
      await agent.close();
    },
  };
}
