import { FakeClock } from '../../../../main/common/clock';
import { VirtualNetwork } from '../../../../main/net/virtual';

/** Lets promise chains run: every pending microtask, then one macrotask turn. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advances fake time in steps, letting async code run between them. */
export async function run(clock: FakeClock, ms: number, step = 5): Promise<void> {
  await flush();
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush();
  }
}

/** Waits (in fake time) for a promise, failing after `limitMs`. */
export async function settle<T>(clock: FakeClock, p: Promise<T>, limitMs = 120_000, step = 10): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      failed = true;
      error = e;
    },
  );
  await flush();
  for (let t = 0; !done && t < limitMs; t += step) {
    clock.advance(step);
    await flush();
  }
  if (!done) throw new Error(`still pending after ${limitMs} ms of fake time`);
  if (failed) throw error;
  return value as T;
}

/** An internet server host and a client behind a port-restricted-cone NAT. */
export function natWorld(seed = 1) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const server = net.addHost('server', { ip: '203.0.113.10', dns: 'lab.test' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  const nat = net.addNat('nat', { inside: 'home', ip: '198.51.100.1', nat: 'port-restricted-cone' });
  const client = net.addHost('client', { lan: 'home', ip: '192.168.1.10' });
  const client2 = net.addHost('client2', { lan: 'home', ip: '192.168.1.11' });
  return { clock, net, server, nat, client, client2 };
}

export async function closeWorld(clock: FakeClock, net: VirtualNetwork): Promise<void> {
  await net.close();
  if (net.openResources() !== 0) throw new Error(`open resources after close: ${net.openResources()}`);
  if (clock.pendingTimers() !== 0) throw new Error(`pending timers after close: ${clock.pendingTimers()}`);
}
