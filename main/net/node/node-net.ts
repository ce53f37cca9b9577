import * as os from 'node:os';
import * as dns from 'node:dns/promises';
import * as net from 'node:net';
import { MediapathError } from '../../common/errors';
import type { TransportAddress } from '../../common/address';
import type { ConnectOptions, DatagramSocket, Net, NetworkInterface, StreamServer, StreamSocket } from '../types';
import { NodeUdpSocket } from './udp';
import { connectStream, NodeStreamServer } from './tcp';
import { ResourceTracker } from './tracker';

/** The real network: node:dgram, node:net, node:tls, node:os. */
export class NodeNet implements Net {
  private readonly tracker = new ResourceTracker();

  bindUdp(addr: { ip: string; port?: number }): Promise<DatagramSocket> {
    return NodeUdpSocket.bind(addr, this.tracker);
  }

  connectTcp(to: TransportAddress, opts: ConnectOptions = {}): Promise<StreamSocket> {
    return connectStream(to, opts, this.tracker);
  }

  listenTcp(addr: { ip: string; port?: number }): Promise<StreamServer> {
    return NodeStreamServer.listen(addr, this.tracker);
  }

  interfaces(): NetworkInterface[] {
    const out: NetworkInterface[] = [];
    for (const [name, list] of Object.entries(os.networkInterfaces())) {
      for (const i of list ?? []) {
        out.push({ name, address: i.address, family: i.family === 'IPv6' ? 6 : 4, internal: i.internal, cidr: i.cidr ?? `${i.address}/${i.family === 'IPv6' ? 128 : 32}` });
      }
    }
    return out;
  }

  async resolve(host: string): Promise<string[]> {
    if (net.isIP(host)) return [host];
    try {
      const r = await dns.lookup(host, { all: true });
      return r.map((x) => x.address);
    } catch (e) {
      throw new MediapathError('NET_RESOLVE_FAILED', `cannot resolve ${host}: ${(e as Error).message}`, { layer: 'net' }, { cause: e });
    }
  }

  /** Sockets and servers still open through this Net: tests assert 0 at the end. */
  openResources(): number {
    return this.tracker.count;
  }
}
