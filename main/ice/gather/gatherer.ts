import type { TransportAddress } from '../../common/address';
import { familyOf, formatAddress, sameAddress } from '../../common/address';
import type { Clock } from '../../common/clock';
import { MediapathError, toErrorInfo, type ErrorInfo } from '../../common/errors';
import type { RandomSource } from '../../common/random';
import type { CompatProfile } from '../../compat/profile';
import type { Net, StreamServer, TlsOptions } from '../../net/types';
import { Attr, Method, addressAttribute, type RetransmitConfig } from '../../stun';
import { TurnAllocation, type TurnCredentials } from '../../turn';
import { BaseSocket } from '../base-socket';
import { toCandidateView, type Candidate, type CandidateView, type RelayProtocol } from '../candidate';
import { makeLocalCandidate } from '../candidate-factory';
import type { FoundationRegistry } from '../foundation';
import { rankLocalAddresses } from '../address-order';
import { selectInterfaces, type InterfaceFilter } from './interfaces';

/** RFC 6544 §4.5: an active TCP candidate is written with the discard port; it never listens. */
export const TCP_ACTIVE_PORT = 9;

export interface StunServerConfig {
  readonly address: TransportAddress;
}

export interface RelayServerConfig {
  readonly address: TransportAddress;
  /** Tried in this order, as a Lync client does: UDP first, then TCP (or TLS). */
  readonly transports: readonly RelayProtocol[];
  readonly credentials: TurnCredentials;
  readonly tls?: TlsOptions;
}

export interface GatherOptions {
  readonly net: Net;
  readonly clock: Clock;
  readonly profile: CompatProfile;
  readonly foundations: FoundationRegistry;
  /** [1] with rtcp-mux, [1, 2] without. */
  readonly components: readonly number[];
  readonly interfaces?: InterfaceFilter;
  /** Host UDP candidates (and the srflx learnt through them). Default true. */
  readonly udp?: boolean;
  /** Host TCP candidates (RFC 6544 §5.1): a passive (listening) and an active one per address and component. Default false. */
  readonly tcp?: boolean;
  readonly stunServers?: readonly StunServerConfig[];
  readonly relays?: readonly RelayServerConfig[];
  /** Ask each relay for our reflexive address too (a TURN server answers Binding). Default true. */
  readonly reflexiveFromRelays?: boolean;
  readonly retransmit?: Partial<RetransmitConfig>;
  /** Retransmission for requests sent from candidate bases (reflexive Binding, and later checks). */
  readonly baseRetransmit?: Partial<RetransmitConfig>;
  readonly connectTimeoutMs?: number;
  readonly random?: RandomSource;
  readonly onEvent?: (e: GatherEvent) => void;
}

export type GatherStepKind = 'host' | 'srflx' | 'relay';

export interface GatherStep {
  readonly kind: GatherStepKind;
  readonly server?: string;
  readonly protocol?: RelayProtocol;
  readonly component: number;
  readonly base?: string;
  readonly state: 'gathered' | 'failed';
  readonly ms: number;
  readonly reason?: string;
  readonly error?: ErrorInfo;
}

export type GatherEvent =
  | { readonly type: 'candidate.gathered'; readonly at: number; readonly candidate: CandidateView }
  | { readonly type: 'gather.step'; readonly at: number; readonly step: GatherStep }
  | { readonly type: 'gather.done'; readonly at: number; readonly summary: GatherSummary };

export interface GatherSummary {
  readonly candidates: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly ms: number;
}

export interface GatherResult {
  readonly candidates: Candidate[];
  /** The socket behind each local candidate id that owns one (host UDP and relay candidates). */
  readonly bases: Map<string, BaseSocket>;
  /**
   * The listening socket behind each passive TCP host candidate id. An active TCP candidate has
   * none: its connections are opened per pair when the pair is checked (RFC 6544 §7.1).
   */
  readonly listeners: Map<string, StreamServer>;
  readonly steps: GatherStep[];
  readonly summary: GatherSummary;
}

/**
 * Gathering (RFC 8445 §5.1.1) in parallel and bounded: host candidates first, then for every
 * host socket a Binding to each STUN server, and for every relay an allocation over each of its
 * transports in order. Each server and transport ends as gathered or failed with its reason and
 * time; a dead or slow one never holds up the others, because each runs on its own promise with
 * its own retransmission bound.
 */
export async function gatherCandidates(o: GatherOptions): Promise<GatherResult> {
  const t0 = o.clock.now();
  const candidates: Candidate[] = [];
  const bases = new Map<string, BaseSocket>();
  const listeners = new Map<string, StreamServer>();
  const steps: GatherStep[] = [];
  const emit = (e: GatherEvent): void => o.onEvent?.(e);
  const add = (c: Candidate, base?: BaseSocket): void => {
    if (candidates.some((x) => x.id === c.id)) return;
    candidates.push(c);
    if (base) bases.set(c.id, base);
    emit({ type: 'candidate.gathered', at: o.clock.now(), candidate: toCandidateView(c) });
  };
  const step = (s: GatherStep): void => {
    steps.push(s);
    emit({ type: 'gather.step', at: o.clock.now(), step: s });
  };
  const baseRetransmit = o.baseRetransmit ?? o.retransmit;
  const baseOpts = { ...(baseRetransmit ? { retransmit: baseRetransmit } : {}), ...(o.random ? { random: o.random } : {}) };

  // Host candidates: one UDP socket per usable address and component.
  const ranked = rankLocalAddresses(selectInterfaces(o.net.interfaces(), o.interfaces).map((i) => ({ ip: i.address, interfaceName: i.name })));
  const hosts: Array<{ candidate: Candidate; base: BaseSocket }> = [];
  for (const addr of ranked) {
    for (const component of o.udp === false ? [] : o.components) {
      const started = o.clock.now();
      try {
        const sock = await o.net.bindUdp({ ip: addr.ip, port: 0 });
        const base = new BaseSocket(sock, o.clock, baseOpts);
        const c = makeLocalCandidate(o.profile, o.foundations, {
          type: 'host',
          component,
          transport: 'udp',
          address: sock.local,
          index: addr.rank,
          ...(addr.interfaceName ? { interfaceName: addr.interfaceName } : {}),
        });
        hosts.push({ candidate: c, base });
        add(c, base);
      } catch (e) {
        step({ kind: 'host', component, base: addr.ip, state: 'failed', ms: o.clock.now() - started, reason: toErrorInfo(e).message, error: toErrorInfo(e) });
      }
    }
  }

  // Host TCP candidates (RFC 6544 §5.1): a listening socket for the passive one; the active one
  // gets its connections later, so it is an address with the discard port (RFC 6544 §4.5).
  for (const addr of o.tcp ? ranked : []) {
    for (const component of o.components) {
      const started = o.clock.now();
      const common = { type: 'host' as const, component, transport: 'tcp' as const, index: addr.rank, ...(addr.interfaceName ? { interfaceName: addr.interfaceName } : {}) };
      try {
        const server = await o.net.listenTcp({ ip: addr.ip, port: 0 });
        const c = makeLocalCandidate(o.profile, o.foundations, { ...common, tcpType: 'passive', address: server.local });
        listeners.set(c.id, server);
        add(c);
      } catch (e) {
        step({ kind: 'host', protocol: 'tcp', component, base: addr.ip, state: 'failed', ms: o.clock.now() - started, reason: toErrorInfo(e).message, error: toErrorInfo(e) });
      }
      add(makeLocalCandidate(o.profile, o.foundations, { ...common, tcpType: 'active', address: { ip: addr.ip, port: TCP_ACTIVE_PORT } }));
    }
  }

  const reflexiveTargets: Array<{ address: TransportAddress; label: string }> = [
    ...(o.stunServers ?? []).map((s) => ({ address: s.address, label: 'stun' })),
    ...((o.reflexiveFromRelays ?? true) ? (o.relays ?? []).filter((r) => r.transports.includes('udp')).map((r) => ({ address: r.address, label: 'turn' })) : []),
  ];

  const srflxJobs = hosts.flatMap((h) =>
    reflexiveTargets
      .filter((t) => familyOf(t.address.ip) === familyOf(h.candidate.address.ip))
      .map(async (t) => {
        const started = o.clock.now();
        const label = `${t.label} ${formatAddress(t.address)}`;
        try {
          const res = await h.base.stun.request(Method.Binding, [], t.address, { fingerprint: true });
          const mapped = addressAttribute(res.message, Attr.XOR_MAPPED_ADDRESS) ?? addressAttribute(res.message, Attr.MAPPED_ADDRESS);
          if (res.message.cls !== 'success' || !mapped) throw new MediapathError('STUN_ERROR_RESPONSE', `Binding to ${label} got no mapped address`, { layer: 'ice', peer: t.address });
          step({ kind: 'srflx', server: label, component: h.candidate.component, base: formatAddress(h.candidate.address), state: 'gathered', ms: o.clock.now() - started });
          // A reflexive address equal to the base is not a new candidate (RFC 8445 §5.1.3).
          if (sameAddress(mapped, h.candidate.address)) return;
          add(
            makeLocalCandidate(o.profile, o.foundations, {
              type: 'srflx',
              component: h.candidate.component,
              transport: 'udp',
              address: mapped,
              base: h.candidate.address,
              server: { address: t.address, protocol: 'udp' },
              ...(h.candidate.interfaceName ? { interfaceName: h.candidate.interfaceName } : {}),
            }),
          );
        } catch (e) {
          step({ kind: 'srflx', server: label, component: h.candidate.component, base: formatAddress(h.candidate.address), state: 'failed', ms: o.clock.now() - started, reason: toErrorInfo(e).message, error: toErrorInfo(e) });
        }
      }),
  );

  // With interfaces chosen explicitly, the relay allocations leave from the best of them too:
  // otherwise the OS picks the source, and the relay's traffic (and the relay candidate's
  // related address) could use an interface the user left out. Without a choice, the OS routing
  // table is the better judge of which interface reaches the relay.
  const relaySource = (relay: RelayServerConfig): string | undefined =>
    o.interfaces?.include?.length ? ranked.find((a) => familyOf(a.ip) === familyOf(relay.address.ip))?.ip : undefined;

  const relayJobs = (o.relays ?? []).flatMap((relay, relayIndex) =>
    o.components.map(async (component) => {
      const localIp = relaySource(relay);
      for (const protocol of relay.transports) {
        const started = o.clock.now();
        const label = `turn ${formatAddress(relay.address)}`;
        try {
          const alloc = await TurnAllocation.allocate({
            net: o.net,
            clock: o.clock,
            server: { address: relay.address, transport: protocol, ...(relay.tls ? { tls: relay.tls } : {}) },
            credentials: relay.credentials,
            ...(o.retransmit ? { retransmit: o.retransmit } : {}),
            ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
            ...(o.random ? { random: o.random } : {}),
            ...(localIp ? { localIp } : {}),
          });
          const base = new BaseSocket(alloc, o.clock, baseOpts);
          add(
            makeLocalCandidate(o.profile, o.foundations, {
              type: 'relay',
              component,
              transport: 'udp',
              address: alloc.local,
              ...(alloc.reflexive ? { related: alloc.reflexive } : {}),
              server: { address: relay.address, protocol },
              index: relayIndex,
            }),
            base,
          );
          step({ kind: 'relay', server: label, protocol, component, state: 'gathered', ms: o.clock.now() - started });
        } catch (e) {
          step({ kind: 'relay', server: label, protocol, component, state: 'failed', ms: o.clock.now() - started, reason: toErrorInfo(e).message, error: toErrorInfo(e) });
        }
      }
    }),
  );

  await Promise.all([...srflxJobs, ...relayJobs]);

  const byType: Record<string, number> = {};
  for (const c of candidates) byType[c.type] = (byType[c.type] ?? 0) + 1;
  const summary: GatherSummary = { candidates: candidates.length, byType, failed: steps.filter((s) => s.state === 'failed').length, ms: o.clock.now() - t0 };
  emit({ type: 'gather.done', at: o.clock.now(), summary });
  return { candidates, bases, listeners, steps, summary };
}
