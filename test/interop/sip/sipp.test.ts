import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { NodeNet } from '../../../main/net/node/node-net';
import { type ServerCall, SipUserAgent, type SipUserAgentOptions } from '../../../main/sip/ua';
import { pickFreePort } from '../../support/ports';
import { SIPP_FIXTURES, SippProcess, waitForSippPort } from '../../support/sipp';

// Our user agent against SIPp (Debian sip-tester), a SIP implementation that is not ours: SIPp
// checks our digest with its own code, answers our INVITE, and calls us.

const SDP = { body: 'v=0\r\no=mediapath 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n', contentType: 'application/sdp' };

function agent(net: NodeNet, clock: RealClock, extra: Partial<SipUserAgentOptions> & Pick<SipUserAgentOptions, 'registrar' | 'transport'>): SipUserAgent {
  return new SipUserAgent({ net, clock, random: new CryptoRandom(), aor: 'sip:alice@lab.test', password: 'alice-pw', ...extra });
}

async function finish(sipp: SippProcess, net: NodeNet, clock: RealClock, ...uas: SipUserAgent[]) {
  await Promise.all(uas.map((u) => u.close()));
  const result = await sipp.done;
  expect(result.code, `sipp exit ${result.code}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`).toBe(0);
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
}

/** Runs `body`; when it fails, the error carries what SIPp printed (the flaky-run evidence). */
async function withSipp(sipp: SippProcess, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const r = await sipp.stop();
    const detail = `sipp exit ${r.code} ${r.signal ?? ''}\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
    if (e instanceof Error) e.message = `${e.message}\n${detail}`;
    throw e;
  } finally {
    await sipp.stop();
  }
}

describe('SipUserAgent against SIPp', () => {
  it('registers with MD5 qop=auth digest that SIPp verifies, and un-registers on close', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'ua-registrar.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1']);
    await withSipp(sipp, async () => {
      await waitForSippPort('127.0.0.1', port, 'udp');
      const ua = agent(net, clock, { transport: 'udp', registrar: { address: '127.0.0.1', port } });
      const info = await ua.register(300);
      expect(info.expires).toBe(300);
      await finish(sipp, net, clock, ua);
    });
  });

  it('a wrong password fails SIPp\'s check: 403 surfaces as SIP_REJECTED', async () => {
    const net = new NodeNet();
    const clock = new RealClock();
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    const sipp = new SippProcess(['-sf', path.join(SIPP_FIXTURES, 'ua-registrar.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1'], 3);
    await withSipp(sipp, async () => {
      await waitForSippPort('127.0.0.1', port, 'udp');
      const ua = agent(net, clock, { transport: 'udp', registrar: { address: '127.0.0.1', port }, password: 'not-alice-pw' });
      await expect(ua.register(300)).rejects.toMatchObject({ code: 'SIP_REJECTED', detail: { response: { code: 403 } } });
      await ua.close();
      // SIPp waits for an un-REGISTER that never comes and ends in error.
      expect((await sipp.done).code).not.toBe(0);
      expect(net.openResources()).toBe(0);
    });
  });

  for (const kind of ['udp', 'tcp'] as const) {
    it(`${kind}: SIPp's UAS answers our INVITE (180, 200 with SDP); we ACK and hang up`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const port = await pickFreePort('127.0.0.1', { udp: true, tcp: true });
      const sipp = new SippProcess(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1', ...(kind === 'tcp' ? ['-t', 't1'] : [])]);
      await withSipp(sipp, async () => {
        await waitForSippPort('127.0.0.1', port, kind);
        const ua = agent(net, clock, { transport: kind, registrar: { address: '127.0.0.1', port } });
        const call = ua.invite(`sip:service@127.0.0.1:${port}`, SDP);
        const progress: number[] = [];
        call.on('progress', (p) => progress.push(p.status));
        const ok = await call.answered;
        expect(ok.status).toBe(200);
        expect(ok.body).toContain('m=audio');
        expect(progress).toContain(180);
        expect((await call.bye())?.status).toBe(200);
        await finish(sipp, net, clock, ua);
      });
    });

    it(`${kind}: SIPp's UAC calls us; we answer, get the ACK, and take its BYE`, async () => {
      const net = new NodeNet();
      const clock = new RealClock();
      const sippPort = await pickFreePort('127.0.0.1', { udp: true, tcp: true });
      const ua = agent(net, clock, { transport: kind, registrar: { address: '127.0.0.1', port: sippPort }, local: { ip: '127.0.0.1', port: 0 } });
      await ua.start();
      const calls: ServerCall[] = [];
      const confirmed = new Promise<ServerCall>((resolve) =>
        ua.onIncomingCall((c) => {
          calls.push(c);
          c.progress(180);
          void c.accept(SDP).then(() => resolve(c));
        }),
      );
      const sipp = new SippProcess([
        '-sn', 'uac', `127.0.0.1:${ua.localAddress!.port}`, '-s', 'alice', '-i', '127.0.0.1', '-p', String(sippPort), '-m', '1', '-d', '200',
        ...(kind === 'tcp' ? ['-t', 't1'] : []),
      ]);
      await withSipp(sipp, async () => {
        const callee = await confirmed;
        expect(callee.offer?.body).toContain('m=audio');
        expect(await callee.ended).toEqual({ reason: 'remote-bye' });
        expect(calls).toHaveLength(1);
        await finish(sipp, net, clock, ua);
      });
    });
  }
});
