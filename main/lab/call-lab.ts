import { formatAddress, type TransportAddress } from '../common/address';
import { FakeClock, RealClock, type Clock } from '../common/clock';
import { MediapathError } from '../common/errors';
import type { Disposable } from '../common/events';
import { createLogger } from '../common/logger';
import { CryptoRandom, SeededRandom } from '../common/random';
import type { MediaRelay } from '../mras/types';
import { NodeNet } from '../net/node/node-net';
import type { DatagramSocket, Net, NetworkInterface } from '../net/types';
import { VirtualNetwork, type GroundTruth, type ImpairmentSpec, type VirtualHost } from '../net/virtual';
import { startCoturn } from './coturn';
import { addSite, corp, TWO_SITES as ICE_TWO_SITES, type SiteSpec } from './ice-scenarios';
import { startLabRegistrar, type LabRegistrar, type RegistrarKnobs } from './registrar';
import { startLabTurnServer, type LabTurnServer } from './turn-server';

const log = createLogger('lab/call-lab');

/**
 * The embedded lab for whole calls (`mediapath demo`): a registrar with provisioning and an MRAS
 * service that mints TURN REST credentials, a TURN server that accepts them, and two phones, either
 * on real loopback sockets (coturn when it is installed, else the lab TURN server) or on the
 * virtual network in one of the field's scenarios (PROTOCOLS.md §7). A world says what it is and
 * what a Lync client should end on there; the session (main/session/call-run.ts) makes the call.
 */

export const CALL_SCENARIOS = ['inside-inside', 'inside-outside', 'outside-outside', 'symmetric', 'udp-blocked', 'promotion', 'consent-loss', 'no-mras'] as const;
export type CallScenarioName = (typeof CALL_SCENARIOS)[number];

export type LabPathKind = 'host' | 'srflx' | 'relay';

/** What the field expects of a scenario, judged on the caller's report. */
export interface CallExpectation {
  /** The final path (null: no path at all). */
  readonly path: LabPathKind | null;
  /** For a relay path: how the caller reaches its relay. */
  readonly relayProtocol?: 'udp' | 'tcp';
  /** A path change with this reason must happen. */
  readonly pathChange?: 'higher-priority-succeeded' | 'consent-lost';
  /** The caller's diagnoses, by rule id, in rule order. */
  readonly diagnoses: readonly string[];
}

export interface LabPhone {
  readonly net: Net;
  /** The phone's own address (SIP and host candidates bind here). */
  readonly ip: string;
  readonly transport: 'udp' | 'tcp';
  readonly aor: string;
  readonly username: string;
  readonly password: string;
}

export interface LabCallWorld {
  readonly kind: 'loopback' | 'virtual';
  readonly scenario: CallScenarioName | 'demo';
  readonly clock: Clock;
  readonly seed: number;
  readonly registrar: { readonly address: string; readonly udpPort: number; readonly tcpPort: number };
  readonly caller: LabPhone;
  readonly callee: LabPhone;
  readonly turn: { readonly kind: 'coturn' | 'lab'; readonly server: string };
  /** Plain sentences: what this world is. */
  readonly description: readonly string[];
  readonly expected: CallExpectation;
  /** ICE timers suited to this world (the virtual scenarios shorten consent, as lab ICE does). */
  readonly ice: { readonly allowLoopback?: boolean; readonly consentIntervalMs?: number; readonly consentTimeoutMs?: number; readonly nominationDelayMs?: number; readonly connectTimeoutMs?: number; readonly gatherRetransmit?: { rtoMs: number; rc: number; rm: number; reliableTimeoutMs: number } };
  /** How long media should run after the answer to show what the scenario is about. */
  readonly mediaMs: number;
  /** Called when the caller's checks start (virtual time t0): stages mid-call events. */
  onChecksStarted(at: number): void;
  /** Runs `p` to completion: on the virtual network, moving fake time while it runs. */
  run<T>(p: Promise<T>, limitMs?: number): Promise<T>;
  /** What the virtual network did with every packet (virtual worlds only): the tests' ground truth. */
  readonly truth?: GroundTruth;
  /** Leftovers after close (timers on a fake clock, sockets of the virtual network). */
  leftovers(): { readonly timers: number; readonly openResources: number };
  close(): Promise<void>;
}

const DOMAIN = 'lab.test';
const SECRET = 'mediapath-lab-turn-secret';
const USERS = { alice: 'alice-lab-pw', bob: 'bob-lab-pw' } as const;

function phone(net: Net, ip: string, user: keyof typeof USERS, transport: 'udp' | 'tcp'): LabPhone {
  return { net, ip, transport, aor: `sip:${user}@${DOMAIN}`, username: user, password: USERS[user] };
}

function registrarOptions(net: Net, clock: Clock, ip: string, relay: MediaRelay, knobs: Partial<RegistrarKnobs>, random: SeededRandom | CryptoRandom, ports: { udpPort: number; tcpPort: number }) {
  return {
    net,
    clock,
    random,
    listen: { ip, ...ports },
    domain: DOMAIN,
    users: { ...USERS },
    digest: 'SHA-256' as const,
    authenticate: { invite: true },
    mras: { enabled: true, relays: [relay], turnSecret: SECRET },
    provisioning: { minAudioPort: 50000, maxAudioPort: 50039 },
    knobs,
  };
}

// ---- loopback ----------------------------------------------------------------------------------

/**
 * A phone on its own loopback address (127.0.0.2, 127.0.0.3…): the engine sees one interface with
 * that address, so its host candidates and SIP socket bind there. `cut` makes datagrams from
 * `fromIp` vanish for `forMs` after the first one arrives: the direct path between the phones
 * comes up late, as a congested LAN hop would, so the relay path works first and the host path
 * takes over later (a promotion on real sockets). A user-space impairment: no root, no netem.
 */
export function loopbackPhoneNet(base: Net, clock: Clock, ip: string, cut?: { readonly fromIp: string; readonly forMs: number }): Net & { readonly dropped: () => number } {
  let armedAt: number | undefined;
  let dropped = 0;
  const iface: NetworkInterface = { name: `lo:${ip}`, address: ip, family: 4, internal: true, cidr: `${ip}/8` };
  const blocked = (from: TransportAddress): boolean => {
    if (!cut || from.ip !== cut.fromIp) return false;
    armedAt ??= clock.now();
    if (clock.now() - armedAt < cut.forMs) {
      dropped++;
      return true;
    }
    return false;
  };
  const wrap = (s: DatagramSocket): DatagramSocket => ({
    get local() {
      return s.local;
    },
    get closed() {
      return s.closed;
    },
    send: (bytes, to) => s.send(bytes, to),
    onMessage: (cb): Disposable =>
      s.onMessage((bytes, from) => {
        if (!blocked(from)) cb(bytes, from);
      }),
    onError: (cb) => s.onError(cb),
    close: () => s.close(),
  });
  return {
    bindUdp: async (addr) => wrap(await base.bindUdp(addr)),
    connectTcp: (to, opts) => base.connectTcp(to, opts),
    listenTcp: (addr) => base.listenTcp(addr),
    interfaces: () => [iface],
    resolve: (host) => base.resolve(host),
    dropped: () => dropped,
  };
}

export interface LoopbackLabOptions {
  /** Use the lab TURN server even when coturn is installed. */
  readonly labTurn?: boolean;
  /** How long the direct path between the phones stays down after its first packet (default 1500 ms). */
  readonly directPathDelayMs?: number;
  readonly mediaMs?: number;
}

/** The demo's world: real sockets on loopback, real clock, coturn (or the lab TURN server). */
export async function startLoopbackLab(opts: LoopbackLabOptions = {}): Promise<LabCallWorld> {
  const clock = new RealClock();
  const node = new NodeNet();
  const ip = '127.0.0.1';
  const closers: Array<() => Promise<void>> = [];
  try {
    let turn: LabCallWorld['turn'];
    let relay: MediaRelay;
    let turnNote: string;
    let coturnError: string | undefined;
    if (!opts.labTurn) {
      try {
        const c = await startCoturn({ ip, realm: DOMAIN, auth: { kind: 'shared-secret', secret: SECRET } });
        closers.push(() => c.stop());
        turn = { kind: 'coturn', server: formatAddress(c.udp) };
        relay = { location: 'internet', hostName: `edge.${DOMAIN}`, directIPAddress: ip, udpPort: c.udp.port, tcpPort: c.tcp.port };
        turnNote = `coturn (pid ${c.pid}) on ${formatAddress(c.udp)} UDP and TCP, REST credentials from a shared secret`;
      } catch (e) {
        coturnError = e instanceof Error ? e.message : String(e);
        log.info({ err: coturnError }, 'coturn unavailable: using the lab TURN server');
      }
    }
    if (!turn!) {
      const t = await startLabTurnServer({ net: node, clock, listen: { ip, udpPort: 0, tcpPort: 0 }, relayIp: ip, realm: DOMAIN, auth: { kind: 'shared-secret', secret: SECRET } });
      closers.push(() => t.stop());
      turn = { kind: 'lab', server: formatAddress(t.udp!) };
      relay = { location: 'internet', hostName: `edge.${DOMAIN}`, directIPAddress: ip, udpPort: t.udp!.port, tcpPort: t.tcp!.port };
      turnNote = `the lab TURN server on ${formatAddress(t.udp!)} UDP and ${formatAddress(t.tcp!)} TCP${coturnError ? ` (coturn: ${coturnError})` : ''}`;
    }
    const reg: LabRegistrar = await startLabRegistrar(registrarOptions(node, clock, ip, relay!, {}, new CryptoRandom(), { udpPort: 0, tcpPort: 0 }));
    closers.push(() => reg.stop());
    const forMs = opts.directPathDelayMs ?? 1500;
    const callerIp = '127.0.0.2';
    const calleeIp = '127.0.0.3';
    const calleeNet = loopbackPhoneNet(node, clock, calleeIp, forMs > 0 ? { fromIp: callerIp, forMs } : undefined);
    return {
      kind: 'loopback',
      scenario: 'demo',
      clock,
      seed: 0,
      registrar: { address: ip, udpPort: reg.udp!.port, tcpPort: reg.tcp!.port },
      caller: phone(loopbackPhoneNet(node, clock, callerIp), callerIp, 'alice', 'udp'),
      callee: phone(calleeNet, calleeIp, 'bob', 'udp'),
      turn: turn!,
      description: [
        `registrar, provisioning and MRAS for ${DOMAIN} on ${ip}:${reg.udp!.port} (UDP and TCP)`,
        `TURN: ${turnNote!}`,
        `alice on ${callerIp}, bob on ${calleeIp} (loopback)`,
        ...(forMs > 0 ? [`the direct path alice → bob is down for the first ${(forMs / 1000).toFixed(1)} s of checks, so the relay works first and the host path takes over (a promotion)`] : []),
      ],
      expected: { path: 'host', ...(forMs > 0 ? { pathChange: 'higher-priority-succeeded' as const } : {}), diagnoses: [] },
      ice: { allowLoopback: true },
      mediaMs: opts.mediaMs ?? 5000,
      onChecksStarted: () => undefined,
      run: (p) => p,
      leftovers: () => ({ timers: clock.pendingTimers(), openResources: node.openResources() }),
      close: async () => {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw e;
  }
}

// ---- the virtual network -----------------------------------------------------------------------

/** Two phones on two sites, each behind its own NAT (as main/lab/ice-scenarios.ts builds them). */
const TWO_SITES: Partial<Record<CallScenarioName, readonly [SiteSpec, SiteSpec]>> = {
  ...ICE_TWO_SITES,
  // No Edge deployed: two sites and no relay between them.
  'no-mras': ICE_TWO_SITES['inside-outside'],
};

/**
 * What a Lync client ends on in each scenario (PROTOCOLS.md §7) and what the diagnosis rules say
 * about the caller's side. The lab's relays are configured right, so only the path rules speak:
 * a reflexive final path is the SfB srflx trap; UDP blocked on the caller's site leaves its relay
 * reachable over TCP only; after consent loss the call falls back to a reflexive path towards the
 * callee's relay; without an mrasUri there is no relay and two sites get no path at all.
 */
export const CALL_EXPECTATIONS: Readonly<Record<CallScenarioName, CallExpectation>> = {
  'inside-inside': { path: 'host', diagnoses: [] },
  'inside-outside': { path: 'srflx', diagnoses: ['srflx-nominated'] },
  'outside-outside': { path: 'srflx', diagnoses: ['srflx-nominated'] },
  symmetric: { path: 'relay', relayProtocol: 'udp', diagnoses: [] },
  'udp-blocked': { path: 'relay', relayProtocol: 'tcp', diagnoses: ['relay-one-transport'] },
  promotion: { path: 'host', pathChange: 'higher-priority-succeeded', diagnoses: [] },
  'consent-loss': { path: 'relay', pathChange: 'consent-lost', diagnoses: ['srflx-nominated', 'path-unsettled'] },
  'no-mras': { path: null, diagnoses: ['no-mras-uri', 'no-pair-succeeded'] },
};

const SCENARIO_TEXT: Readonly<Record<CallScenarioName, string>> = {
  'inside-inside': 'both phones on one corporate LAN behind a port-restricted NAT',
  'inside-outside': 'caller on the corporate LAN, callee at home, each behind a port-restricted NAT',
  'outside-outside': 'two homes, behind a port-restricted and a full-cone NAT',
  symmetric: 'two corporate sites, each behind a symmetric NAT',
  'udp-blocked': "the caller's site drops all UDP (SIP and TURN over TCP); the callee at home behind a full-cone NAT",
  promotion: 'both phones on one LAN whose direct hop is down for the first 1.5 s of checks',
  'consent-loss': 'both phones on one LAN; the direct path between them is cut 3 s after checks start',
  'no-mras': 'caller on the corporate LAN, callee at home; provisioning names no MRAS service (no Edge)',
};


/** Advances fake time in small steps, letting the event loop settle between steps, until `p` settles. */
export async function driveFakeClock<T>(clock: FakeClock, p: Promise<T>, limitMs: number, stepMs = 5): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  for (let t = 0; !done && t < limitMs; t += stepMs) {
    clock.advance(stepMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!done) throw new MediapathError('INTERNAL', `did not finish within ${limitMs} virtual ms`, { layer: 'lab' });
  return p;
}

export interface VirtualLabOptions {
  readonly seed?: number;
  /** Failure knobs of the registrar's MRAS service and provisioning (an unreachable Edge…). */
  readonly registrarKnobs?: Partial<RegistrarKnobs>;
  /** One-way delay of each site's uplink and of the servers' links (ms). Default 10. */
  readonly linkDelayMs?: number;
  readonly mediaMs?: number;
}

/** A field scenario on the virtual network, in fake time, with SIP, MRAS, TURN and media. */
export async function startVirtualLab(name: CallScenarioName, opts: VirtualLabOptions = {}): Promise<LabCallWorld> {
  if (!CALL_SCENARIOS.includes(name)) {
    throw new MediapathError('SCENARIO_INVALID', `unknown call scenario "${String(name)}"; known: ${CALL_SCENARIOS.join(', ')}`, { layer: 'lab' });
  }
  const seed = opts.seed ?? 1;
  const delay = opts.linkDelayMs ?? 10;
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const link = delay > 0 ? { link: { delayMs: delay } } : {};
  const sipHost = net.addHost('sip', { ip: '203.0.113.5', ...link });
  const edge = net.addHost('edge', { ip: '203.0.113.10', ...link });
  let caller: VirtualHost;
  let callee: VirtualHost;
  let callerTransport: 'udp' | 'tcp' = 'udp';
  let stage: ((t0: number) => void) | undefined;
  const two = TWO_SITES[name];
  if (two) {
    const [a, b] = two;
    addSite(net, a, delay);
    addSite(net, b, delay);
    caller = net.addHost('caller', { lan: a.lan, ip: a.host });
    callee = net.addHost('callee', { lan: b.lan, ip: b.host });
    if (a.dropUdp) callerTransport = 'tcp';
  } else {
    addSite(net, corp('port-restricted-cone'), delay);
    caller = net.addHost('caller', { lan: 'corp', ip: '10.1.0.11' });
    callee = net.addHost('callee', { lan: 'corp', ip: '10.1.0.12' });
    const callerIp = '10.1.0.11';
    if (name === 'promotion') {
      // The direct LAN path drops everything for the first 1.5 s of checks: the relay pair works
      // first, the host pair later (its checks are retransmitted), and media moves to it.
      // It is down from the start (the callee's own checks begin before the caller's), and comes
      // up 1.5 s after the caller's checks start.
      const rules = (until?: number): ImpairmentSpec[] => [{ match: { peer: callerIp }, ...(until !== undefined ? { until } : {}), loss: 1 }];
      callee.link().impair(rules());
      stage = (t0) => callee.link().impair(rules(t0 + 1500));
    }
    if (name === 'consent-loss') {
      // Mid-call, the direct LAN path between the phones is cut (both directions, from 3 s on).
      const rules = (t0: number): ImpairmentSpec[] => [{ match: { peer: callerIp }, from: t0 + 3000, loss: 1 }];
      stage = (t0) => callee.link().impair(rules(t0));
    }
  }
  const random = new SeededRandom(seed ^ 0x5eed);
  const closers: Array<() => Promise<void>> = [];
  const turn: LabTurnServer = await startLabTurnServer({
    net: edge,
    clock,
    listen: { ip: edge.address, udpPort: 3478, tcpPort: 443 },
    relayIp: edge.address,
    realm: DOMAIN,
    auth: { kind: 'shared-secret', secret: SECRET },
  });
  closers.push(() => turn.stop());
  const relay: MediaRelay = { location: 'internet', hostName: `edge.${DOMAIN}`, directIPAddress: edge.address, udpPort: 3478, tcpPort: 443 };
  const reg = await startLabRegistrar(registrarOptions(sipHost, clock, sipHost.address, relay, { ...(name === 'no-mras' ? { noProvisioningMrasUri: true } : {}), ...opts.registrarKnobs }, random.fork(), { udpPort: 5060, tcpPort: 5060 }));
  closers.push(() => reg.stop());
  const run = <T>(p: Promise<T>, limitMs = 120_000): Promise<T> => driveFakeClock(clock, p, limitMs);
  return {
    kind: 'virtual',
    truth: net.truth,
    scenario: name,
    clock,
    seed,
    registrar: { address: sipHost.address, udpPort: 5060, tcpPort: 5060 },
    caller: phone(caller, caller.address, 'alice', callerTransport),
    callee: phone(callee, callee.address, 'bob', 'udp'),
    turn: { kind: 'lab', server: `${edge.address}:3478 (UDP), :443 (TCP)` },
    description: [
      `virtual network, seed ${seed}, ${delay} ms per uplink: ${SCENARIO_TEXT[name]}`,
      `registrar, provisioning and MRAS for ${DOMAIN} on ${sipHost.address}:5060${name === 'no-mras' ? ' (provisioning without mrasUri)' : ''}`,
      `the lab TURN server (Edge) on ${edge.address}: UDP 3478, TCP 443, REST credentials from MRAS`,
      `alice ${caller.address} (SIP over ${callerTransport.toUpperCase()}), bob ${callee.address}`,
    ],
    expected: CALL_EXPECTATIONS[name],
    ice: { consentIntervalMs: 1000, consentTimeoutMs: 4000, nominationDelayMs: 2500, connectTimeoutMs: 3000, gatherRetransmit: { rtoMs: 100, rc: 4, rm: 8, reliableTimeoutMs: 3000 } },
    mediaMs: opts.mediaMs ?? (name === 'consent-loss' ? 12_000 : 5000),
    onChecksStarted: (t0) => stage?.(t0),
    run,
    leftovers: () => ({ timers: clock.pendingTimers(), openResources: net.openResources() }),
    close: async () => {
      for (const c of closers.reverse()) await run(c().catch(() => undefined), 30_000).catch(() => undefined);
      await net.close();
    },
  };
}
