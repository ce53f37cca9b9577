import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tls from 'node:tls';
import * as crypto from 'node:crypto';
import { NodeNet } from '../../../main/net/node/node-net';
import { type MediapathError } from '../../../main/common/errors';
import { makeSelfSignedPair, type SelfSignedPair } from '../../support/certs';

// The real Net on loopback sockets.
const net = new NodeNet();
let cert: SelfSignedPair;
let tlsServer: tls.Server;
let tlsPort = 0;

beforeAll(async () => {
  cert = makeSelfSignedPair('turn.lab.test', ['127.0.0.1']);
  const { readFileSync } = await import('node:fs');
  tlsServer = tls.createServer({ cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) }, (s) => s.pipe(s));
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsPort = (tlsServer.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => tlsServer.close(() => r()));
  cert.remove();
  expect(net.openResources()).toBe(0);
});

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('NodeNet UDP', () => {
  it('sends and receives datagrams and reports the source', async () => {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const b = await net.bindUdp({ ip: '127.0.0.1', port: 0 });
    const got = new Promise<[string, number]>((r) => b.onMessage((bytes, from) => r([text(bytes), from.port])));
    a.send(new TextEncoder().encode('ping'), b.local);
    expect(await got).toEqual(['ping', a.local.port]);
    await a.close();
    a.send(new Uint8Array([1]), b.local); // closed: ignored, no throw
    await b.close();
  });

  it('refuses a port already bound with NET_BIND_FAILED', async () => {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const e = await net.bindUdp({ ip: '127.0.0.1', port: a.local.port }).catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('NET_BIND_FAILED');
    await a.close();
  });

  it('reports a bad destination through onError instead of throwing', async () => {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const err = new Promise<MediapathError>((r) => a.onError(r));
    a.send(new Uint8Array([1]), { ip: '127.0.0.1', port: 70000 });
    expect((await err).code).toBe('NET_SOCKET_ERROR');
    await a.close();
  });
});

describe('NodeNet TCP and TLS', () => {
  it('connects, carries bytes both ways and closes cleanly', async () => {
    const server = await net.listenTcp({ ip: '127.0.0.1' });
    server.onConnection((s) => s.onData((b) => s.write(b)));
    const c = await net.connectTcp(server.local, { local: { ip: '127.0.0.1', port: 0 } });
    const got = new Promise<string>((r) => c.onData((b) => r(text(b))));
    c.write(new TextEncoder().encode('hello'));
    expect(await got).toBe('hello');
    expect(c.secure).toBe(false);
    await c.close();
    await server.close();
  });

  it('a closed port fails with NET_CONNECT_FAILED, with or without TLS', async () => {
    const server = await net.listenTcp({ ip: '127.0.0.1' });
    const addr = server.local;
    await server.close();
    const e = await net.connectTcp(addr).catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('NET_CONNECT_FAILED');
    const t = await net.connectTcp(addr, { tls: { allowSelfSigned: true } }).catch((x: unknown) => x);
    expect((t as MediapathError).code).toBe('NET_CONNECT_FAILED');
  });

  it('TLS verifies against a given CA and server name', async () => {
    const c = await net.connectTcp({ ip: '127.0.0.1', port: tlsPort }, { tls: { ca: cert.certPem, servername: 'turn.lab.test' } });
    expect(c.secure).toBe(true);
    const got = new Promise<string>((r) => c.onData((b) => r(text(b))));
    c.write(new TextEncoder().encode('secure'));
    expect(await got).toBe('secure');
    await c.close();
  });

  it('TLS rejects a self-signed server unless asked, and honours a certificate pin', async () => {
    const addr = { ip: '127.0.0.1', port: tlsPort };
    expect(((await net.connectTcp(addr, { tls: {} }).catch((x: unknown) => x)) as MediapathError).code).toBe('NET_TLS_FAILED');
    const loose = await net.connectTcp(addr, { tls: { allowSelfSigned: true } });
    await loose.close();
    const der = new crypto.X509Certificate(cert.certPem).raw;
    const pin = crypto.createHash('sha256').update(der).digest('hex').replace(/(..)(?!$)/g, '$1:');
    const pinned = await net.connectTcp(addr, { tls: { pinSha256: pin } });
    await pinned.close();
    const wrong = await net.connectTcp(addr, { tls: { pinSha256: '00'.repeat(32) } }).catch((x: unknown) => x);
    expect((wrong as MediapathError).code).toBe('NET_TLS_FAILED');
    expect((wrong as MediapathError).message).toMatch(/pinned/);
  });
});

describe('NodeNet interfaces and names', () => {
  it('lists loopback and resolves literals and localhost', async () => {
    expect(net.interfaces().some((i) => i.address === '127.0.0.1' && i.internal)).toBe(true);
    expect(await net.resolve('10.1.2.3')).toEqual(['10.1.2.3']);
    expect((await net.resolve('localhost')).length).toBeGreaterThan(0);
    const e = await net.resolve('no-such-host.invalid').catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('NET_RESOLVE_FAILED');
  });
});
