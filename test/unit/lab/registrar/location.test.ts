import { describe, expect, it } from 'vitest';
import { contactKey, LocationTable } from '../../../../main/lab/registrar/location';
import type { Flow } from '../../../../main/lab/registrar/types';
import { emptyParams, type Params } from '../../../../main/sip/params';

const flow: Flow = { transport: 'udp', remote: { ip: '192.0.2.1', port: 5060 } };
const AOR = 'sip:alice@lab.test';

function params(p: Record<string, string | null> = {}): Params {
  return Object.assign(emptyParams(), p);
}

function reg(t: LocationTable, contacts: Array<{ uri: string; expires?: string }> | '*', o: { cseq: number; now: number; callId?: string; expiresHeader?: number }) {
  return t.apply({
    aor: AOR,
    contacts: contacts === '*' ? '*' : contacts.map((c) => ({ uri: c.uri, params: params(c.expires !== undefined ? { expires: c.expires } : {}) })),
    ...(o.expiresHeader !== undefined ? { expiresHeader: o.expiresHeader } : {}),
    callId: o.callId ?? 'call-1',
    cseq: o.cseq,
    flow,
    now: o.now,
  });
}

describe('LocationTable (RFC 3261 §10.3)', () => {
  it('compares contacts by scheme, user, host (any case), port and transport', () => {
    expect(contactKey('sip:alice@HOST.test:5062;transport=TCP')).toBe(contactKey('sip:alice@host.test:5062;transport=tcp;ob'));
    expect(contactKey('sip:alice@host.test:5062')).not.toBe(contactKey('sip:alice@host.test:5063'));
  });

  it('registers with the default or asked expiry, refreshes, and lists most recent first', () => {
    const t = new LocationTable();
    const r1 = reg(t, [{ uri: 'sip:alice@192.0.2.1:5060' }], { cseq: 1, now: 0 });
    expect(r1.ok && r1.value.changes).toMatchObject([{ state: 'registered', expires: 3600 }]);
    const r2 = reg(t, [{ uri: 'sip:alice@192.0.2.2:5060', expires: '120' }], { cseq: 2, now: 1000 });
    expect(r2.ok && r2.value.bindings.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.2:5060', 'sip:alice@192.0.2.1:5060']);
    const r3 = reg(t, [{ uri: 'sip:alice@192.0.2.1:5060' }], { cseq: 3, now: 2000, expiresHeader: 600 });
    expect(r3.ok && r3.value.changes).toMatchObject([{ state: 'refreshed', expires: 600 }]);
    expect(t.lookup(AOR, 2000)[0]!.contact).toBe('sip:alice@192.0.2.1:5060');
    expect(t.lookup(AOR, 2000)[0]!.registeredAt).toBe(0);
    expect(t.size).toBe(2);
  });

  it('refuses a too-brief expiry with 423 and Min-Expires, and cuts a too-long one', () => {
    const t = new LocationTable();
    expect(reg(t, [{ uri: 'sip:a@192.0.2.1', expires: '5' }], { cseq: 1, now: 0 })).toMatchObject({ ok: false, error: { status: 423, minExpires: 10 } });
    const r = reg(t, [{ uri: 'sip:a@192.0.2.1', expires: '999999' }], { cseq: 1, now: 0 });
    expect(r.ok && r.value.changes[0]!.expires).toBe(7200);
  });

  it('aborts an out-of-order update from the same Call-ID (§10.3 step 7), but takes another Call-ID', () => {
    const t = new LocationTable();
    reg(t, [{ uri: 'sip:a@192.0.2.1' }], { cseq: 5, now: 0 });
    expect(reg(t, [{ uri: 'sip:a@192.0.2.1' }], { cseq: 5, now: 1 })).toMatchObject({ ok: false, error: { status: 500 } });
    expect(reg(t, [{ uri: 'sip:a@192.0.2.1' }], { cseq: 1, now: 1, callId: 'other' }).ok).toBe(true);
  });

  it('un-registers one contact with expires=0, and all with * and Expires: 0', () => {
    const t = new LocationTable();
    reg(t, [{ uri: 'sip:a@192.0.2.1' }, { uri: 'sip:a@192.0.2.2' }], { cseq: 1, now: 0 });
    const one = reg(t, [{ uri: 'sip:a@192.0.2.1', expires: '0' }], { cseq: 2, now: 1 });
    expect(one.ok && one.value.changes).toMatchObject([{ state: 'unregistered', expires: 0 }]);
    expect(t.lookup(AOR, 1)).toHaveLength(1);
    expect(reg(t, '*', { cseq: 3, now: 2 })).toMatchObject({ ok: false, error: { status: 400 } });
    const all = reg(t, '*', { cseq: 3, now: 2, expiresHeader: 0 });
    expect(all.ok && all.value.changes.map((c) => c.state)).toEqual(['unregistered']);
    expect(t.lookup(AOR, 2)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('expires bindings on time and says when the next one is due', () => {
    const t = new LocationTable();
    reg(t, [{ uri: 'sip:a@192.0.2.1', expires: '60' }, { uri: 'sip:a@192.0.2.2', expires: '30' }], { cseq: 1, now: 0 });
    expect(t.nextExpiry()).toBe(30_000);
    expect(t.lookup(AOR, 30_000).map((b) => b.contact)).toEqual(['sip:a@192.0.2.1']);
    expect(t.expire(30_000).map((b) => b.contact)).toEqual(['sip:a@192.0.2.2']);
    expect(t.nextExpiry()).toBe(60_000);
    expect(t.byContact('sip:a@192.0.2.1', 59_999)?.aor).toBe(AOR);
    expect(t.byContact('sip:a@192.0.2.1', 60_000)).toBeUndefined();
    t.expire(60_000);
    expect(t.size).toBe(0);
    expect(t.nextExpiry()).toBeUndefined();
  });

  it('bounds the contacts of one address-of-record', () => {
    const t = new LocationTable();
    const many = Array.from({ length: 11 }, (_, i) => ({ uri: `sip:a@192.0.2.${i + 1}` }));
    expect(reg(t, many, { cseq: 1, now: 0 })).toMatchObject({ ok: false, error: { status: 503 } });
    expect(t.size).toBe(0);
  });
});
