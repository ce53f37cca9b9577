import { assertNever } from '../common/assert';
import type { CandidateView as ApiCandidateView, EngineEvent, GatherStepView, PairView as ApiPairView } from '../api';
import type { IceEvent } from '../ice/agent';
import type { CandidateView as IceCandidateView } from '../ice/candidate';
import type { GatherStep } from '../ice/gather/gatherer';
import type { PairView as IcePairView } from '../ice/pair';

/**
 * The ICE agent's events as Timeline entries, seen from our side (the caller in a lab run): our
 * own candidates are `local`, the peer's gathered candidates are what its SDP will carry to us.
 * The views pass through unchanged: main/api's views are written to accept main/ice's as they
 * are, which the assignments below prove at compile time.
 */
const _candidateFits = (c: IceCandidateView): ApiCandidateView => c;
const _pairFits = (p: IcePairView): ApiPairView => p;
const _stepFits = (s: GatherStep): GatherStepView => s;
void _candidateFits;
void _pairFits;
void _stepFits;

export type Side = 'caller' | 'callee';

/** Maps one agent event; undefined for what the Timeline does not keep (the peer's internals). */
export function iceToEngineEvent(side: Side, e: IceEvent, us: Side = 'caller'): EngineEvent | undefined {
  if (side !== us) {
    // Of the peer we only learn its candidates, through its SDP.
    return e.type === 'candidate.gathered' ? { type: 'candidate.remote', at: e.at, candidate: e.candidate, source: 'sdp' } : undefined;
  }
  switch (e.type) {
    case 'candidate.gathered':
      return { type: 'candidate.gathered', at: e.at, side: 'local', candidate: e.candidate };
    case 'candidate.prflx':
      return e.side === 'local'
        ? { type: 'candidate.gathered', at: e.at, side: 'local', candidate: e.candidate }
        : { type: 'candidate.remote', at: e.at, candidate: e.candidate, source: 'prflx' };
    case 'gather.step':
      return { type: 'gather.step', at: e.at, step: e.step };
    case 'gather.done':
      return { type: 'gather.done', at: e.at, summary: e.summary };
    case 'check':
      return { type: 'check', at: e.at, pair: e.pair, from: e.from, to: e.to, reason: e.reason, ...(e.rtt !== undefined ? { rtt: e.rtt } : {}), ...(e.error ? { error: e.error } : {}) };
    case 'pair.valid':
      return { type: 'pair.valid', at: e.at, pair: e.pair };
    case 'pair.nominated':
      return { type: 'pair.nominated', at: e.at, pair: e.pair, by: e.by };
    case 'path.changed':
      return { type: 'path.changed', at: e.at, component: e.component, ...(e.from ? { from: e.from } : {}), ...(e.to ? { to: e.to } : {}), reason: e.reason };
    case 'consent':
      return { type: 'consent', at: e.at, pair: e.pair, ok: e.ok, ...(e.rtt !== undefined ? { rtt: e.rtt } : {}), ...(e.error ? { error: e.error } : {}) };
    case 'agent.state':
      return { type: 'ice.state', at: e.at, from: e.from, to: e.to, reason: e.reason };
    case 'checklist.state':
    case 'role.changed':
      return undefined;
    default:
      return assertNever(e, 'ICE event');
  }
}
