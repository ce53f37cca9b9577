import { isIP } from 'node:net';
import { type Clock, RealClock } from '../common/clock';
import { MediapathError } from '../common/errors';
import { CryptoRandom, type RandomSource } from '../common/random';
import { NodeNet } from '../net/node/node-net';
import type { Net } from '../net/types';
import type { MediaRelay } from '../mras/types';
import { makeSelfSignedPair, type SelfSignedPair } from './certs';
import { type LabRegistrar, type RegistrarEvent, type RegistrarKnobs, startLabRegistrar } from './registrar';
import { type TlsIdentity, TlsListener } from './tls-listener';

/**
 * The SIP side of the lab as one service (what `mediapath lab sip` runs): the lab registrar on
 * real sockets (UDP and TCP, TLS on request), provisioning, and the MRAS service minting TURN
 * REST credentials from the secret a TURN server shares with it.
 *
 * Without a TURN relay there is no Edge: MRAS is off and provisioning carries no `mrasUri`, as
 * in a deployment without one, so a client learns "no relay" the way it would in the field
 * (PROTOCOLS.md §0 step 2), rather than getting credentials that open nothing.
 */
export interface SipLabTurn {
  /** Host name or IP literal the clients are told (`hostName` or `directIPAddress` in the MRAS answer). */
  readonly host: string;
  readonly udpPort: number;
  /** Default: the UDP port (coturn listens on both with one number). */
  readonly tcpPort?: number;
  /** coturn's `--static-auth-secret`. */
  readonly secret: string;
}

export interface SipLabOptions {
  /** Address to listen on; must be concrete unless `advertise` names one. */
  readonly host: string;
  /** Host written in Via, Record-Route and Contact; default `host`. */
  readonly advertise?: string;
  /** UDP and TCP port (one number for both); 0 = ephemeral, each its own. */
  readonly port: number;
  /** Serve TLS: a self-signed pair made for the lab, or the caller's identity. */
  readonly tls?: { readonly port: number; readonly identity?: TlsIdentity };
  readonly domain: string;
  /** user → password. */
  readonly users: Readonly<Record<string, string>>;
  readonly digest: 'MD5' | 'SHA-256';
  readonly turn?: SipLabTurn;
  /** MRAS lifetime in minutes (default 480, as an Edge). */
  readonly mrasMinutes?: number;
  readonly knobs?: Partial<RegistrarKnobs>;
  readonly onEvent?: (e: RegistrarEvent) => void;
  readonly net?: Net;
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

/** Where the lab listens and what it serves: the `--json` line of `mediapath lab sip`. */
export interface SipLabSummary {
  readonly host: string;
  readonly domain: string;
  readonly sip: { readonly udp: number | null; readonly tcp: number | null; readonly tls: number | null };
  /** The registrar URI per transport, ready for `mediapath register --registrar`. */
  readonly uris: { readonly udp: string | null; readonly tcp: string | null; readonly tls: string | null };
  /** null when no TURN relay was given (no Edge: provisioning carries no mrasUri). */
  readonly mrasUri: string | null;
  readonly qosUri: string | null;
  readonly digest: 'MD5' | 'SHA-256';
  readonly users: ReadonlyArray<{ readonly name: string; readonly aor: string }>;
  readonly relays: readonly MediaRelay[];
  /** The lab's self-signed certificate (PEM), to pass as `--ca`; removed when the lab stops. */
  readonly caFile: string | null;
}

export interface SipLab {
  readonly registrar: LabRegistrar;
  readonly summary: SipLabSummary;
  /** Stops the registrar and removes the lab's certificate files. Idempotent. */
  stop(): Promise<void>;
}

/** The relay list an MRAS answer carries for a `--turn HOST:PORT`. */
export function relayFromTurn(t: SipLabTurn): MediaRelay {
  return {
    location: 'internet',
    ...(isIP(t.host) !== 0 ? { directIPAddress: t.host } : { hostName: t.host }),
    udpPort: t.udpPort,
    tcpPort: t.tcpPort ?? t.udpPort,
  };
}

export async function startSipLab(o: SipLabOptions): Promise<SipLab> {
  const net = o.net ?? new NodeNet();
  const clock = o.clock ?? new RealClock();
  const advertise = o.advertise ?? o.host;
  let pair: SelfSignedPair | undefined;
  let listener: TlsListener | undefined;
  try {
    if (o.tls) {
      const identity = o.tls.identity;
      if (!identity) {
        // Issued to the domain and to the advertised address, so a client that connects by IP
        // (the usual lab case) verifies it with the certificate as its only CA.
        pair = makeSelfSignedPair(`sip.${o.domain}`, isIP(advertise) !== 0 ? [advertise] : ['127.0.0.1']);
      }
      listener = await TlsListener.listen({ ip: o.host, port: o.tls.port }, identity ?? pair!);
    }
    const relays = o.turn ? [relayFromTurn(o.turn)] : [];
    const registrar = await startLabRegistrar({
      net,
      clock,
      random: o.random ?? new CryptoRandom(),
      listen: { ip: o.host, udpPort: o.port, tcpPort: o.port, ...(listener ? { tls: listener } : {}) },
      ...(o.advertise !== undefined ? { advertise: o.advertise } : {}),
      domain: o.domain,
      users: o.users,
      digest: o.digest,
      ...(o.turn ? { mras: { enabled: true, relays, turnSecret: o.turn.secret, ...(o.mrasMinutes !== undefined ? { durationMinutes: o.mrasMinutes } : {}) } } : {}),
      ...(o.knobs ? { knobs: o.knobs } : {}),
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    });
    listener = undefined; // the registrar owns it now
    const uri = (t: 'udp' | 'tcp' | 'tls'): string | null => {
      const a = t === 'udp' ? registrar.udp : t === 'tcp' ? registrar.tcp : registrar.tls;
      return a ? registrar.uri(t) : null;
    };
    const summary: SipLabSummary = {
      host: advertise,
      domain: o.domain,
      sip: { udp: registrar.udp?.port ?? null, tcp: registrar.tcp?.port ?? null, tls: registrar.tls?.port ?? null },
      uris: { udp: uri('udp'), tcp: uri('tcp'), tls: uri('tls') },
      mrasUri: registrar.mrasUri ?? null,
      qosUri: registrar.qosUri ?? null,
      digest: o.digest,
      users: Object.keys(o.users).map((name) => ({ name, aor: `sip:${name}@${o.domain}` })),
      relays,
      caFile: pair?.certPath ?? null,
    };
    let stopping: Promise<void> | undefined;
    const certs = pair;
    pair = undefined;
    return {
      registrar,
      summary,
      stop: () => (stopping ??= registrar.stop().finally(() => certs?.remove())),
    };
  } catch (e) {
    await listener?.close();
    pair?.remove();
    if (e instanceof MediapathError && e.code === 'NET_BIND_FAILED') {
      throw new MediapathError('NET_BIND_FAILED', `${e.message} (is another SIP server on that port? --port 0 picks free ports)`, e.detail, { cause: e });
    }
    throw e;
  }
}
