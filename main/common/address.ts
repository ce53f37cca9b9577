/** A transport address as every layer names it: an IP literal and a port. */
export interface TransportAddress {
  readonly ip: string;
  readonly port: number;
}

export type IpFamily = 4 | 6;

export function familyOf(ip: string): IpFamily {
  return ip.includes(':') ? 6 : 4;
}

/** `1.2.3.4:5` or `[::1]:5`, the form used in logs, events and reports. */
export function formatAddress(a: TransportAddress): string {
  return familyOf(a.ip) === 6 ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && normalizeIp(a.ip) === normalizeIp(b.ip);
}

/** Node reports IPv4-mapped IPv6 (`::ffff:1.2.3.4`) on dual-stack sockets; compare as IPv4. */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/**
 * Parses `host:port`, `[v6]:port`. Returns undefined on anything else, so callers can name the
 * bad input in their own error.
 */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}
