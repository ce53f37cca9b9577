/** 127.0.0.0/8 or ::1: a registrar there is reached from a socket bound to loopback. */
export function isLoopbackLike(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}
