import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { spawn } from 'node:child_process';
import type { TransportAddress } from '../../main/common/address';
import { MediapathError } from '../../main/common/errors';
import { startCoturn } from '../../main/lab/coturn';
import { bindingRequest, isBindingSuccessFor, udpBindingPing } from '../../main/lab/stun-ping';
import {
  LAB_SECRET,
  restCredentialsFor,
  startLongTermCoturn,
  startSecretCoturn,
  startTlsCoturn,
  stopAllCoturn,
  type LabCoturn,
} from '../support/coturn-harness';
import { canBindTcp, canBindUdp } from '../support/ports';

// The coturn runner against the real Debian turnserver: three instances side by side (long-term
// users on 127.0.0.1, a REST-API secret on 127.0.0.2, TLS on 127.0.0.3), each proven to answer,
// to enforce the auth it was given, and to leave nothing behind when stopped.

// --- a few hand-made STUN messages (RFC 8489 §5, §14; RFC 8656 §7), independent of main/stun ---

const COOKIE = 0x2112a442;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, LIFETIME: 0x000d, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016, REQUESTED_TRANSPORT: 0x0019, XOR_MAPPED_ADDRESS: 0x0020 } as const;
const ALLOCATE = 0x0003;
const REFRESH = 0x0004;

interface Attr {
  type: number;
  value: Buffer;
}
interface Msg {
  type: number;
  tid: Buffer;
  attrs: Attr[];
}

function encode(type: number, tid: Buffer, attrs: Attr[], integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(
    attrs.map((a) => {
      const h = Buffer.alloc(4);
      h.writeUInt16BE(a.type, 0);
      h.writeUInt16BE(a.value.length, 2);
      return Buffer.concat([h, a.value, Buffer.alloc((4 - (a.value.length % 4)) % 4)]);
    }),
  );
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(COOKIE, 4);
  tid.copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // RFC 8489 §14.5: the length covers MESSAGE-INTEGRITY while the HMAC is computed.
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', integrityKey).update(Buffer.concat([header, body])).digest();
  const mi = Buffer.alloc(4);
  mi.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0);
  mi.writeUInt16BE(20, 2);
  return Buffer.concat([header, body, mi, mac]);
}

function decode(b: Buffer): Msg {
  const attrs: Attr[] = [];
  const end = 20 + b.readUInt16BE(2);
  for (let o = 20; o + 4 <= end; ) {
    const type = b.readUInt16BE(o);
    const len = b.readUInt16BE(o + 2);
    attrs.push({ type, value: b.subarray(o + 4, o + 4 + len) });
    o += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: b.readUInt16BE(0), tid: b.subarray(8, 20), attrs };
}

const attr = (m: Msg, type: number): Buffer | undefined => m.attrs.find((a) => a.type === type)?.value;
const errorCode = (m: Msg): number | undefined => {
  const v = attr(m, ATTR.ERROR_CODE);
  return v ? (v[2]! & 7) * 100 + v[3]! : undefined;
};
const xorAddress = (v: Buffer): TransportAddress => ({
  ip: [0, 1, 2, 3].map((i) => v[4 + i]! ^ ((COOKIE >>> (24 - 8 * i)) & 0xff)).join('.'),
  port: v.readUInt16BE(2) ^ (COOKIE >>> 16),
});
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** One request/response over a UDP socket the caller owns (coturn answers on loopback at once). */
function transact(sock: dgram.Socket, to: TransportAddress, bytes: Buffer): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const tid = bytes.subarray(8, 20);
    const timer = setTimeout(() => {
      sock.off('message', onMsg);
      reject(new Error(`no STUN answer from ${to.ip}:${to.port}`));
    }, 2000);
    const onMsg = (m: Buffer): void => {
      if (!m.subarray(8, 20).equals(tid)) return;
      clearTimeout(timer);
      sock.off('message', onMsg);
      resolve(decode(m));
    };
    sock.on('message', onMsg);
    sock.send(bytes, to.port, to.ip);
  });
}

/**
 * Allocate with long-term credentials (RFC 8656 §7.1, RFC 8489 §9.2): a first request without
 * credentials draws 401 with REALM and NONCE, the second carries MESSAGE-INTEGRITY. When it
 * succeeds, the allocation is released again with a zero-lifetime Refresh.
 */
async function tryAllocate(server: TransportAddress, username: string, password: string, lifetimeSec?: number): Promise<{ code: number; realm?: string; lifetime?: number; relayed?: TransportAddress }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    const transport = { type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) };
    const first = await transact(sock, server, encode(ALLOCATE, randomBytes(12), [transport]));
    expect(errorCode(first)).toBe(401);
    const realm = attr(first, ATTR.REALM)!;
    const nonce = attr(first, ATTR.NONCE)!;
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const auth = [{ type: ATTR.USERNAME, value: Buffer.from(username) }, { type: ATTR.REALM, value: realm }, { type: ATTR.NONCE, value: nonce }];
    const lifetime = lifetimeSec === undefined ? [] : [{ type: ATTR.LIFETIME, value: u32(lifetimeSec) }];
    const res = await transact(sock, server, encode(ALLOCATE, randomBytes(12), [transport, ...lifetime, ...auth], key));
    if (res.type !== 0x0103) return { code: errorCode(res) ?? -1, realm: realm.toString() };
    const out = {
      code: 200,
      realm: realm.toString(),
      lifetime: attr(res, ATTR.LIFETIME)!.readUInt32BE(0),
      relayed: xorAddress(attr(res, ATTR.XOR_RELAYED_ADDRESS)!),
    };
    const released = await transact(sock, server, encode(REFRESH, randomBytes(12), [{ type: ATTR.LIFETIME, value: u32(0) }, ...auth], key));
    expect(released.type).toBe(0x0104);
    return out;
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

/** A Binding over a stream (TCP or TLS): STUN messages are self-delimiting there (RFC 8489 §6.2.2). */
function streamBinding(socket: net.Socket): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const tid = new Uint8Array(randomBytes(12));
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 20 && buf.length >= 20 + buf.readUInt16BE(2)) resolve(isBindingSuccessFor(new Uint8Array(buf.subarray(0, 20 + buf.readUInt16BE(2))), tid));
    });
    socket.once('error', reject);
    socket.write(bindingRequest(tid));
  });
}

function closeStream(socket: net.Socket): Promise<void> {
  return new Promise((r) => {
    if (socket.destroyed) return r();
    socket.once('close', () => r());
    socket.destroy();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    expect((e as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/** Runs a Node process that starts coturn, reports it, then ends by `ending` without stop(). */
async function ownerThatEnds(ending: 'exit' | 'SIGTERM'): Promise<{ pid: number; dir: string }> {
  const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-owner-'));
  const script = path.join(scriptDir, 'owner.ts');
  const runner = path.resolve(__dirname, '../../main/lab/coturn');
  fs.writeFileSync(
    script,
    `import { startCoturn } from ${JSON.stringify(runner)};\n` +
      `void startCoturn({ auth: { kind: 'shared-secret', secret: 's' } }).then((c) => {\n` +
      `  process.stdout.write(JSON.stringify({ pid: c.pid, dir: c.dir }) + '\\n');\n` +
      `  if (process.argv[2] === 'exit') process.exit(0);\n` +
      `  setInterval(() => undefined, 1000);\n` +
      `});\n`,
  );
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ending], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ended = new Promise<void>((r) => child.once('exit', () => r()));
    const reported = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { pid: number; dir: string });
      });
      child.once('exit', (code) => reject(new Error(`owner exited (${code}) before reporting`)));
    });
    if (ending === 'SIGTERM') child.kill('SIGTERM');
    await ended;
    return reported;
  } finally {
    fs.rmSync(scriptDir, { recursive: true, force: true });
  }
}

/** Polls `cond` (an orphaned child is reaped by init a moment after its owner dies). */
async function until(cond: () => boolean, tries = 100): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond()).toBe(true);
}

// ------------------------------------------------------------------------------------------------

describe('coturn runner (real turnserver)', () => {
  let longTerm: LabCoturn;
  let secret: LabCoturn;
  let secure: LabCoturn;

  beforeAll(async () => {
    [longTerm, secret, secure] = await Promise.all([
      startLongTermCoturn({ ip: '127.0.0.1' }),
      startSecretCoturn({ ip: '127.0.0.2' }),
      startTlsCoturn({ ip: '127.0.0.3' }),
    ]);
  });

  afterAll(async () => {
    await stopAllCoturn();
  });

  it('runs three instances side by side, each on its own address and temp dir', () => {
    expect(longTerm.udp.ip).toBe('127.0.0.1');
    expect(secret.udp.ip).toBe('127.0.0.2');
    expect(secure.udp.ip).toBe('127.0.0.3');
    for (const c of [longTerm, secret, secure]) {
      expect(c.running).toBe(true);
      expect(c.tcp).toEqual(c.udp);
      expect(c.realm).toBe('lab.test');
      expect(fs.existsSync(c.dir)).toBe(true);
      expect(c.log()).toContain('Coturn-');
      // passwords and the secret never appear in the recorded command line
      expect(c.args.join(' ')).not.toMatch(/alicepw|bobpw|lab-shared-secret/);
    }
    expect(new Set([longTerm.pid, secret.pid, secure.pid]).size).toBe(3);
    expect(secure.tls).toBeDefined();
    expect(longTerm.tls).toBeUndefined();
  });

  it('each answers a STUN Binding over UDP with the client address', async () => {
    for (const c of [longTerm, secret, secure]) {
      const res = await udpBindingPing(c.udp, 2000);
      expect(res, `no Binding answer from ${c.udp.ip}:${c.udp.port}`).toBeDefined();
      const mapped = attr(decode(Buffer.from(res!)), ATTR.XOR_MAPPED_ADDRESS);
      expect(xorAddress(mapped!).ip).toMatch(/^127\./);
    }
  });

  it('answers a Binding over TCP', async () => {
    const s = net.connect({ host: longTerm.tcp.ip, port: longTerm.tcp.port });
    try {
      await new Promise((r, j) => s.once('connect', r).once('error', j));
      expect(await streamBinding(s)).toBe(true);
    } finally {
      await closeStream(s);
    }
  });

  it('accepts a verified TLS connection with the generated certificate and answers over it', async () => {
    const s = tls.connect({ host: secure.tls!.ip, port: secure.tls!.port, servername: 'turn.lab.test', ca: secure.cert!.certPem });
    try {
      await new Promise((r, j) => s.once('secureConnect', r).once('error', j));
      expect(s.authorized).toBe(true);
      expect(await streamBinding(s)).toBe(true);
    } finally {
      await closeStream(s);
    }
  });

  it('long-term instance: its users allocate, others get 401', async () => {
    const ok = await tryAllocate(longTerm.udp, 'alice', 'alicepw');
    expect(ok.code).toBe(200);
    expect(ok.realm).toBe('lab.test');
    expect(ok.relayed!.ip).toBe('127.0.0.1');
    expect(ok.relayed!.port).toBeGreaterThanOrEqual(longTerm.relayPorts.min);
    expect(ok.relayed!.port).toBeLessThanOrEqual(longTerm.relayPorts.max);
    expect((await tryAllocate(longTerm.udp, 'alice', 'wrong')).code).toBe(401);
  });

  it('shared-secret instance: REST-API credentials allocate, static users get 401', async () => {
    const cred = restCredentialsFor(LAB_SECRET, 'alice', 3600);
    const ok = await tryAllocate(secret.udp, cred.username, cred.password);
    expect(ok.code).toBe(200);
    expect(ok.relayed!.ip).toBe('127.0.0.2');
    expect((await tryAllocate(secret.udp, 'alice', 'alicepw')).code).toBe(401);
    const expired = restCredentialsFor(LAB_SECRET, 'alice', -60);
    expect((await tryAllocate(secret.udp, expired.username, expired.password)).code).toBe(401);
  });

  it('stop() leaves no process, frees the ports, removes the temp dir and keeps the log', async () => {
    const stopped = [longTerm, secret, secure];
    await Promise.all(stopped.map((c) => c.stop()));
    for (const c of stopped) {
      expect(c.running).toBe(false);
      expect(pidAlive(c.pid)).toBe(false);
      expect(fs.existsSync(c.dir)).toBe(false);
      expect(await canBindUdp(c.udp.ip, c.udp.port)).toBe(true);
      expect(await canBindTcp(c.tcp.ip, c.tcp.port)).toBe(true);
      expect(c.log()).toContain('Coturn-');
    }
    expect(await canBindTcp(secure.tls!.ip, secure.tls!.port)).toBe(true);
    expect(fs.existsSync(secure.cert!.dir)).toBe(false);
    await longTerm.stop(); // idempotent
  });
});

describe('coturn runner knobs and failures', () => {
  afterAll(async () => {
    await stopAllCoturn();
  });

  it('applies --max-allocate-lifetime to what a client asks for', async () => {
    const c = await startLongTermCoturn({ ip: '127.0.0.4', lifetimes: { maxAllocateSec: 30 } });
    try {
      expect((await tryAllocate(c.udp, 'bob', 'bobpw', 600)).lifetime).toBe(30);
    } finally {
      await c.stop();
    }
  });

  it('reports a missing binary as LAB_COTURN_MISSING with an install hint', async () => {
    const e = await startCoturn({ binary: '/nonexistent/turnserver', auth: { kind: 'shared-secret', secret: 's' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediapathError);
    expect((e as MediapathError).code).toBe('LAB_COTURN_MISSING');
    expect((e as MediapathError).message).toContain('apt-get install');
  });

  it('fails with LAB_COTURN_START_FAILED and the log tail when its fixed port is taken', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind({ port: 0, address: '127.0.0.5', exclusive: true }, r));
    try {
      const port = holder.address().port;
      const e = await startCoturn({ ip: '127.0.0.5', port, auth: { kind: 'long-term', users: [{ name: 'u', password: 'p' }] }, startTimeoutMs: 5000 }).catch((x: unknown) => x);
      expect((e as MediapathError).code).toBe('LAB_COTURN_START_FAILED');
      expect((e as MediapathError).message).toMatch(/could not bind[\s\S]*Cannot bind/);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });

  // A process that ends without stop() (process.exit, or a fatal signal) still takes its
  // turnserver with it and removes the temp dir.
  for (const ending of ['exit', 'SIGTERM'] as const) {
    it(`kills a still-running turnserver when the owning process ends by ${ending}`, async () => {
      const { pid, dir } = await ownerThatEnds(ending);
      await until(() => !pidAlive(pid));
      expect(fs.existsSync(dir)).toBe(false);
    });
  }

  it('refuses malformed credentials before starting anything', async () => {
    const e = await startCoturn({ auth: { kind: 'long-term', users: [{ name: 'a:b', password: 'p' }] } }).catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('INVALID_ARGUMENT');
  });
});
