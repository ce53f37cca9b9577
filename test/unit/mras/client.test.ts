import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import { MrasClient, type MrasClientEvent, type MrasServiceAnswer } from '../../../main/mras/client';
import { MRAS_CONTENT_TYPE, type MediaRelay } from '../../../main/mras/types';
import { buildMrasResponse, parseMrasRequest } from '../../../main/mras/xml';

const MRAS_URI = 'sip:mras@lab.test;gruu;opaque=srvr:MRAS:lab';
const RELAY: MediaRelay = { location: 'internet', hostName: 'av.lab.test', udpPort: 3478, tcpPort: 443 };
const MIN = 60_000;

type Behaviour = 'ok' | 'refuse' | '415' | 'garbage' | 'sip-timeout' | 'hang' | 'stale-id' | { duration: number };

/** A scripted MRAS service: each call takes the next behaviour (the last one repeats). */
function fakeService(script: Behaviour[]) {
  const requests: string[] = [];
  let n = 0;
  const request = (xml: string): Promise<MrasServiceAnswer> => {
    requests.push(xml);
    const b = script[Math.min(n++, script.length - 1)]!;
    const parsed = parseMrasRequest(xml);
    if (!parsed.ok) throw new Error(`client sent bad XML: ${parsed.error.reason}`);
    const req = parsed.value;
    const answer = (reasonPhrase: string, durationMinutes = req.credentialsRequests[0]!.durationMinutes, requestId = req.requestId): MrasServiceAnswer => ({
      status: 200,
      contentType: MRAS_CONTENT_TYPE,
      body: buildMrasResponse({
        requestId,
        version: '2.0',
        serverVersion: '2.0',
        to: req.to,
        from: req.from,
        reasonPhrase,
        credentialsResponses:
          reasonPhrase === 'OK'
            ? [{ credentialsRequestId: req.requestId, credentials: { username: `u${n}`, password: `secret-pw-${n}`, durationMinutes }, mediaRelays: [RELAY] }]
            : [],
      }),
    });
    if (b === 'ok') return Promise.resolve(answer('OK'));
    if (typeof b === 'object') return Promise.resolve(answer('OK', b.duration));
    if (b === 'refuse') return Promise.resolve(answer('Request Malformed'));
    if (b === 'stale-id') return Promise.resolve(answer('OK', 480, '999'));
    if (b === '415') return Promise.resolve({ status: 415, reason: 'Unsupported Media Type', body: '' });
    if (b === 'garbage') return Promise.resolve({ status: 200, contentType: 'text/plain', body: 'not xml <' });
    if (b === 'sip-timeout') return Promise.reject(new MediapathError('SIP_TIMEOUT', 'SERVICE got no final response (Timer F)', { layer: 'sip' }));
    return new Promise<never>(() => undefined); // 'hang'
  };
  return { request, requests };
}

function setup(script: Behaviour[], extra: Partial<ConstructorParameters<typeof MrasClient>[0]> = {}) {
  const clock = new FakeClock();
  const events: MrasClientEvent[] = [];
  const svc = fakeService(script);
  const client = new MrasClient({
    clock,
    request: svc.request,
    mrasUri: MRAS_URI,
    identity: 'sip:alice@lab.test',
    location: 'internet',
    random: new SeededRandom(7),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { clock, client, events, svc };
}

/** Lets promise callbacks run (the fake service answers in microtasks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

const ofType = <T extends MrasClientEvent['type']>(events: MrasClientEvent[], t: T) =>
  events.filter((e): e is Extract<MrasClientEvent, { type: T }> => e.type === t);

describe('MrasClient', () => {
  it('asks for identity, location and 480 minutes at the mrasUri, and returns a typed grant', async () => {
    const { client, clock, events, svc } = setup(['ok']);
    clock.advance(1000);
    const g = await client.get();
    const sent = parseMrasRequest(svc.requests[0]!);
    expect(sent.ok && sent.value).toMatchObject({
      to: MRAS_URI,
      from: 'sip:alice@lab.test',
      version: '2.0',
      credentialsRequests: [{ identity: 'sip:alice@lab.test', location: 'internet', durationMinutes: 480 }],
    });
    expect(g).toMatchObject({ username: 'u1', password: 'secret-pw-1', relays: [RELAY], durationMinutes: 480, issuedAt: 1000 });
    expect(g.expiresAt).toBe(1000 + 480 * MIN);
    expect(g.renewAt).toBe(1000 + 0.8 * 480 * MIN);
    expect(g.expiresAtWall).toBe(clock.wallNow() + 480 * MIN);
    expect(client.state).toBe('valid');
    expect(client.timeLeftMs()).toBe(480 * MIN);
    const cred = ofType(events, 'mras.credentials');
    expect(cred).toHaveLength(1);
    expect(cred[0]).toMatchObject({ username: 'u1', relays: [RELAY], expiresAt: g.expiresAt, renewal: false });
    // The password never leaves the grant: no event carries it.
    expect(JSON.stringify(events)).not.toContain('secret-pw');
    client.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('answers from the cache while the grant is live, and shares one exchange between concurrent callers', async () => {
    const { client, clock, svc } = setup(['ok']);
    const [a, b] = await Promise.all([client.get(), client.get()]);
    expect(a).toBe(b);
    clock.advance(60 * MIN);
    expect(await client.get()).toBe(a);
    expect(svc.requests).toHaveLength(1);
    expect(client.credentialsFor({ hostName: 'AV.lab.test', udpPort: 3478, tcpPort: 443 })).toBe(a);
    expect(client.credentialsFor({ hostName: 'other.lab.test', udpPort: 3478, tcpPort: 443 })).toBeUndefined();
    expect(client.timeLeftMs()).toBe(420 * MIN);
    client.close();
  });

  it('renews at 80 % of the granted duration, not before', async () => {
    const { client, clock, events, svc } = setup([{ duration: 60 }]);
    const first = await client.get();
    clock.advance(48 * MIN - 1);
    await settle();
    expect(svc.requests).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(svc.requests).toHaveLength(2);
    const second = client.current()!;
    expect(second.username).toBe('u2');
    expect(second.issuedAt).toBe(48 * MIN);
    expect(second.renewAt).toBe(96 * MIN);
    expect(ofType(events, 'mras.credentials').map((e) => e.renewal)).toEqual([false, true]);
    // The old grant's expiry timer is gone: nothing expires at 60 min.
    clock.advance(13 * MIN);
    await settle();
    expect(ofType(events, 'mras.expired')).toHaveLength(0);
    expect(first.username).toBe('u1');
    client.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('honours a custom renewAt fraction', async () => {
    const { client, clock, svc } = setup([{ duration: 100 }], { renewAt: 0.5 });
    await client.get();
    clock.advance(50 * MIN);
    await settle();
    expect(svc.requests).toHaveLength(2);
    client.close();
  });

  it('retries a failed renewal with doubling backoff, keeping the old grant meanwhile', async () => {
    const { client, clock, events, svc } = setup([{ duration: 100 }, '415', 'sip-timeout', 'ok'], { retry: { initialMs: 10_000, maxMs: 60_000 } });
    const first = await client.get();
    clock.advance(80 * MIN);
    await settle();
    expect(client.state).toBe('backoff');
    const failed = ofType(events, 'mras.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ renewal: true, error: { code: 'MRAS_FAILED', response: { code: 415 } }, retryAt: 80 * MIN + 10_000 });
    expect(await client.get()).toBe(first); // still live: no new request
    expect(svc.requests).toHaveLength(2);
    clock.advance(10_000);
    await settle();
    expect(svc.requests).toHaveLength(3);
    expect(ofType(events, 'mras.failed')[1]).toMatchObject({ error: { code: 'SIP_TIMEOUT' }, retryAt: 80 * MIN + 10_000 + 20_000 });
    clock.advance(20_000 - 1);
    await settle();
    expect(svc.requests).toHaveLength(3);
    clock.advance(1);
    await settle();
    expect(svc.requests).toHaveLength(4);
    expect(client.state).toBe('valid');
    expect(client.current()!.username).toBe('u4');
    client.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('caps the backoff and lets the grant expire when every renewal fails; the next get() asks afresh', async () => {
    const { client, clock, events, svc } = setup([{ duration: 10 }, 'refuse', 'refuse', 'refuse', 'ok'], { retry: { initialMs: 30_000, maxMs: 60_000 } });
    await client.get();
    clock.advance(8 * MIN); // renewal due
    await settle();
    for (let i = 0; i < 240; i++) {
      clock.advance(1000);
      await settle();
    }
    const delays = ofType(events, 'mras.failed').map((e) => (e.retryAt ?? 0) - e.at);
    expect(delays.slice(0, 3)).toEqual([30_000, 60_000, 60_000]);
    expect(ofType(events, 'mras.failed')[0]!.error).toMatchObject({ code: 'MRAS_FAILED', response: { reasonPhrase: 'Request Malformed' } });
    expect(ofType(events, 'mras.expired')).toHaveLength(1);
    expect(client.state).toBe('expired');
    expect(client.current()).toBeUndefined();
    expect(client.timeLeftMs()).toBe(0);
    expect(clock.pendingTimers()).toBe(0); // expiry stops the automatic retries
    const n = svc.requests.length;
    const fresh = await client.get();
    expect(svc.requests).toHaveLength(n + 1);
    expect(fresh.username).toBe(`u${n + 1}`);
    client.close();
  });

  it.each([
    ['refuse', 'MRAS_FAILED', { reasonPhrase: 'Request Malformed' }],
    ['415', 'MRAS_FAILED', { code: 415, reason: 'Unsupported Media Type' }],
    ['garbage', 'MRAS_PARSE', undefined],
    ['sip-timeout', 'SIP_TIMEOUT', undefined],
    ['stale-id', 'MRAS_FAILED', undefined],
  ] as const)('a first request that gets %s fails with %s and leaves no timer', async (b, code, response) => {
    const { client, clock, events } = setup([b]);
    const e = (await client.get().catch((x: unknown) => x)) as MediapathError;
    expect(e).toBeInstanceOf(MediapathError);
    expect(e.code).toBe(code);
    if (response) expect(e.detail?.response).toMatchObject(response);
    if (b === 'garbage') expect(e.message).toContain('Content-Type text/plain');
    expect(client.state).toBe('idle');
    expect(ofType(events, 'mras.failed')).toMatchObject([{ renewal: false, error: { code } }]);
    expect(ofType(events, 'mras.failed')[0]!.retryAt).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
    client.close();
  });

  it('times out an exchange that never answers (MRAS_TIMEOUT)', async () => {
    const { client, clock } = setup(['hang'], { timeoutMs: 5000 });
    const p = client.get().catch((x: unknown) => x);
    clock.advance(4999);
    await settle();
    expect(client.state).toBe('requesting');
    clock.advance(1);
    const e = (await p) as MediapathError;
    expect(e.code).toBe('MRAS_TIMEOUT');
    expect(clock.pendingTimers()).toBe(0);
    client.close();
  });

  it('refresh() asks again even with a live grant', async () => {
    const { client, svc } = setup(['ok']);
    const a = await client.get();
    const b = await client.refresh();
    expect(svc.requests).toHaveLength(2);
    expect(b.username).not.toBe(a.username);
    expect(client.current()).toBe(b);
    client.close();
  });

  it('after close() nothing is armed and get() is refused', async () => {
    const { client, clock } = setup(['ok']);
    await client.get();
    expect(client.pendingTimers()).toBe(2); // renewal + expiry
    client.close();
    expect(client.pendingTimers()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await expect(client.get()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('an answer arriving after close() arms nothing', async () => {
    let release: (a: MrasServiceAnswer) => void = () => undefined;
    const clock = new FakeClock();
    const client = new MrasClient({
      clock,
      mrasUri: MRAS_URI,
      identity: 'sip:alice@lab.test',
      location: 'intranet',
      request: (xml) => {
        const req = parseMrasRequest(xml);
        return new Promise((r) => {
          release = () =>
            r({
              status: 200,
              body: buildMrasResponse({
                requestId: req.ok ? req.value.requestId : '',
                reasonPhrase: 'OK',
                credentialsResponses: [{ credentialsRequestId: '1', credentials: { username: 'u', password: 'p', durationMinutes: 480 }, mediaRelays: [RELAY] }],
              }),
            });
        });
      },
    });
    const p = client.get();
    client.close();
    release({ status: 0, body: '' });
    await p;
    expect(clock.pendingTimers()).toBe(0);
    expect(client.state).toBe('closed');
  });

  it('rejects a renewAt outside (0, 1)', () => {
    expect(() => setup(['ok'], { renewAt: 1 })).toThrow(/renewAt/);
  });
});
