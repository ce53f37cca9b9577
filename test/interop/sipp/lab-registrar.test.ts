import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import type { RegistrarEvent } from '../../../main/lab/registrar';
import { startSipLab, type SipLab } from '../../../main/lab/sip-lab';
import { NodeNet } from '../../../main/net/node/node-net';
import { SipUserAgent } from '../../../main/sip/ua';
import { expectSippOk, runSipp, type SippRun } from './harness';

// SIPp (Debian sip-tester), a SIP implementation that is not ours, against the lab registrar
// the product ships (startSipLab, what `mediapath lab sip` runs): SIPp registers with its own
// digest code; afterwards our user agent still registers there.

const USERS = { alice: 'alice-pw', bob: 'bob-pw' };
// SIPp's digest `uri` defaults to remote_ip:remote_port; RFC 3261 §22.4 wants the Request-URI,
// which the registrar checks.
const AUTH_URI = ['-auth_uri', 'lab.test'];
const net = new NodeNet();
const clock = new RealClock();
const cleanup: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

async function lab(): Promise<{ lab: SipLab; events: RegistrarEvent[] }> {
  const events: RegistrarEvent[] = [];
  const l = await startSipLab({ host: '127.0.0.1', port: 0, domain: 'lab.test', users: USERS, digest: 'MD5', net, clock, onEvent: (e) => events.push(e) });
  cleanup.push(() => l.stop());
  return { lab: l, events };
}

function sipp(...args: Parameters<typeof runSipp>): Promise<SippRun> {
  return runSipp(...args).then((r) => {
    cleanup.push(() => r.sipp.stop());
    return r;
  });
}

/** Our own agent registers and un-registers: the registrar still serves after what SIPp did. */
async function stillServes(l: SipLab, transport: 'udp' | 'tcp'): Promise<void> {
  const ua = new SipUserAgent({ net, clock, random: new CryptoRandom(), transport, registrar: { address: '127.0.0.1', port: l.summary.sip[transport]! }, aor: 'sip:bob@lab.test', password: USERS.bob });
  try {
    expect((await ua.register(120)).expires).toBe(120);
  } finally {
    await ua.close();
  }
}

describe('SIPp UAC against the lab registrar', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: registers with SIPp's digest ([authentication] -au/-ap), then un-registers`, async () => {
      const { lab: l, events } = await lab();
      const run = await sipp('lab-uac-register.xml', `127.0.0.1:${l.summary.sip[transport]}`, transport, ['-s', 'alice', '-au', 'alice', '-ap', USERS.alice, ...AUTH_URI]);
      await expectSippOk(run);
      const regs = events.filter((e): e is Extract<RegistrarEvent, { type: 'registration' }> => e.type === 'registration');
      expect(regs.map((e) => [e.aor, e.state, e.transport])).toEqual([
        ['sip:alice@lab.test', 'registered', transport],
        ['sip:alice@lab.test', 'unregistered', transport],
      ]);
      expect(regs[0]!.contact).toBe(`sip:alice@127.0.0.1:${run.port};transport=${transport.toUpperCase()}`);
      expect(l.registrar.bindings()).toEqual([]);
      expect(events.filter((e) => e.type === 'registrar.error')).toEqual([]);
      await stillServes(l, transport);
    });

    it(`${transport}: a wrong password gets a fresh 401, never a binding`, async () => {
      const { lab: l, events } = await lab();
      const run = await sipp('lab-uac-register-refused.xml', `127.0.0.1:${l.summary.sip[transport]}`, transport, ['-s', 'alice', '-au', 'alice', '-ap', 'not-the-password', ...AUTH_URI]);
      await expectSippOk(run);
      expect(events.filter((e) => e.type === 'registration')).toEqual([]);
      const challenges = events.filter((e): e is Extract<RegistrarEvent, { type: 'auth.challenge' }> => e.type === 'auth.challenge');
      expect(challenges).toHaveLength(2);
      expect(challenges[1]).toMatchObject({ status: 401, stale: false, user: 'alice' });
      await stillServes(l, transport);
    });
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: malformed requests get 400 (416 for a tel: URI) or nothing when no answer can be built; the registrar serves on`, async () => {
      const { lab: l, events } = await lab();
      const run = await sipp('lab-malformed.xml', `127.0.0.1:${l.summary.sip[transport]}`, transport, ['-s', 'alice']);
      await expectSippOk(run);
      const parseErrors = events.filter((e): e is Extract<RegistrarEvent, { type: 'sip.parse-error' }> => e.type === 'sip.parse-error');
      expect(parseErrors.map((e) => e.answered)).toEqual([true, true, false, false]);
      expect(events.filter((e) => e.type === 'registrar.error')).toEqual([]);
      await stillServes(l, transport);
    });
  }

  it('udp: datagrams a stream could not frame — a line that is no header, a short body (RFC 3261 §18.3) — get 400; non-SIP is dropped', async () => {
    const { lab: l, events } = await lab();
    const run = await sipp('lab-malformed-udp.xml', `127.0.0.1:${l.summary.sip.udp}`, 'udp', ['-s', 'alice']);
    await expectSippOk(run);
    const parseErrors = events.filter((e): e is Extract<RegistrarEvent, { type: 'sip.parse-error' }> => e.type === 'sip.parse-error');
    expect(parseErrors.map((e) => e.answered)).toEqual([true, true, false]);
    expect(parseErrors[1]!.reason).toMatch(/Content-Length 500/);
    expect(events.filter((e) => e.type === 'registrar.error')).toEqual([]);
    await stillServes(l, 'udp');
  });

  // Retransmissions are a UDP matter (RFC 3261 §17.1.1.2: no retransmission over TCP; a copy on
  // TCP after the transaction ended is a new request).
  it('udp: retransmissions are absorbed (one challenge, one binding), a late older CSeq is refused 500, strays are absorbed, CANCEL of nothing 481', async () => {
    const { lab: l, events } = await lab();
    const run = await sipp('lab-retrans-reorder.xml', `127.0.0.1:${l.summary.sip.udp}`, 'udp', ['-s', 'alice', '-au', 'alice', '-ap', USERS.alice, ...AUTH_URI, '-nr']);
    await expectSippOk(run);
    const wire = (type: 'sip.sent' | 'sip.received'): string[] => events.flatMap((e) => (e.type === type ? [e.text] : []));
    const sent = wire('sip.sent');
    const received = wire('sip.received');
    const both = (re: RegExp, cseq: string): string[] => sent.filter((t) => re.test(t) && t.includes(`\r\nCSeq: ${cseq}\r\n`));
    // The copy got the Completed transaction's answer again, byte for byte: one challenge, one nonce.
    expect(received.filter((t) => t.startsWith('REGISTER ') && t.includes('\r\nCSeq: 1 REGISTER\r\n'))).toHaveLength(2);
    const cseq1 = both(/^SIP\/2\.0 401 /, '1 REGISTER');
    expect(cseq1).toHaveLength(2);
    expect(cseq1[1]).toBe(cseq1[0]);
    expect(events.filter((e) => e.type === 'auth.challenge' && e.user === undefined)).toHaveLength(1);
    // The authenticated copy: the same 200, and one binding (no refresh).
    const cseq5 = both(/^SIP\/2\.0 200 /, '5 REGISTER');
    expect(cseq5).toHaveLength(2);
    expect(cseq5[1]).toBe(cseq5[0]);
    const regs = events.filter((e): e is Extract<RegistrarEvent, { type: 'registration' }> => e.type === 'registration');
    expect(regs.map((e) => e.state)).toEqual(['registered', 'unregistered']);
    expect(sent.filter((t) => /^SIP\/2\.0 500/.test(t) && /\r\nCSeq: 4 REGISTER\r\n/.test(t))).toHaveLength(1);
    expect(sent.filter((t) => /^SIP\/2\.0 481/.test(t))).toHaveLength(1);
    // Nothing answered the stray ACK or the stray response.
    expect(sent.filter((t) => /\r\nCSeq: 7[78] /.test(t))).toEqual([]);
    expect(events.filter((e) => e.type === 'registrar.error')).toEqual([]);
    expect(l.registrar.bindings()).toEqual([]);
    await stillServes(l, 'udp');
  });
});
