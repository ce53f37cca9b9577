import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { familyOf, type TransportAddress } from '../common/address';

/**
 * Liveness probes for servers the lab runs as processes. Deliberately independent of main/stun:
 * "is the process answering yet" must not depend on the engine under test.
 */

const MAGIC_COOKIE = 0x2112a442; // RFC 8489 §5
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const HEADER_BYTES = 20;

/** A bare Binding request: header only, no attributes (RFC 8489 §5, §6.3.1). */
export function bindingRequest(transactionId: Uint8Array): Uint8Array {
  if (transactionId.length !== 12) throw new RangeError('STUN transaction id is 12 bytes');
  const b = new Uint8Array(HEADER_BYTES);
  const v = new DataView(b.buffer);
  v.setUint16(0, BINDING_REQUEST);
  v.setUint16(2, 0);
  v.setUint32(4, MAGIC_COOKIE);
  b.set(transactionId, 8);
  return b;
}

/** True when `bytes` is a Binding success response to `transactionId` (header checks only). */
export function isBindingSuccessFor(bytes: Uint8Array, transactionId: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint16(0) !== BINDING_SUCCESS || v.getUint32(4) !== MAGIC_COOKIE) return false;
  if (v.getUint16(2) + HEADER_BYTES !== bytes.length) return false;
  for (let i = 0; i < 12; i++) if (bytes[8 + i] !== transactionId[i]) return false;
  return true;
}

/**
 * Sends one Binding request over UDP from an ephemeral port and resolves with the success
 * response, or undefined if none came within `timeoutMs`. The socket is closed either way.
 */
export function udpBindingPing(to: TransportAddress, timeoutMs: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const tid = new Uint8Array(randomBytes(12));
    const sock = dgram.createSocket({ type: familyOf(to.ip) === 6 ? 'udp6' : 'udp4' });
    let done = false;
    const finish = (r: Uint8Array | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close(() => resolve(r));
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg) => {
      const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      if (isBindingSuccessFor(bytes, tid)) finish(new Uint8Array(bytes));
    });
    sock.send(bindingRequest(tid), to.port, to.ip);
  });
}

/** True when a TCP connection to `to` is accepted within `timeoutMs`; the connection is dropped. */
export function tcpConnectPing(to: TransportAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: to.ip, port: to.port });
    let done = false;
    const finish = (okay: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(okay);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  });
}
