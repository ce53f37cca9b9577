import type { Disposable } from '../common/events';
import type { IceAgent } from '../ice/agent';
import type { CandidateView } from '../ice/candidate';
import type { PairView } from '../ice/pair';
import type { DatagramPath, MediaSession, PathInfo } from '../media/stream';

/**
 * Media over ICE: an agent's component as a DatagramPath (it sends on whatever pair is selected
 * at the moment, so the stream follows every path change by itself), and the adapter that turns
 * the agent's `path.changed` events into the session's epochs.
 */

/** One ICE component as a media path; `send` is false while the component has no selected pair. */
export function icePath(agent: IceAgent, component: number): DatagramPath {
  return {
    send: (bytes) => agent.state !== 'closed' && agent.send(component, bytes),
    onDatagram: (cb) =>
      agent.onData((c, bytes) => {
        if (c === component) cb(bytes);
      }),
  };
}

function side(c: CandidateView): string {
  const relay = c.type === 'relay' && c.relayProtocol ? `(${c.relayProtocol})` : '';
  return `${c.type}/${c.transport}${relay} ${c.address}:${c.port}`;
}

/** The kind of path a pair is: through a relay if either end is one, else reflexive, else direct. */
export function pairPathKind(p: PairView): 'host' | 'srflx' | 'relay' {
  if (p.local.type === 'relay' || p.remote.type === 'relay') return 'relay';
  if (p.local.type === 'host' && p.remote.type === 'host') return 'host';
  return 'srflx';
}

/** A selected pair as the media layer names a path. */
export function pathInfoOf(p: PairView | undefined): PathInfo | null {
  if (!p) return null;
  return { id: p.id, kind: pairPathKind(p), label: `${side(p.local)} → ${side(p.remote)}` };
}

/**
 * Follows the agent: every `path.changed` of `component` (default 1, RTP) starts a new epoch of
 * the session with the new pair (or none, when consent was lost with nothing to fall back on).
 * If the agent already has a selected pair, the session's current epoch moves onto it at once.
 */
export function followIcePath(agent: IceAgent, session: MediaSession, component = 1): Disposable {
  const current = agent.selectedPair(component);
  if (current && session.currentPath?.id !== current.id) session.changePath(pathInfoOf(current.view()), 'selected');
  return agent.onEvent((e) => {
    if (e.type === 'path.changed' && e.component === component) session.changePath(pathInfoOf(e.to), e.reason);
  });
}
