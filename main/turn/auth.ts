import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { attrs, errorCodeAttribute, longTermKey, textAttribute, Attr, type AttributeSpec, type StunClient, type StunResponse } from '../stun';
import type { TurnCredentials } from './credentials';

const MAX_STALE_NONCE_RETRIES = 3;

export interface AuthStep {
  readonly name: string;
  readonly ms: number;
  readonly outcome: string;
}

/**
 * The one place where TURN long-term authentication happens (RFC 8489 §9.2, RFC 8656 §7.2): the
 * first request goes unauthenticated, a 401 gives realm and nonce, the request is retried signed;
 * a 438 Stale Nonce is retried with the new nonce (a bounded number of times). A 401 to a signed
 * request means the credentials are wrong: that is reported, never retried.
 */
export class TurnAuth {
  private realm: string | undefined;
  private nonce: string | undefined;
  private key: Uint8Array | undefined;

  constructor(
    private readonly credentials: TurnCredentials,
    private readonly stun: StunClient,
    private readonly server: TransportAddress,
  ) {}

  get authenticated(): boolean {
    return this.key !== undefined;
  }

  get currentRealm(): string | undefined {
    return this.realm;
  }

  /**
   * Sends a request and returns the final response (success or a non-auth error); `onStep` hears
   * of every exchange with its time, so a probe can show the 401 round trip separately.
   */
  async request(method: number, attributes: readonly AttributeSpec[], what: string, onStep?: (s: AuthStep) => void): Promise<StunResponse> {
    let staleRetries = 0;
    let challenged = false;
    for (;;) {
      const signed = this.key !== undefined;
      const authAttrs =
        signed && this.realm !== undefined && this.nonce !== undefined
          ? [attrs.username(this.credentials.username), attrs.realm(this.realm), attrs.nonce(this.nonce)]
          : [];
      const res = await this.stun.request(method, [...attributes, ...authAttrs], this.server, {
        ...(this.key ? { integrityKey: this.key } : {}),
        fingerprint: true,
      });
      const stepName = signed ? `${what}-authenticated` : what;
      if (res.message.cls === 'success') {
        onStep?.({ name: stepName, ms: res.elapsedMs, outcome: 'success' });
        return res;
      }
      const ec = errorCodeAttribute(res.message);
      onStep?.({ name: stepName, ms: res.elapsedMs, outcome: ec ? `${ec.code} ${ec.reason}` : 'error' });
      if (ec?.code === 401) {
        if (signed || challenged) {
          throw new MediapathError(
            'TURN_AUTH_FAILED',
            `TURN server ${this.server.ip}:${this.server.port} rejected the credentials for ${this.credentials.username}: 401 ${ec.reason || 'Unauthorized'}`,
            { layer: 'turn', peer: this.server, response: { code: 401, reason: ec.reason, realm: this.realm } },
          );
        }
        challenged = true;
        this.learn(res, ec.code);
        continue;
      }
      if (ec?.code === 438) {
        if (++staleRetries > MAX_STALE_NONCE_RETRIES) {
          throw new MediapathError('TURN_STALE_NONCE_LOOP', `TURN server kept answering 438 Stale Nonce (${staleRetries} times)`, {
            layer: 'turn',
            peer: this.server,
            response: { code: 438, reason: ec.reason },
          });
        }
        this.learn(res, ec.code);
        continue;
      }
      return res;
    }
  }

  private learn(res: StunResponse, code: number): void {
    const realm = textAttribute(res.message, Attr.REALM) ?? this.realm;
    const nonce = textAttribute(res.message, Attr.NONCE);
    if (realm === undefined || nonce === undefined) {
      throw new MediapathError('TURN_BAD_RESPONSE', `TURN ${code} without ${realm === undefined ? 'REALM' : 'NONCE'}`, { layer: 'turn', peer: this.server });
    }
    this.nonce = nonce;
    if (realm !== this.realm || !this.key) {
      this.realm = realm;
      this.key = longTermKey(this.credentials.username, realm, this.credentials.password);
    }
  }
}
