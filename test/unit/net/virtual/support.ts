import type { TransportAddress } from '../../../../main/common/address';
import { FakeClock } from '../../../../main/common/clock';
import type { DatagramSocket } from '../../../../main/net/types';
import { VirtualNetwork, type VirtualNetworkOptions } from '../../../../main/net/virtual';
import type { VirtualHost } from '../../../../main/net/virtual';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export function makeNetwork(seed = 1, options: Partial<VirtualNetworkOptions> = {}): { clock: FakeClock; net: VirtualNetwork } {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed, ...options });
  return { clock, net };
}

/** A STUN-like reflector: answers every datagram with the source address it saw, as text. */
export async function reflector(host: VirtualHost, port: number): Promise<DatagramSocket> {
  const s = await host.bindUdp({ ip: host.address, port });
  s.onMessage((_b, from) => s.send(enc(`${from.ip}:${from.port}`), from));
  return s;
}

/** Collects what a socket receives. */
export function inbox(s: DatagramSocket): { text: string; from: TransportAddress; at?: number }[] {
  const got: { text: string; from: TransportAddress }[] = [];
  s.onMessage((b, from) => got.push({ text: dec(b), from }));
  return got;
}

/** Sends `text` and returns what came back within `ms` of fake time. */
export async function ask(clock: FakeClock, s: DatagramSocket, to: TransportAddress, text = 'x', ms = 1000): Promise<string[]> {
  const got: string[] = [];
  const d = s.onMessage((b) => got.push(dec(b)));
  s.send(enc(text), to);
  clock.advance(ms);
  d.dispose();
  return got;
}

/** Closes the network and checks that nothing is left: no resources, no timers. */
export async function closeAndCheck(clock: FakeClock, net: VirtualNetwork): Promise<void> {
  await net.close();
  if (net.openResources() !== 0) throw new Error(`open resources after close: ${net.openResources()}`);
  if (clock.pendingTimers() !== 0) throw new Error(`pending timers after close: ${clock.pendingTimers()}`);
}
