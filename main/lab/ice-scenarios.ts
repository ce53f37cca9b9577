import type { TransportAddress } from '../common/address';
import { FakeClock } from '../common/clock';
import { MediapathError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { SeededRandom } from '../common/random';
import { lyncIce2Profile, rfc8445Profile } from '../compat';
import { IceAgent, type IceEvent, type IceStrategy, type PathChangeReason } from '../ice/agent';
import { toCandidateView, type Candidate, type CandidateView } from '../ice/candidate';
import { remoteInputOf, type RemoteCandidateInput } from '../ice/candidate-factory';
import type { PairView } from '../ice/pair';
import { pathKind as pathKindOfPair, pathLabel, type PathKind } from '../ice/selected-path';
import { VirtualNetwork, firewallPresets, type ImpairmentSpec, type VirtualHost, type NatPreset } from '../net/virtual';
import { longTermCredentials } from '../turn';
import { startLabTurnServer, type LabTurnServer } from './turn-server';

/**
 * The field's call scenarios (PROTOCOLS.md §7) on the virtual network: two agents, a lab TURN
 * server on the internet, NATs and firewalls per scenario, everything on a FakeClock with a seeded
 * random source, so a run takes milliseconds and repeats exactly for a seed.
 */
export const ICE_SCENARIOS = ['inside-inside', 'inside-outside', 'outside-outside', 'symmetric', 'udp-blocked', 'promotion', 'consent-loss'] as const;
export type IceScenarioName = (typeof ICE_SCENARIOS)[number];

export type { PathKind };

export interface ExpectedPath {
  readonly path: PathKind;
  /** For a path through our own relay: how we reach the relay server. */
  readonly relayProtocol?: 'udp' | 'tcp';
  /** Strategies the scenario applies to (RFC 8445 has no promotion; its consent loss needs an ICE restart). */
  readonly strategies: readonly IceStrategy[];
}

/** What a Lync client ends on, per scenario (PROTOCOLS.md §7). */
export const EXPECTED_PATH: Readonly<Record<IceScenarioName, ExpectedPath>> = {
  'inside-inside': { path: 'host', strategies: ['lync', 'rfc8445'] },
  'inside-outside': { path: 'srflx', strategies: ['lync', 'rfc8445'] },
  'outside-outside': { path: 'srflx', strategies: ['lync', 'rfc8445'] },
  symmetric: { path: 'relay', relayProtocol: 'udp', strategies: ['lync', 'rfc8445'] },
  'udp-blocked': { path: 'relay', relayProtocol: 'tcp', strategies: ['lync', 'rfc8445'] },
  promotion: { path: 'host', strategies: ['lync', 'rfc8445'] },
  'consent-loss': { path: 'relay', strategies: ['lync'] },
};

export function pathKind(local: { type: string }, remote: { type: string }): PathKind {
  return pathKindOfPair({ local, remote });
}

export interface IceScenarioOptions {
  readonly strategy?: IceStrategy;
  readonly seed?: number;
  /** One-way delay on every site's uplink and the TURN server's link (ms). */
  readonly linkDelayMs?: number;
  /** One-way delay on each phone's own link (so even a LAN path has a round trip). */
  readonly hostLinkDelayMs?: number;
  /** Virtual time to run after checks start (ms). */
  readonly durationMs?: number;
  readonly onEvent?: (side: 'caller' | 'callee', e: IceEvent) => void;
  /** Called once checks have started: lets a caller put traffic on the agents' data path. */
  readonly onStarted?: (ctx: { caller: IceAgent; callee: IceAgent; clock: FakeClock }) => void;
  /** Nomination style of the controlling agent (default regular). */
  readonly nomination?: 'regular' | 'aggressive';
  /** Stop the lab TURN server this long after checks start: relays die mid-call. */
  readonly failRelayAfterMs?: number;
  /**
   * Extra rules on a phone's own link, ahead of the scenario's (first match wins), for the whole
   * run: degrades one path on purpose (e.g. `{ match: { peer: '10.1.0.11' }, loss: 0.2 }` on the
   * callee hits only the direct LAN path of the one-site scenarios).
   */
  readonly impair?: { readonly caller?: readonly ImpairmentSpec[]; readonly callee?: readonly ImpairmentSpec[] };
  /** Ends the run before `durationMs` once this returns true (asked after every step of virtual time). */
  readonly until?: () => boolean;
}

export interface CandidateSummary {
  readonly type: string;
  readonly transport: string;
  readonly address: string;
  readonly port: number;
  readonly relayProtocol?: string;
}

export interface IceScenarioResult {
  readonly scenario: IceScenarioName;
  readonly strategy: IceStrategy;
  readonly seed: number;
  readonly ok: boolean;
  readonly expected: ExpectedPath;
  readonly applicable: boolean;
  readonly selected: { local: CandidateSummary; remote: CandidateSummary; path: PathKind } | null;
  readonly pathChanges: Array<{ at: number; from: string | null; to: string | null; reason: PathChangeReason }>;
  readonly checks: Record<string, number>;
  readonly candidates: { local: CandidateSummary[]; remote: CandidateSummary[] };
  /** Virtual ms from the start of checks to the first usable pair and to the final selected pair. */
  readonly timing: { firstUsableMs: number | null; finalMs: number | null; firstUsableRttMs: number | null; finalRttMs: number | null };
  readonly gather: Array<{ kind: string; server?: string; protocol?: string; state: string; reason?: string }>;
  /** After teardown: timers still pending on the scenario's clock and sockets still open (both 0). */
  readonly leftovers: { timers: number; openResources: number };
  readonly error?: ErrorInfo;
}

function summary(c: CandidateView): CandidateSummary {
  return { type: c.type, transport: c.transport, address: c.address, port: c.port, ...(c.relayProtocol ? { relayProtocol: c.relayProtocol } : {}) };
}

function pairLabel(p: PairView | undefined): string | null {
  return p ? pathLabel(p) : null;
}

function remoteOf(cands: readonly Candidate[]): RemoteCandidateInput[] {
  return cands.map(remoteInputOf);
}

interface World {
  readonly clock: FakeClock;
  readonly net: VirtualNetwork;
  readonly caller: VirtualHost;
  readonly callee: VirtualHost;
  readonly turn: LabTurnServer;
  /** Called once checks have started, at virtual time `t0`, to stage mid-run events. */
  readonly stage?: (t0: number) => void;
}

/** A NAT'd site: its LAN, the NAT's public address and behaviour, the phone on it. */
export interface SiteSpec {
  readonly lan: string;
  readonly cidr: string;
  readonly natIp: string;
  readonly nat: NatPreset;
  /** The phone's address on the site's LAN. */
  readonly host: string;
  readonly dropUdp?: boolean;
}

export const corp = (nat: NatPreset, extra: Partial<SiteSpec> = {}): SiteSpec => ({ lan: 'corp', cidr: '10.1.0.0/24', natIp: '198.51.100.1', nat, host: '10.1.0.11', ...extra });
export const home = (nat: NatPreset, extra: Partial<SiteSpec> = {}): SiteSpec => ({ lan: 'home', cidr: '192.168.1.0/24', natIp: '198.51.100.2', nat, host: '192.168.1.12', ...extra });

/** Builds a site on the virtual network: its LAN behind its NAT, the uplink delayed by `delay`. */
export function addSite(net: VirtualNetwork, s: SiteSpec, delay: number): void {
  net.addLan(s.lan, { cidr: s.cidr });
  net.addNat(`nat-${s.lan}`, {
    inside: s.lan,
    ip: s.natIp,
    nat: s.nat,
    ...(s.dropUdp ? { firewall: firewallPresets.dropUdp() } : {}),
    ...(delay > 0 ? { wan: { delayMs: delay } } : {}),
  });
}

/** Scenarios with the caller and the callee on two sites, each behind its own NAT. */
export const TWO_SITES: Readonly<Record<Exclude<IceScenarioName, 'inside-inside' | 'promotion' | 'consent-loss'>, readonly [SiteSpec, SiteSpec]>> = {
  'inside-outside': [corp('port-restricted-cone'), home('port-restricted-cone')],
  'outside-outside': [home('port-restricted-cone', { lan: 'home-a', natIp: '198.51.100.1', host: '192.168.1.11' }), home('full-cone', { lan: 'home-b', cidr: '192.168.2.0/24', host: '192.168.2.12' })],
  symmetric: [corp('symmetric', { lan: 'corp-a' }), corp('symmetric', { lan: 'corp-b', cidr: '10.2.0.0/24', natIp: '198.51.100.2', host: '10.2.0.12' })],
  'udp-blocked': [corp('port-restricted-cone', { dropUdp: true }), home('full-cone')],
};

async function build(name: IceScenarioName, seed: number, delay: number, hostDelay: number, extra: IceScenarioOptions['impair'] = {}): Promise<World> {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const edge = net.addHost('edge', { ip: '203.0.113.10', ...(delay > 0 ? { link: { delayMs: delay } } : {}) });
  let caller: VirtualHost;
  let callee: VirtualHost;
  let stage: ((t0: number) => void) | undefined;
  // Rules on the callee's own link, first match wins; the plain phone-link delay comes last.
  const hostRule: ImpairmentSpec[] = hostDelay > 0 ? [{ delayMs: hostDelay }] : [];
  const callerExtra = extra.caller ?? [];
  const calleeExtra = extra.callee ?? [];
  const calleeRules: ImpairmentSpec[] = [];
  switch (name) {
    case 'inside-inside':
    case 'promotion':
    case 'consent-loss':
      addSite(net, corp('port-restricted-cone'), delay);
      caller = net.addHost('caller', { lan: 'corp', ip: '10.1.0.11' });
      callee = net.addHost('callee', { lan: 'corp', ip: '10.1.0.12' });
      if (name === 'promotion') {
        // The direct path answers its first checks late: the LAN hop between the two phones is
        // slow for the first 1.5 s, so the relay pair succeeds first and the host pair later.
        calleeRules.push({ match: { peer: '10.1.0.11' }, until: 1500, delayMs: 400 + hostDelay });
      }
      if (name === 'consent-loss') {
        // Mid-run, the direct LAN path between the phones is cut (both directions, from 3 s on).
        stage = (t0) => callee.link().impair([...calleeExtra, { match: { peer: '10.1.0.11' }, from: t0 + 3000, loss: 1 }, ...hostRule]);
      }
      break;
    default: {
      const [a, b] = TWO_SITES[name];
      for (const x of [a, b]) addSite(net, x, delay);
      caller = net.addHost('caller', { lan: a.lan, ip: a.host });
      callee = net.addHost('callee', { lan: b.lan, ip: b.host });
    }
  }
  if (callerExtra.length || hostRule.length) caller.link().impair([...callerExtra, ...hostRule]);
  if (calleeExtra.length || calleeRules.length || hostRule.length) callee.link().impair([...calleeExtra, ...calleeRules, ...hostRule]);
  const turn = await startLabTurnServer({
    net: edge,
    clock,
    listen: { ip: edge.address, udpPort: 3478, tcpPort: 443 },
    relayIp: edge.address,
    realm: 'lab.test',
    auth: { kind: 'long-term', users: { caller: 'callerpw', callee: 'calleepw' } },
  });
  return { clock, net, caller, callee, turn, ...(stage ? { stage } : {}) };
}

/** Advances fake time in small steps, letting promise continuations run between steps. */
async function advance(clock: FakeClock, ms: number, until?: () => boolean, stepMs = 5): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    for (let i = 0; i < 8; i++) await Promise.resolve();
    if (until?.()) return;
  }
}

async function settle<T>(clock: FakeClock, p: Promise<T>, limitMs: number): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  await advance(clock, limitMs, () => done);
  if (!done) throw new MediapathError('INTERNAL', `did not settle within ${limitMs} virtual ms`, { layer: 'lab' });
  return p;
}

function relayConfig(turn: LabTurnServer, user: 'caller' | 'callee') {
  const udp = turn.udp as TransportAddress;
  return [
    { address: udp, transports: ['udp'] as const, credentials: longTermCredentials(user, `${user}pw`) },
    { address: turn.tcp as TransportAddress, transports: ['tcp'] as const, credentials: longTermCredentials(user, `${user}pw`) },
  ].map((r) => ({ ...r, transports: [...r.transports] }));
}

export async function runIceScenario(name: IceScenarioName, opts: IceScenarioOptions = {}): Promise<IceScenarioResult> {
  if (!ICE_SCENARIOS.includes(name)) {
    throw new MediapathError('SCENARIO_INVALID', `unknown ICE scenario "${String(name)}"; known: ${ICE_SCENARIOS.join(', ')}`, { layer: 'lab' });
  }
  const strategy = opts.strategy ?? 'lync';
  const seed = opts.seed ?? 1;
  const delay = opts.linkDelayMs ?? 10;
  const duration = opts.durationMs ?? (name === 'consent-loss' ? 15_000 : name === 'promotion' ? 5000 : 4000);
  const world = await build(name, seed, delay, opts.hostLinkDelayMs ?? 0, opts.impair);
  const { clock } = world;
  const random = new SeededRandom(seed);
  const pathChanges: IceScenarioResult['pathChanges'] = [];
  let t0 = 0;
  let firstUsable: number | null = null;
  let final: number | null = null;
  let firstRtt: number | null = null;
  let finalRtt: number | null = null;
  const profile = strategy === 'lync' ? lyncIce2Profile : rfc8445Profile;
  const common = {
    clock,
    strategy,
    profile,
    consentIntervalMs: 1000,
    consentTimeoutMs: 4000,
    nominationDelayMs: 2500,
    ...(opts.nomination ? { nomination: opts.nomination } : {}),
    gatherRetransmit: { rtoMs: 100, rc: 4, rm: 8, reliableTimeoutMs: 3000 },
    connectTimeoutMs: 3000,
  };
  const caller = new IceAgent({
    ...common,
    net: world.caller,
    random: random.fork(),
    role: 'controlling',
    relays: relayConfig(world.turn, 'caller'),
    onEvent: (e) => {
      opts.onEvent?.('caller', e);
      if (e.type === 'path.changed' && e.component === 1) {
        pathChanges.push({ at: Math.round(e.at - t0), from: pairLabel(e.from), to: pairLabel(e.to), reason: e.reason });
        if (firstUsable === null && e.to) {
          firstUsable = Math.round(e.at - t0);
          firstRtt = e.to.lastRtt ?? null;
        }
        final = Math.round(e.at - t0);
        finalRtt = e.to?.lastRtt ?? null;
      }
    },
  });
  const callee = new IceAgent({ ...common, net: world.callee, random: random.fork(), role: 'controlled', relays: relayConfig(world.turn, 'callee'), onEvent: (e) => opts.onEvent?.('callee', e) });
  let error: ErrorInfo | undefined;
  let gatherSteps: IceScenarioResult['gather'] = [];
  try {
    const [g] = await settle(clock, Promise.all([caller.gather(), callee.gather()]), 30_000);
    gatherSteps = g.steps.map((s) => ({ kind: s.kind, ...(s.server ? { server: s.server } : {}), ...(s.protocol ? { protocol: s.protocol } : {}), state: s.state, ...(s.reason ? { reason: s.reason } : {}) }));
    caller.setRemote({ ufrag: callee.local.ufrag, pwd: callee.local.pwd, candidates: remoteOf(callee.localCandidates) });
    callee.setRemote({ ufrag: caller.local.ufrag, pwd: caller.local.pwd, candidates: remoteOf(caller.localCandidates) });
    t0 = clock.now();
    world.stage?.(t0);
    if (opts.failRelayAfterMs !== undefined) clock.setTimeout(() => void world.turn.stop(), opts.failRelayAfterMs);
    caller.start();
    callee.start();
    opts.onStarted?.({ caller, callee, clock });
    await advance(clock, duration, opts.until);
  } catch (e) {
    error = toErrorInfo(e);
  }
  const sel = caller.selectedPair(1);
  const exp = EXPECTED_PATH[name];
  const selected = sel ? { local: summary(sel.view().local), remote: summary(sel.view().remote), path: pathKind(sel.local, sel.remote) } : null;
  const promoted = name !== 'promotion' || strategy !== 'lync' || pathChanges.some((c) => c.reason === 'higher-priority-succeeded');
  const consentLost = name !== 'consent-loss' || pathChanges.some((c) => c.reason === 'consent-lost');
  const matches =
    !!selected &&
    selected.path === exp.path &&
    (exp.relayProtocol === undefined || selected.local.type !== 'relay' || selected.local.relayProtocol === exp.relayProtocol) &&
    promoted &&
    consentLost;
  const result: Omit<IceScenarioResult, 'leftovers'> = {
    scenario: name,
    strategy,
    seed,
    ok: !error && matches,
    expected: exp,
    applicable: exp.strategies.includes(strategy),
    selected,
    pathChanges,
    checks: caller.countChecksByState(),
    candidates: {
      local: caller.localCandidates.map((c) => summary(toCandidateView(c))),
      remote: caller.remoteCandidates.map((c) => summary(toCandidateView(c))),
    },
    timing: { firstUsableMs: firstUsable, finalMs: final, firstUsableRttMs: firstRtt, finalRttMs: finalRtt },
    gather: gatherSteps,
    ...(error ? { error } : {}),
  };
  // Closing deallocates the relays (a Refresh exchange): time must keep moving meanwhile.
  await settle(clock, Promise.all([caller.close(), callee.close()]), 10_000);
  await world.turn.stop();
  await world.net.close();
  return { ...result, leftovers: { timers: clock.pendingTimers(), openResources: world.net.openResources() } };
}
