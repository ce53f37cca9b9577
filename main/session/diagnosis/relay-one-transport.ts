import { isAuthError, isReachabilityError, relayFamily, relaySteps, stepLabel } from './facts';
import type { DiagnosisRule } from './types';

/**
 * The field rule "only UDP or only TCP ⇒ a firewall blocks the other" (PROTOCOLS.md §7): relay
 * allocations worked over one transport and every one over the other went unanswered. Failures
 * of the other kind (a 401, a refused TLS certificate) are not a firewall and do not count here.
 */
export const relayOneTransport: DiagnosisRule = {
  id: 'relay-one-transport',
  severity: 'warning',
  title: 'Relay reachable over only one transport',
  evaluate(events) {
    const steps = relaySteps(events);
    const udp = steps.filter((e) => relayFamily(e.step.protocol) === 'udp');
    const tcp = steps.filter((e) => relayFamily(e.step.protocol) === 'tcp');
    if (udp.length === 0 || tcp.length === 0) return undefined;
    const works = (xs: typeof steps): boolean => xs.some((e) => e.step.state === 'gathered');
    const blocked = (xs: typeof steps): boolean => xs.every((e) => e.step.state === 'failed' && !isAuthError(e.step.error) && isReachabilityError(e.step.error));
    let good: 'udp' | 'tcp';
    if (works(udp) && blocked(tcp)) good = 'udp';
    else if (works(tcp) && blocked(udp)) good = 'tcp';
    else return undefined;
    const bad = good === 'udp' ? tcp : udp;
    const where = [...new Set(bad.map((e) => stepLabel(e.step)))].join(', ');
    const message =
      good === 'udp'
        ? `The relay answered over UDP but never over TCP (${where}): a firewall blocks TCP (443) to the relay. Calls still work over UDP; clients on networks that allow only TCP 443 out will have no relay.`
        : `The relay answered over TCP but never over UDP (${where}): a firewall blocks UDP (3478) to the relay. Media falls back to relaying over TCP, the last resort: delay and loss recovery suffer. Allow UDP 3478 and the relay's UDP port range out.`;
    return {
      id: 'relay-one-transport',
      severity: 'warning',
      message,
      evidence: steps.map((e) => e.seq),
      facts: { works: good, blocked: good === 'udp' ? 'tcp' : 'udp' },
    };
  },
};
