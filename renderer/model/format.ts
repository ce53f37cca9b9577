import type { CandidateView, PairView } from '../../main/api';

/** Milliseconds for people: `850 ms`, `1.25 s`, `2 min 05 s`. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(a / 60_000);
  const s = Math.round((a % 60_000) / 1000);
  return `${ms < 0 ? '-' : ''}${m} min ${String(s).padStart(2, '0')} s`;
}

export function fmtNum(n: number | undefined, digits = 1, unit = ''): string {
  return n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(digits)}${unit}`;
}

/** `tcp-act`, `tcp-pass`, `udp`: the transport as the tables show it. */
export function transportLabel(c: Pick<CandidateView, 'transport' | 'tcpType'>): string {
  if (c.transport !== 'tcp' || !c.tcpType) return c.transport;
  return c.tcpType === 'active' ? 'tcp-act' : c.tcpType === 'passive' ? 'tcp-pass' : 'tcp-so';
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `relay/udp via tcp 203.0.113.10:50000`. */
export function candidateLabel(c: CandidateView): string {
  const via = c.type === 'relay' && c.relayProtocol ? ` via ${c.relayProtocol}` : '';
  return `${c.type}/${transportLabel(c)}${via} ${hostPort(c.address, c.port)}`;
}

export function pairLabel(p: PairView): string {
  return `${candidateLabel(p.local)} → ${candidateLabel(p.remote)}`;
}

/** host when both ends are host, relay when either is a relay, else reflexive. */
export function pathKind(p: PairView): 'host' | 'srflx' | 'relay' {
  if (p.local.type === 'relay' || p.remote.type === 'relay') return 'relay';
  if (p.local.type === 'host' && p.remote.type === 'host') return 'host';
  return 'srflx';
}

const REASONS: Readonly<Record<string, string>> = {
  'first-success': 'first pair that worked',
  'higher-priority-succeeded': 'a better pair succeeded (promotion)',
  nominated: 'nominated',
  'consent-lost': 'consent lost',
  'relay-failed': 'relay failed',
};

export function reasonLabel(reason: string): string {
  return REASONS[reason] ?? reason;
}

/** Compares decimal priority strings (64-bit pair priorities) without losing precision. */
export function comparePriority(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
