import type { Disposable } from '../common/events';
import type { IceAgent } from './agent';
import type { CandidateView } from './candidate';
import type { PairView } from './pair';

/**
 * The agent's selected pair as a stream sees it: a datagram path that always sends on the pair
 * selected now, and the pair's path kind and label for per-path figures. Shared by the session's
 * calls and the lab's runs; shaped structurally so ice needs nothing from media.
 */
export type PathKind = 'host' | 'srflx' | 'relay';

/** Through a relay if either end is one, direct if both are hosts, else reflexive. */
export function pathKind(pair: { readonly local: { readonly type: string }; readonly remote: { readonly type: string } }): PathKind {
  if (pair.local.type === 'relay' || pair.remote.type === 'relay') return 'relay';
  if (pair.local.type === 'host' && pair.remote.type === 'host') return 'host';
  return 'srflx';
}

function side(c: CandidateView): string {
  const relay = c.type === 'relay' && c.relayProtocol ? `(${c.relayProtocol})` : '';
  return `${c.type}/${c.transport}${relay} ${c.address}:${c.port}`;
}

/** `relay/udp(tcp) 203.0.113.10:49152 → srflx/udp 198.51.100.2:49152`. */
export function pathLabel(p: PairView): string {
  return `${side(p.local)} → ${side(p.remote)}`;
}

export interface SelectedPathInfo {
  readonly id: string;
  readonly kind: PathKind;
  readonly label: string;
}

export function pathInfoOf(p: PairView | undefined): SelectedPathInfo | null {
  return p ? { id: p.id, kind: pathKind(p), label: pathLabel(p) } : null;
}

/**
 * One component as a datagram path: sends on whatever pair is selected now, hears every pair, and
 * says which pair (its id, as `pathInfoOf` gives it) a datagram arrived on when one matches — so
 * a receiver can file what the peer sent under the pair it travelled on.
 */
export function selectedPathOf(agent: IceAgent, component = 1): { send(bytes: Uint8Array): boolean; onDatagram(cb: (bytes: Uint8Array, via?: string) => void): Disposable } {
  return {
    send: (bytes) => agent.state !== 'closed' && agent.send(component, bytes),
    onDatagram: (cb) =>
      agent.onPairData((pair, c, bytes) => {
        if (c === component) cb(bytes, pair?.id);
      }),
  };
}

/** Whatever follows the path: every `path.changed` of `component` moves it to the new pair. */
export interface PathFollower {
  readonly currentPath?: { readonly id: string } | null | undefined;
  changePath(path: SelectedPathInfo | null, reason: string): void;
}

/** Moves `follower` onto the selected pair now (if any) and at every path change after. */
export function followSelectedPair(agent: IceAgent, follower: PathFollower, component = 1): Disposable {
  const current = agent.selectedPair(component);
  if (current && follower.currentPath?.id !== current.id) follower.changePath(pathInfoOf(current.view()), 'selected');
  return agent.onEvent((e) => {
    if (e.type === 'path.changed' && e.component === component) follower.changePath(pathInfoOf(e.to), e.reason);
  });
}
