import { pickFreePort, tryBindTcp, tryBindUdp } from '../../main/lab/free-port';

/**
 * Port helpers for tests that start servers. A picked port is only free at the moment of the
 * pick: a server that then fails to bind it must be restarted with a new pick (startCoturn does).
 */
export { pickFreePort };

/** True when UDP `ip:port` can be bound exclusively right now (the port is released again). */
export async function canBindUdp(ip: string, port: number): Promise<boolean> {
  return (await tryBindUdp(ip, port)) !== undefined;
}

/** True when TCP `ip:port` can be listened on right now (the port is released again). */
export async function canBindTcp(ip: string, port: number): Promise<boolean> {
  return (await tryBindTcp(ip, port)) !== undefined;
}
