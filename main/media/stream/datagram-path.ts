import { sameAddress, type TransportAddress } from '../../common/address';
import type { Disposable } from '../../common/events';
import type { DatagramSocket } from '../../net/types';

/**
 * Where a stream's datagrams go and come from, with the addressing already decided: a socket to
 * a fixed peer, a TURN allocation to a peer, or an ICE component that follows its selected pair.
 * The media layer never asks which one it is.
 */
export interface DatagramPath {
  /**
   * Sends one datagram. Returns false when the path cannot carry it now (an ICE component with
   * no selected pair yet): the sender then holds the packet back instead of counting it sent.
   */
  send(bytes: Uint8Array): boolean | void;
  /** `via`: the id of the path (ICE pair) the datagram arrived on, when the path knows it. */
  onDatagram(cb: (bytes: Uint8Array, via?: string) => void): Disposable;
}

export interface SocketPathOptions {
  /**
   * Accept datagrams from this peer only (default true). Off accepts any source, for a peer
   * whose address is only known once it speaks (a relay's far side, a NAT in between).
   */
  readonly onlyFromPeer?: boolean;
}

/** A datagram socket (host UDP or a TURN allocation: both are DatagramSocket) bound to one peer. */
export function socketPath(socket: DatagramSocket, peer: TransportAddress, opts: SocketPathOptions = {}): DatagramPath {
  const onlyFromPeer = opts.onlyFromPeer ?? true;
  return {
    send(bytes) {
      if (socket.closed) return false;
      socket.send(bytes, peer);
      return true;
    },
    onDatagram(cb) {
      return socket.onMessage((bytes, from) => {
        // The exact match first: it is every packet of a call, and costs no string work.
        if (!onlyFromPeer || (from.port === peer.port && from.ip === peer.ip) || sameAddress(from, peer)) cb(bytes);
      });
    },
  };
}
