import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../main/api';
import { createWsApi, wsUrlFor } from '../../../renderer/bridge/ws-api';
import { chartsOf } from '../../../renderer/model/charts';
import { checksOf, filterChecks } from '../../../renderer/model/checks';
import { comparePriority, fmtMs, transportLabel } from '../../../renderer/model/format';
import { ladderOf } from '../../../renderer/model/ladder';
import { phasesOf } from '../../../renderer/model/phases';
import { FULL_CALL } from './fixtures';

describe('view models', () => {
  it('formats times and transports', () => {
    expect(fmtMs(850)).toBe('850 ms');
    expect(fmtMs(1250)).toBe('1.25 s');
    expect(fmtMs(125_000)).toBe('2 min 05 s');
    expect(transportLabel({ transport: 'tcp', tcpType: 'active' })).toBe('tcp-act');
    expect(transportLabel({ transport: 'udp' })).toBe('udp');
  });

  it('orders 64-bit priorities given as decimal strings exactly', () => {
    // Both round to the same double: only string comparison tells them apart.
    expect(comparePriority('9151314442783293439', '9151314442783293438')).toBe(1);
    expect(comparePriority('72057594037927935', '9151314442783293439')).toBeLessThan(0);
  });

  it('filters checks by text and state', () => {
    const { rows, counts } = checksOf(FULL_CALL);
    expect(counts.succeeded).toBe(2);
    expect(rows[0]!.pair.local.type).toBe('host');
    expect(filterChecks(rows, { text: 'relay', state: 'all' })).toHaveLength(1);
    expect(filterChecks(rows, { text: '', state: 'failed' })).toHaveLength(0);
  });

  it('groups media stats per epoch', () => {
    const epochs = chartsOf(FULL_CALL);
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(epochs[1]!.values.rttMs).toEqual([4, 3]);
    expect(epochs[1]!.t).toEqual([2.7, 3.7]);
  });

  it('draws received figures on the epoch the peer sent them on (a cut path\'s loss stays on that path)', () => {
    const path = (kind: 'host' | 'relay') => ({ kind, label: `${kind}/udp a → ${kind}/udp b` });
    const stats = (at: number, epoch: number, over: Record<string, unknown>): EngineEvent =>
      ({ type: 'media.stats', at, epoch, path: path(epoch === 1 ? 'host' : 'relay'), stats: { startMs: at - 1000, endMs: at, packetsSent: 50, rttMs: 5, ...over } }) as EngineEvent;
    const events: EngineEvent[] = [
      stats(1000, 1, { packetsReceived: 50, lossPct: 0, mos: 4.4, byEpoch: [{ epoch: 1, packetsExpected: 50, packetsReceived: 50, lossPct: 0, jitterMs: 1, mos: 4.4 }] }),
      // The host path is cut; the relay's first interval learns that 100 host packets never came.
      stats(3000, 2, {
        packetsReceived: 40,
        lossPct: 71.4,
        mos: 2,
        byEpoch: [
          { epoch: 1, packetsExpected: 100, packetsReceived: 0, lossPct: 100 },
          { epoch: 2, packetsExpected: 40, packetsReceived: 40, lossPct: 0, jitterMs: 2, mos: 4.3 },
        ],
      }),
    ];
    const [host, relay] = chartsOf(events);
    expect(host!.values.lossPct).toEqual([0, 100]);
    expect(host!.t).toEqual([0, 2]); // seconds since the run's first event
    expect(host!.values.rttMs).toEqual([5, null]);
    expect(relay!.values.lossPct).toEqual([0]);
    expect(relay!.values.mos).toEqual([4.3]);
    expect(relay!.values.rttMs).toEqual([5]);
    expect([host!.packetsReceived, relay!.packetsReceived]).toEqual([50, 40]);
    // Without the split (older saved runs): the whole interval on its current epoch, as before.
    const old = chartsOf(events.map((e) => (e.type === 'media.stats' ? ({ ...e, stats: { ...e.stats, byEpoch: undefined } } as EngineEvent) : e)));
    expect(old[1]!.values.lossPct).toEqual([71.4]);
  });

  it('reads Call-ID for the ladder, compact form too', () => {
    const e: EngineEvent[] = [{ type: 'sip.received', at: 1, text: 'BYE sip:a@b SIP/2.0\r\ni: abc@host\r\n\r\n', peer: '1.2.3.4:5060', transport: 'tcp' }];
    expect(ladderOf(e).messages[0]).toMatchObject({ from: '1.2.3.4:5060', to: 'mediapath', callId: 'abc@host', summary: 'BYE sip:a@b SIP/2.0' });
  });

  it('phases start pending', () => {
    expect(phasesOf([]).map((p) => p.state)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
  });
});

describe('WebSocket adapter', () => {
  it('builds the API socket URL from the page URL, only with a token', () => {
    expect(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:4000', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:4000/api?token=a%2Bb');
    expect(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:4000', search: '' })).toBeNull();
    expect(wsUrlFor({ protocol: 'file:', host: '', search: '?token=x' })).toBeNull();
  });

  it('resolves pending calls with CLOSED when the socket closes', async () => {
    const handlers: Record<string, (ev: unknown) => void> = {};
    class FakeSocket {
      readonly OPEN = 1;
      readyState = 0;
      sent: string[] = [];
      constructor(readonly url: string) {}
      addEventListener(name: string, cb: (ev: unknown) => void): void {
        handlers[name] = cb;
      }
      send(s: string): void {
        this.sent.push(s);
      }
    }
    const api = createWsApi('ws://x/api?token=t', FakeSocket as unknown as Parameters<typeof createWsApi>[1]);
    const p = api.version();
    handlers['close']!({});
    expect(await p).toMatchObject({ ok: false, error: { code: 'CLOSED' } });
    expect(await api.scenarios()).toMatchObject({ ok: false, error: { code: 'CLOSED' } });
  });
});
