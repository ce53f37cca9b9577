import type { CandidateView, EngineEvent, PairView } from '../../../main/api';

/**
 * A hand-made Timeline with every kind of event, as the session engine will emit them: a
 * registration, MRAS credentials, SIP messages, candidates both sides, checks, a promotion,
 * media figures on two path epochs, diagnoses and a verdict. The views must render all of it.
 */
export const cand = (id: string, type: CandidateView['type'], address: string, port: number, extra: Partial<CandidateView> = {}): CandidateView => ({
  id,
  type,
  transport: 'udp',
  address,
  port,
  family: 4,
  priority: type === 'host' ? 2130706431 : type === 'srflx' ? 1694498815 : 16777215,
  foundation: `${type}1`,
  component: 1,
  ...extra,
});

const lHost = cand('L1/udp/host/10.1.0.11:50000', 'host', '10.1.0.11', 50000, { interfaceName: 'eth0' });
const lRelay = cand('L1/udp/relay/203.0.113.10:49152', 'relay', '203.0.113.10', 49152, { relatedAddress: '198.51.100.1', relatedPort: 40000, relayProtocol: 'udp', server: '203.0.113.10:3478' });
const lTcpRelay = cand('L1/udp/relay/203.0.113.10:49153', 'relay', '203.0.113.10', 49153, { relayProtocol: 'tcp', server: '203.0.113.10:443', priority: 16776959 });
const rHost = cand('R1/udp/host/10.1.0.12:50002', 'host', '10.1.0.12', 50002);
const rRelay = cand('R1/udp/relay/203.0.113.10:49160', 'relay', '203.0.113.10', 49160, { relayProtocol: 'udp' });

export const pair = (local: CandidateView, remote: CandidateView, state: PairView['state'], extra: Partial<PairView> = {}): PairView => ({
  id: `${local.id}|${remote.id}`,
  component: 1,
  local,
  remote,
  priority: local.type === 'host' && remote.type === 'host' ? '9151314442783293439' : '72057594037927935',
  state,
  nominated: false,
  valid: state === 'succeeded',
  ...extra,
});

const relayPair = pair(lRelay, rRelay, 'succeeded', { lastRtt: 42 });
const hostPair = pair(lHost, rHost, 'succeeded', { lastRtt: 3 });

const REGISTER = 'REGISTER sip:lab.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.11:5060;branch=z9hG4bK1\r\nCall-ID: reg-1@10.1.0.11\r\nCSeq: 1 REGISTER\r\nAuthorization: Digest username="alice", response="«redacted»"\r\nContent-Length: 0\r\n\r\n';
const OK = 'SIP/2.0 200 OK\r\nCall-ID: reg-1@10.1.0.11\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@10.1.0.11:5060>;expires=3600\r\nContent-Length: 0\r\n\r\n';
const INVITE = 'INVITE sip:bob@lab.test SIP/2.0\r\nCall-ID: call-7@10.1.0.11\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\r\nv=0\r\na=ice-pwd:«redacted»\r\n';
const RINGING = 'SIP/2.0 183 Session Progress\r\nCall-ID: call-7@10.1.0.11\r\nCSeq: 1 INVITE\r\n\r\n';

const stats = (epoch: number, path: PairView, at: number, loss: number, jitter: number, rtt: number, mos: number): EngineEvent => ({
  type: 'media.stats',
  at,
  epoch,
  path: { id: path.id, kind: path.local.type === 'relay' ? 'relay' : 'host', label: `${path.local.type} → ${path.remote.type}` },
  stats: { startMs: at - 1000, endMs: at, packetsSent: 50, packetsReceived: 50 - Math.round(loss / 2), lossPct: loss, jitterMs: jitter, rttMs: rtt, mos },
});

export const FULL_CALL: EngineEvent[] = [
  { type: 'run.started', at: 0, runId: 'fixture-call-1', title: 'fixture call alice → bob', source: 'call', startedAt: Date.UTC(2026, 0, 1) },
  { type: 'phase', at: 0, name: 'registration', state: 'running' },
  { type: 'sip.sent', at: 5, text: REGISTER, peer: '192.0.2.5:5060', transport: 'udp' },
  { type: 'sip.received', at: 25, text: OK, peer: '192.0.2.5:5060', transport: 'udp' },
  { type: 'registration', at: 25, state: 'registered', registrar: '192.0.2.5:5060', aor: 'sip:alice@lab.test', transport: 'udp', expires: 3600 },
  { type: 'phase', at: 25, name: 'registration', state: 'done' },
  {
    type: 'mras.credentials',
    at: 60,
    mrasUri: 'sip:mras@lab.test',
    relays: [
      { host: 'edge.lab.test', udpPort: 3478, tcpPort: 443, location: 'internal' },
      { host: '203.0.113.10', udpPort: 3478, tcpPort: 443, location: 'external' },
    ],
    username: '1767254400:alice',
    password: '«redacted»',
    expiresAt: 60 + 8 * 3600 * 1000,
    durationS: 8 * 3600,
  },
  { type: 'phase', at: 60, name: 'mras', state: 'done' },
  { type: 'phase', at: 60, name: 'gathering', state: 'running' },
  { type: 'candidate.gathered', at: 61, side: 'local', candidate: lHost },
  { type: 'gather.step', at: 90, step: { kind: 'relay', server: '203.0.113.10:3478', protocol: 'udp', component: 1, state: 'gathered', ms: 29 } },
  { type: 'candidate.gathered', at: 90, side: 'local', candidate: lRelay },
  { type: 'gather.step', at: 120, step: { kind: 'relay', server: '203.0.113.10:443', protocol: 'tcp', component: 1, state: 'gathered', ms: 59 } },
  { type: 'candidate.gathered', at: 120, side: 'local', candidate: lTcpRelay },
  { type: 'gather.step', at: 160, step: { kind: 'srflx', server: '203.0.113.10:3478', protocol: 'udp', component: 1, state: 'failed', ms: 100, reason: 'no answer within 100 ms' } },
  { type: 'gather.done', at: 160, summary: { candidates: 3, byType: { host: 1, relay: 2 }, failed: 1, ms: 100 } },
  { type: 'phase', at: 160, name: 'gathering', state: 'done' },
  { type: 'sip.sent', at: 170, text: INVITE, peer: '192.0.2.5:5060', transport: 'udp' },
  { type: 'sip.received', at: 230, text: RINGING, peer: '192.0.2.5:5060', transport: 'udp' },
  { type: 'candidate.remote', at: 230, candidate: rHost, source: 'sdp' },
  { type: 'candidate.remote', at: 230, candidate: rRelay, source: 'sdp' },
  { type: 'phase', at: 231, name: 'checks', state: 'running' },
  { type: 'check', at: 231, pair: { ...relayPair, state: 'in-progress', valid: false }, from: 'waiting', to: 'in-progress', reason: 'ordinary check' },
  { type: 'check', at: 231, pair: { ...hostPair, state: 'in-progress', valid: false }, from: 'waiting', to: 'in-progress', reason: 'ordinary check' },
  { type: 'check', at: 273, pair: relayPair, from: 'in-progress', to: 'succeeded', reason: 'success response', rtt: 42 },
  { type: 'path.changed', at: 273, component: 1, to: relayPair, reason: 'first-success' },
  { type: 'phase', at: 273, name: 'media', state: 'running' },
  stats(0, relayPair, 1273, 0.5, 4.2, 44, 4.3),
  { type: 'check', at: 1700, pair: hostPair, from: 'in-progress', to: 'succeeded', reason: 'success response', rtt: 3 },
  { type: 'path.changed', at: 1700, component: 1, from: relayPair, to: hostPair, reason: 'higher-priority-succeeded' },
  { type: 'pair.nominated', at: 2500, pair: { ...hostPair, nominated: true }, by: 'us' },
  { type: 'phase', at: 2500, name: 'checks', state: 'done' },
  stats(1, hostPair, 2700, 0, 1.1, 4, 4.4),
  stats(1, hostPair, 3700, 0, 0.9, 3, 4.41),
  { type: 'diagnosis', at: 3800, id: 'path-changed', message: 'The media path changed 1 time(s) after the first working pair.', evidence: ['273 ms first-success', '1700 ms higher-priority-succeeded'], severity: 'info' },
  { type: 'verdict', at: 3800, verdict: 'pass', summary: 'fit for calls: every epoch within the client-to-edge thresholds', checks: [{ name: 'loss < 1 %', ok: true }] },
  { type: 'phase', at: 3800, name: 'media', state: 'done' },
  { type: 'run.ended', at: 3800, runId: 'fixture-call-1', ok: true },
];

export const FIXTURE_CANDIDATES = { lHost, lRelay, lTcpRelay, rHost, rRelay };
