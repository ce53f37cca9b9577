import { err, ok, type Result } from '../../common/result';
import { emptyParams, type Params } from '../../sip/params';
import { parseSipUri } from '../../sip/uri';
import type { Binding, Flow, RegistrationLimits } from './types';

export const DEFAULT_REGISTRATION_LIMITS: RegistrationLimits = { minExpires: 10, maxExpires: 7200, defaultExpires: 3600, maxBindingsPerAor: 10 };

/** Bound on all bindings together, so a flood of REGISTERs cannot grow the table without end. */
const MAX_TOTAL_BINDINGS = 10_000;

/** One Contact of a REGISTER, already parsed. */
export interface ContactUpdate {
  readonly uri: string;
  readonly params: Params;
}

export interface RegisterUpdate {
  readonly aor: string;
  /** `'*'`: remove every binding (RFC 3261 §10.2.2). Empty: a query. */
  readonly contacts: readonly ContactUpdate[] | '*';
  /** The request's Expires header, in seconds, if any. */
  readonly expiresHeader?: number;
  readonly callId: string;
  readonly cseq: number;
  readonly flow: Flow;
  readonly now: number;
}

export interface BindingChange {
  readonly binding: Binding;
  readonly state: 'registered' | 'refreshed' | 'unregistered';
  /** Seconds granted; 0 when removed. */
  readonly expires: number;
}

export interface RegisterRefusal {
  readonly status: 400 | 423 | 500 | 503;
  readonly reason: string;
  /** For 423: the Min-Expires to send. */
  readonly minExpires?: number;
}

/**
 * Comparable form of a contact URI (RFC 3261 §19.1.4, the parts that matter for a binding):
 * scheme, user, host case-insensitively, port, transport. Anything unparsable is compared as
 * written.
 */
export function contactKey(uri: string): string {
  const u = parseSipUri(uri);
  if (!u.ok) return uri.trim();
  const transport = (u.value.params['transport'] ?? '').toLowerCase();
  return `${u.value.scheme}:${u.value.user ?? ''}@${u.value.host.toLowerCase()}:${u.value.port ?? ''};transport=${transport}`;
}

/**
 * The registrar's location service (RFC 3261 §10.3): bindings per address-of-record with their
 * expiry, the Call-ID/CSeq ordering rule, wildcard removal. Sans-IO: time comes in as `now`,
 * expiry is applied by `expire(now)`, whose next due time is `nextExpiry()`.
 */
export class LocationTable {
  private readonly byAor = new Map<string, Map<string, Binding>>();
  private total = 0;

  constructor(private readonly limits: RegistrationLimits = DEFAULT_REGISTRATION_LIMITS) {}

  get size(): number {
    return this.total;
  }

  /** Applies one REGISTER. The whole request succeeds or nothing changes (§10.3 step 7). */
  apply(u: RegisterUpdate): Result<{ changes: BindingChange[]; bindings: Binding[] }, RegisterRefusal> {
    const current = this.byAor.get(u.aor) ?? new Map<string, Binding>();
    if (u.contacts === '*') {
      // §10.3 step 6: '*' only with Expires 0 (the caller checked there is one Contact).
      if (u.expiresHeader !== 0) return err({ status: 400, reason: 'Contact * needs Expires: 0' });
      for (const b of current.values()) {
        if (b.callId === u.callId && u.cseq <= b.cseq) return err({ status: 500, reason: 'CSeq not above the one of the registration it would remove' });
      }
      const changes = [...current.values()].map((binding): BindingChange => ({ binding, state: 'unregistered', expires: 0 }));
      this.total -= current.size;
      this.byAor.delete(u.aor);
      return ok({ changes, bindings: [] });
    }
    const next = new Map(current);
    const changes: BindingChange[] = [];
    for (const c of u.contacts) {
      const raw = c.params['expires'];
      let expires = raw !== undefined && raw !== null && /^\d{1,10}$/.test(raw) ? Number(raw) : (u.expiresHeader ?? this.limits.defaultExpires);
      if (expires > 0 && expires < this.limits.minExpires) {
        return err({ status: 423, reason: `expiry ${expires} s is below ${this.limits.minExpires} s`, minExpires: this.limits.minExpires });
      }
      expires = Math.min(expires, this.limits.maxExpires);
      const key = contactKey(c.uri);
      const old = next.get(key);
      // §10.3 step 7: same Call-ID needs a higher CSeq, or the update is out of order.
      if (old && old.callId === u.callId && u.cseq <= old.cseq) {
        return err({ status: 500, reason: `CSeq ${u.cseq} is not above ${old.cseq} for this Call-ID` });
      }
      const params = emptyParams();
      for (const [k, v] of Object.entries(c.params)) if (k !== 'expires') params[k] = v;
      if (expires === 0) {
        if (old) {
          next.delete(key);
          changes.push({ binding: old, state: 'unregistered', expires: 0 });
        }
        continue;
      }
      const binding: Binding = {
        aor: u.aor,
        contact: c.uri,
        params,
        callId: u.callId,
        cseq: u.cseq,
        flow: u.flow,
        registeredAt: old?.registeredAt ?? u.now,
        expiresAt: u.now + expires * 1000,
      };
      next.delete(key); // re-insert: Map order is registration recency
      next.set(key, binding);
      changes.push({ binding, state: old ? 'refreshed' : 'registered', expires });
    }
    if (next.size > this.limits.maxBindingsPerAor) return err({ status: 503, reason: `more than ${this.limits.maxBindingsPerAor} contacts for ${u.aor}` });
    const grown = next.size - current.size;
    if (grown > 0 && this.total + grown > MAX_TOTAL_BINDINGS) return err({ status: 503, reason: 'location table full' });
    this.total += grown;
    if (next.size === 0) this.byAor.delete(u.aor);
    else this.byAor.set(u.aor, next);
    return ok({ changes, bindings: this.lookup(u.aor, u.now) });
  }

  /** Live bindings of an address-of-record, most recently registered first. */
  lookup(aor: string, now: number): Binding[] {
    const m = this.byAor.get(aor);
    if (!m) return [];
    return [...m.values()].filter((b) => b.expiresAt > now).reverse();
  }

  /** The live binding whose contact is this URI (an in-dialog request's target). */
  byContact(uri: string, now: number): Binding | undefined {
    const key = contactKey(uri);
    for (const m of this.byAor.values()) {
      const b = m.get(key);
      if (b && b.expiresAt > now) return b;
    }
    return undefined;
  }

  /** Every live binding. */
  all(now: number): Binding[] {
    return [...this.byAor.values()].flatMap((m) => [...m.values()]).filter((b) => b.expiresAt > now);
  }

  /** Removes bindings whose time is up and returns them. */
  expire(now: number): Binding[] {
    const gone: Binding[] = [];
    for (const [aor, m] of this.byAor) {
      for (const [k, b] of m) {
        if (b.expiresAt <= now) {
          m.delete(k);
          gone.push(b);
        }
      }
      if (m.size === 0) this.byAor.delete(aor);
    }
    this.total -= gone.length;
    return gone;
  }

  nextExpiry(): number | undefined {
    let at: number | undefined;
    for (const m of this.byAor.values()) for (const b of m.values()) if (at === undefined || b.expiresAt < at) at = b.expiresAt;
    return at;
  }

  clear(): void {
    this.byAor.clear();
    this.total = 0;
  }
}
