import { restCredentials } from '../../main/turn/credentials';
import type { TransportAddress } from '../../main/common/address';
import { MediapathError } from '../../main/common/errors';
import {
  COTURN_INSTALL_HINT,
  startCoturn,
  type CoturnAuth,
  type CoturnInstance,
  type CoturnOptions,
  type CoturnUser,
} from '../../main/lab/coturn';
import { makeSelfSignedPair, type SelfSignedPair } from './certs';

/**
 * Real coturn for interop tests. A missing turnserver FAILS the test, in CI and locally alike
 * (DESIGN.md: interop tests fail, never skip, when the server is missing).
 */

export const LAB_USERS: readonly CoturnUser[] = [
  { name: 'alice', password: 'alicepw' },
  { name: 'bob', password: 'bobpw' },
];
export const LAB_SECRET = 'lab-shared-secret';

/** A started coturn plus the test-side resources that go away with it. */
export interface LabCoturn extends CoturnInstance {
  /** Set for TLS instances: the pair the server uses; trust `cert.certPem` on the client. */
  readonly cert?: SelfSignedPair;
}

type Extra = Omit<CoturnOptions, 'auth' | 'tls'>;

const started = new Set<LabCoturn>();

/** Long-term credentials (`--lt-cred-mech`), users alice/alicepw and bob/bobpw by default. */
export function startLongTermCoturn(opts: Extra & { users?: readonly CoturnUser[] } = {}): Promise<LabCoturn> {
  const { users, ...rest } = opts;
  return start({ ...rest, auth: { kind: 'long-term', users: users ?? LAB_USERS } });
}

/** TURN REST API credentials (`--use-auth-secret`); mint them with `restCredentials`. */
export function startSecretCoturn(opts: Extra & { secret?: string } = {}): Promise<LabCoturn> {
  const { secret, ...rest } = opts;
  return start({ ...rest, auth: { kind: 'shared-secret', secret: secret ?? LAB_SECRET } });
}

/** UDP/TCP plus a TLS listener with a fresh self-signed pair for `turn.lab.test` and the listening IP. */
export async function startTlsCoturn(opts: Extra & { auth?: CoturnAuth } = {}): Promise<LabCoturn> {
  const { auth, ...rest } = opts;
  const ip = rest.ip ?? '127.0.0.1';
  const cert = makeSelfSignedPair('turn.lab.test', [ip]);
  try {
    return await start(
      { ...rest, ip, auth: auth ?? { kind: 'long-term', users: LAB_USERS }, tls: { certPath: cert.certPath, keyPath: cert.keyPath } },
      cert,
    );
  } catch (e) {
    cert.remove();
    throw e;
  }
}

/** Stops every instance this harness started and has not stopped yet (for afterAll/afterEach). */
export async function stopAllCoturn(): Promise<void> {
  await Promise.all([...started].map((c) => c.stop()));
}

/** TURN REST API credentials valid for `ttlSec` from now (negative: already expired). */
export function restCredentialsFor(secret: string, user: string, ttlSec: number, nowSec = Math.floor(Date.now() / 1000)): { username: string; password: string } {
  const { username, password } = restCredentials(secret, user, nowSec + ttlSec);
  return { username, password };
}

/** `127.0.0.1:3478`, the form the CLI takes. */
export function hostPort(a: TransportAddress): string {
  return `${a.ip}:${a.port}`;
}

async function start(opts: CoturnOptions, cert?: SelfSignedPair): Promise<LabCoturn> {
  let inner: CoturnInstance;
  try {
    inner = await startCoturn(opts);
  } catch (e) {
    if (e instanceof MediapathError && e.code === 'LAB_COTURN_MISSING') {
      throw new Error(
        `coturn interop tests need the real turnserver and never skip${process.env['CI'] ? ' (CI)' : ''}: ${COTURN_INSTALL_HINT}`,
        { cause: e },
      );
    }
    throw e;
  }
  const wrapped: LabCoturn = {
    udp: inner.udp,
    tcp: inner.tcp,
    ...(inner.tls ? { tls: inner.tls } : {}),
    relayIp: inner.relayIp,
    relayPorts: inner.relayPorts,
    realm: inner.realm,
    auth: inner.auth,
    pid: inner.pid,
    dir: inner.dir,
    logPath: inner.logPath,
    args: inner.args,
    ...(cert ? { cert } : {}),
    log: () => inner.log(),
    get running() {
      return inner.running;
    },
    stop: async () => {
      try {
        await inner.stop();
      } finally {
        cert?.remove();
        started.delete(wrapped);
      }
    },
  };
  started.add(wrapped);
  return wrapped;
}
