import { type TimerHandle } from '../../common/clock';
import { MediapathError, toErrorInfo } from '../../common/errors';
import { StateMachine } from '../../common/fsm';
import { parseContact } from '../header-values';
import { getHeader, getHeaders, type SipRequest, type SipResponse, sipRequest } from '../message';
import { parseSipUri } from '../uri';
import { ALLOW, type UaCore } from './core';
import type { RegistrationInfo, RegistrationState } from './types';

const TABLE: Record<RegistrationState, readonly RegistrationState[]> = {
  unregistered: ['registering'],
  registering: ['registered', 'failed', 'unregistered'],
  registered: ['refreshing', 'unregistering'],
  refreshing: ['registered', 'failed', 'unregistered'],
  unregistering: ['unregistered'],
  failed: ['registering', 'unregistered'],
};

/** Two Contact URIs name the same binding (RFC 3261 §10.3 step 7 compares them by §19.1.4; enough of it). */
export function sameContact(a: string, b: string): boolean {
  const x = parseSipUri(a);
  const y = parseSipUri(b);
  if (!x.ok || !y.ok) return a === b;
  const t = (p: Readonly<Record<string, string | null>>): string => (p['transport'] ?? 'udp').toLowerCase();
  return (
    x.value.scheme === y.value.scheme &&
    x.value.user === y.value.user &&
    x.value.host.toLowerCase() === y.value.host.toLowerCase() &&
    (x.value.port ?? 5060) === (y.value.port ?? 5060) &&
    t(x.value.params) === t(y.value.params)
  );
}

/** The Expires the registrar granted to `contact` (RFC 3261 §10.2.4: the Contact parameter, else the header). */
export function grantedExpires(res: SipResponse, contact: string, asked: number): number {
  for (const value of getHeaders(res, 'Contact')) {
    const c = parseContact(value);
    if (!c.ok || c.value === '*' || !sameContact(c.value.uri, contact)) continue;
    const e = c.value.params['expires'];
    if (e && /^\d{1,10}$/.test(e)) return Number(e);
  }
  const h = getHeader(res, 'Expires');
  if (h && /^\s*\d{1,10}\s*$/.test(h)) return Number(h);
  return asked;
}

/**
 * One AOR's registration (RFC 3261 §10.2) with its state machine: REGISTER with digest,
 * refresh at a fraction of the granted Expires (same Call-ID, CSeq counting up: §10.2.4), 423
 * answered with Min-Expires (§10.2.8), a new Contact when the public address moves (the old one
 * removed in the same request), and the un-REGISTER of our binding only.
 */
export class Registration {
  private readonly fsm: StateMachine<RegistrationState>;
  private readonly callId: string;
  private seq = 0;
  private timer: TimerHandle | undefined;
  private asked = 3600;
  private current: RegistrationInfo | undefined;
  private inFlight: Promise<RegistrationInfo> | undefined;

  constructor(
    private readonly core: UaCore,
    private readonly opts: { readonly refreshAt: number; readonly retryMs: number },
  ) {
    this.callId = core.newCallId();
    this.fsm = new StateMachine<RegistrationState>('registration', 'unregistered', TABLE, () => core.clock.now(), undefined, 'sip');
  }

  get state(): RegistrationState {
    return this.fsm.state;
  }

  get info(): RegistrationInfo | undefined {
    return this.current;
  }

  async register(expires: number): Promise<RegistrationInfo> {
    if (!Number.isInteger(expires) || expires <= 0) throw new MediapathError('INVALID_ARGUMENT', `expires must be a positive integer: ${expires}`, { layer: 'sip' });
    if (this.inFlight) return this.inFlight;
    await this.core.start();
    this.asked = expires;
    this.inFlight = this.run(this.fsm.is('registered') ? 'refreshing' : 'registering', 'register()').finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  async unregister(): Promise<void> {
    this.clearTimer();
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (!this.fsm.is('registered')) {
      if (this.fsm.is('failed')) this.move('unregistered', 'unregister() after failure');
      return;
    }
    this.move('unregistering', 'unregister()');
    const contact = this.current?.contact ?? this.core.contactUri();
    try {
      const res = await this.core.requestWithAuth(() => this.build([`<${contact}>;expires=0`], 0));
      this.move('unregistered', `${res.status} ${res.reason}`);
    } catch (e) {
      this.move('unregistered', `un-REGISTER failed: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    this.current = undefined;
  }

  /** The public address moved (RFC 3581): bind the new Contact now. */
  onContactChanged(): void {
    if (!this.fsm.is('registered') || !this.current || sameContact(this.current.contact, this.core.contactUri())) return;
    this.core.log.info({ from: this.current.contact, to: this.core.contactUri() }, 'public address changed: re-registering');
    this.refresh('contact changed');
  }

  close(): void {
    this.clearTimer();
  }

  private async run(state: 'registering' | 'refreshing', reason: string): Promise<RegistrationInfo> {
    this.clearTimer();
    this.move(state, reason);
    try {
      const info = await this.exchange(this.asked);
      this.current = info;
      this.move('registered', `granted ${info.expires} s`, undefined, info);
      // The answer itself may have shown a new public address (a NAT that re-mapped us): bind it now.
      if (!sameContact(info.contact, this.core.contactUri())) this.schedule(0, 'contact changed', 0);
      else this.schedule(info.expires * 1000 * this.opts.refreshAt, 'refresh');
      return info;
    } catch (e) {
      if (this.core.closed) {
        if (!this.fsm.is('unregistered')) this.move('unregistered', 'closed');
      } else {
        this.move('failed', e instanceof Error ? e.message : String(e), e);
        this.current = undefined;
        // A refresh that failed keeps trying: the binding may come back (RFC 3261 §10.2.4 leaves it to us).
        if (state === 'refreshing') this.schedule(this.opts.retryMs, 'retry');
      }
      throw e;
    }
  }

  private async exchange(expires: number): Promise<RegistrationInfo> {
    let asked = expires;
    for (let attempt = 0; ; attempt++) {
      // Built per round: the 401 to the first REGISTER may have taught us our public address.
      let contact = this.core.contactUri();
      const res = await this.core.requestWithAuth(() => {
        contact = this.core.contactUri();
        const previous = this.current && !sameContact(this.current.contact, contact) ? this.current.contact : undefined;
        return this.build([`<${contact}>;expires=${asked}`, ...(previous ? [`<${previous}>;expires=0`] : [])], asked);
      });
      if (res.status >= 200 && res.status < 300) {
        const granted = grantedExpires(res, contact, asked);
        return { aor: this.core.aorText, contact, expires: granted, expiresAt: this.core.clock.now() + granted * 1000 };
      }
      const minExpires = Number(getHeader(res, 'Min-Expires') ?? NaN);
      if (res.status === 423 && attempt === 0 && Number.isInteger(minExpires) && minExpires > asked) {
        asked = minExpires;
        continue;
      }
      const response = { code: res.status, reason: res.reason };
      if (res.status === 401 || res.status === 407) {
        throw new MediapathError('SIP_AUTH_FAILED', `REGISTER still challenged after retries (${res.status})`, { layer: 'sip', peer: this.core.registrar, response });
      }
      throw new MediapathError('SIP_REJECTED', `REGISTER refused: ${res.status} ${res.reason}`, { layer: 'sip', peer: this.core.registrar, response });
    }
  }

  private build(contacts: readonly string[], expires: number): SipRequest {
    const uri = `sip:${this.core.aor.host}${this.core.aor.port ? `:${this.core.aor.port}` : ''}`;
    return sipRequest('REGISTER', uri, [
      ['Via', this.core.newVia()],
      ['Max-Forwards', '70'],
      ['From', `${this.core.fromValue()};tag=${this.core.newTag()}`],
      ['To', this.core.fromValue()],
      ['Call-ID', this.callId],
      ['CSeq', `${++this.seq} REGISTER`],
      ...contacts.map((c): [string, string] => ['Contact', c]),
      ['Expires', String(expires)],
      ['Allow', ALLOW],
      ...this.core.commonHeaders(),
      ...this.core.authHeaders('REGISTER', uri),
    ]);
  }

  private refresh(reason: string): void {
    if (this.inFlight || this.core.closed) return;
    const from = this.fsm.is('registered') ? 'refreshing' : 'registering';
    this.inFlight = this.run(from, reason).finally(() => (this.inFlight = undefined));
    this.inFlight.catch(() => undefined);
  }

  private schedule(ms: number, reason: string, floorMs = 1000): void {
    this.clearTimer();
    this.timer = this.core.clock.setTimeout(() => {
      this.timer = undefined;
      this.refresh(reason);
    }, Math.max(floorMs, ms));
  }

  private clearTimer(): void {
    this.core.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private move(to: RegistrationState, reason: string, error?: unknown, info?: RegistrationInfo): void {
    const t = this.fsm.transition(to, reason);
    this.core.emit({
      type: 'registration',
      at: t.at,
      aor: this.core.aorText,
      from: t.from,
      to: t.to,
      reason,
      ...(info ? { expires: info.expires, contact: info.contact } : {}),
      ...(error !== undefined ? { error: toErrorInfo(error) } : {}),
    });
  }
}
