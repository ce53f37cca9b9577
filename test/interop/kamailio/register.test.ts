import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { CryptoRandom } from '../../../main/common/random';
import type { KamailioInstance } from '../../../main/lab/kamailio';
import { NodeNet } from '../../../main/net/node/node-net';
import { type RegistrationEvent, SipUserAgent, type UaEvent } from '../../../main/sip/ua';
import { DOMAIN, kamailioErrors, startLabKamailio, USERS, type UserName, withKamailioLog } from './harness';

// Our SIP user agent against Kamailio (Debian's 5.6, a registrar we did not write): REGISTER with
// digest (401, qop=auth) over UDP and TCP, the binding seen in Kamailio's own location table,
// refresh before expiry, un-REGISTER on close, a wrong password surfaced as SIP_AUTH_FAILED.

let kam: KamailioInstance;
beforeAll(async () => {
  kam = await startLabKamailio();
});
afterAll(async () => {
  // Read before stopping: Kamailio's workers complain about closed pipes while it shuts down.
  const errors = kam ? kamailioErrors(kam) : [];
  await kam?.stop();
  expect(errors).toEqual([]);
});

function ua(net: NodeNet, clock: RealClock, kind: 'udp' | 'tcp', user: UserName, events: UaEvent[] = [], password: string = USERS[user]): SipUserAgent {
  return new SipUserAgent({
    net,
    clock,
    random: new CryptoRandom(),
    transport: kind,
    registrar: { address: kam.udp.ip, port: kam.udp.port },
    aor: `sip:${user}@${DOMAIN}`,
    password,
    onEvent: (e) => events.push(e),
  });
}

describe('SipUserAgent against Kamailio', () => {
  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: registers with digest, the binding is in Kamailio's location table, un-REGISTER on close removes it`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const events: UaEvent[] = [];
      const alice = ua(net, clock, kind, 'alice', events);
      await withKamailioLog(kam, async () => {
        try {
          const t0 = performance.now();
          const reg = await alice.register(600);
          const ms = performance.now() - t0;
          expect(reg.expires).toBe(600);
          expect(alice.registrationState).toBe('registered');
          const bound = await kam.bindings('alice');
          expect(bound).toHaveLength(1);
          expect(bound[0]!.contact).toBe(alice.contact);
          // fix_nated_register kept where the REGISTER came from: the flow a call comes back on.
          expect(bound[0]!.received).toMatch(kind === 'udp' ? /^sip:127\.0\.0\.1:\d+$/ : /^sip:127\.0\.0\.1:\d+;transport=tcp$/);
          // The exchange as the ladder sees it: REGISTER, 401 with a qop=auth challenge, REGISTER, 200.
          const statuses = events.filter((e) => e.type === 'sip.received').map((e) => /^SIP\/2\.0 (\d{3})/.exec(String((e as { text?: string }).text))?.[1]);
          expect(statuses.slice(0, 2)).toEqual(['401', '200']);
          const challenge = events.find((e) => e.type === 'sip.received' && /^SIP\/2\.0 401/.test(String((e as { text?: string }).text)));
          expect(String((challenge as { text?: string }).text)).toMatch(/WWW-Authenticate: Digest realm="lab\.test".*qop="auth"/);
          console.info(`kamailio ${kind}: REGISTER with digest in ${ms.toFixed(1)} ms`);
        } finally {
          await alice.close();
        }
        expect(await kam.bindings('alice')).toEqual([]);
      });
      expect(net.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });

    it(`${kind}: refreshes a short binding before it lapses (same Call-ID, CSeq up)`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const events: UaEvent[] = [];
      const bob = ua(net, clock, kind, 'bob', events);
      await withKamailioLog(kam, async () => {
        try {
          await bob.register(2);
          // 80 % of 2 s: a refresh at ~1.6 s; wait for two so the refreshed binding is refreshed again.
          await waitFor(() => events.filter((e): e is RegistrationEvent => e.type === 'registration' && e.from === 'refreshing' && e.to === 'registered').length >= 2, 8000);
          const bound = await kam.bindings('bob');
          expect(bound).toHaveLength(1);
          expect(bound[0]!.expires).toBeGreaterThan(0);
          const registers = events.filter((e) => e.type === 'sip.sent' && /^REGISTER /.test(String((e as { text?: string }).text))).map((e) => String((e as { text?: string }).text));
          const callIds = new Set(registers.map((t) => /^Call-ID: (.*)$/im.exec(t)?.[1]?.trim()));
          expect(callIds.size).toBe(1);
          const cseqs = registers.map((t) => Number(/^CSeq: (\d+)/im.exec(t)?.[1]));
          expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
          expect(new Set(cseqs).size).toBe(cseqs.length);
        } finally {
          await bob.close();
        }
        expect(await kam.bindings('bob')).toEqual([]);
      });
      expect(net.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });

    it(`${kind}: a wrong password is SIP_AUTH_FAILED with Kamailio's 401, and nothing is bound`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const carol = ua(net, clock, kind, 'carol', [], 'not-her-password');
      try {
        const e = await carol.register(600).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(MediapathError);
        expect((e as MediapathError).code).toBe('SIP_AUTH_FAILED');
        expect((e as MediapathError).detail?.response?.code).toBe(401);
        expect(carol.registrationState).toBe('failed');
        expect(await kam.bindings('carol')).toEqual([]);
      } finally {
        await carol.close();
      }
      expect(net.openResources()).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
    });
  }
});

describe('SipUserAgent against Kamailio with SHA-256 digest', () => {
  it('udp: answers an algorithm=SHA-256 challenge (RFC 8760)', async () => {
    const sha = await startLabKamailio({ digest: 'SHA-256' });
    const net = new NodeNet();
    const clock = new RealClock();
    const events: UaEvent[] = [];
    const alice = new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: 'udp', registrar: { address: sha.udp.ip, port: sha.udp.port }, aor: `sip:alice@${DOMAIN}`, password: USERS.alice, onEvent: (e) => events.push(e) });
    try {
      await withKamailioLog(sha, async () => {
        expect((await alice.register(600)).expires).toBe(600);
        const challenge = events.map((e) => String((e as { text?: string }).text ?? '')).find((t) => /^SIP\/2\.0 401 /.test(t));
        expect(challenge).toMatch(/algorithm=SHA-256/);
        const signed = events.filter((e) => e.type === 'sip.sent').map((e) => String((e as { text?: string }).text)).find((t) => /^Authorization: Digest /im.test(t));
        expect(signed).toMatch(/algorithm=SHA-256/);
        expect(await sha.bindings('alice')).toHaveLength(1);
      });
    } finally {
      await alice.close();
      await sha.stop();
    }
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('SipUserAgent against Kamailio with nonces that expire', () => {
  it('udp: a refresh meets 401 stale=true, re-signs with the new nonce, and the binding stays', async () => {
    const short = await startLabKamailio({ nonceExpireSec: 1 });
    const net = new NodeNet();
    const clock = new RealClock();
    const events: UaEvent[] = [];
    const alice = new SipUserAgent({ net, clock, random: new CryptoRandom(), transport: 'udp', registrar: { address: short.udp.ip, port: short.udp.port }, aor: `sip:alice@${DOMAIN}`, password: USERS.alice, onEvent: (e) => events.push(e) });
    try {
      await withKamailioLog(short, async () => {
        await alice.register(3);
        // The refresh at 80 % of 3 s carries a nonce Kamailio already considers expired (1 s).
        await waitFor(() => events.some((e) => e.type === 'registration' && e.from === 'refreshing' && e.to === 'registered'), 8000);
        const got = events.filter((e) => e.type === 'sip.received').map((e) => String((e as { text?: string }).text));
        const stale = got.filter((t) => /^SIP\/2\.0 401 /.test(t) && /stale=true/i.test(t));
        expect(stale.length, got.map((t) => t.split('\r\n')[0]).join(' | ')).toBeGreaterThanOrEqual(1);
        expect(events.some((e) => e.type === 'registration' && e.to === 'failed')).toBe(false);
        expect(alice.registrationState).toBe('registered');
        expect(await short.bindings('alice')).toHaveLength(1);
      });
    } finally {
      await alice.close();
      const errors = kamailioErrors(short);
      await short.stop();
      expect(errors).toEqual([]);
    }
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

async function waitFor(cond: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
