import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { startVirtualLab, type CallScenarioName, type LabCallWorld } from '../../../main/lab/call-lab';
import { PacingScheduler } from '../../../main/media/stream';
import type { GroundTruth, PacketRecord } from '../../../main/net/virtual';
import { engineEventSchema, type EventOf } from '../../../main/api';
import { reportFromTimeline, type Report } from '../../../main/report';
import type { TimelineReader } from '../../../main/session/timeline';
import { thresholdsEntry } from '../../../main/session/call-events';
import { runTwoPartyCall } from '../../../main/session/call-run';
import { DEFAULT_PROFILE } from '../../../main/session/thresholds';

// Whole calls on the virtual network, each side's per-epoch media figures checked against what the
// network really did with the peer's RTP (its ground truth). At a path switch caused by a cut, the
// packets the peer sent on the old path during the outage are lost on THAT path: they belong to the
// old path's epoch, although the receiver learns of them only once the new path delivers.

const EDGE = '203.0.113.10';
// PCMU, 20 ms: 12-byte RTP header + 160 bytes. Through the sender's own allocation a packet travels
// in a Send indication (+36 bytes: header, XOR-PEER-ADDRESS, DATA) or ChannelData (+4).
const RTP = 172;
const VIA_OWN_RELAY = [RTP + 36, RTP + 4];

function truthOf(world: LabCallWorld): GroundTruth {
  if (!world.truth) throw new Error('a virtual lab world carries its ground truth');
  return world.truth;
}

interface PathTruth {
  readonly sent: number;
  readonly dropped: number;
}

/**
 * The RTP one phone sent to the other, per path kind, as the network saw it: the direct LAN flow
 * (host), and everything towards the Edge (relay: to the peer's relayed address, or into its own
 * allocation).
 */
function rtpTruth(records: readonly PacketRecord[], fromIp: string, toIp: string): { host: PathTruth; relay: PathTruth } {
  const count = (rs: readonly PacketRecord[]): PathTruth => ({ sent: rs.length, dropped: rs.filter((r) => r.fate === 'dropped').length });
  const mine = records.filter((r) => r.proto === 'udp' && r.src.ip === fromIp);
  return {
    host: count(mine.filter((r) => r.dst.ip === toIp && r.size === RTP)),
    relay: count(mine.filter((r) => r.dst.ip === EDGE && (r.dst.port === 3478 ? VIA_OWN_RELAY.includes(r.size) : r.size === RTP))),
  };
}

/** "650 packets sent; 465 of the peer's 669 received" → the peer's packets received and expected. */
function mediaTotals(r: Report): { received: number; expected: number } {
  const m = /(\d+) of the peer's (\d+) received/.exec(r.phases.find((p) => p.name === 'media')?.detail ?? '');
  if (!m) throw new Error(`no media totals in ${JSON.stringify(r.phases)}`);
  return { received: Number(m[1]), expected: Number(m[2]) };
}

/** The media.stats entries as the UI receives them (main/api's schema: what the charts draw). */
function uiEvents(t: TimelineReader): Array<EventOf<'media.stats'>> {
  return t.events.flatMap((e) => {
    const parsed = engineEventSchema.safeParse(e);
    return parsed.success && parsed.data.type === 'media.stats' ? [parsed.data] : [];
  });
}

async function call(name: CallScenarioName, seed: number) {
  const world = await startVirtualLab(name, { seed });
  const scheduler = new PacingScheduler({ clock: world.clock });
  const random = new SeededRandom(seed);
  const result = await runTwoPartyCall(world, {
    strategy: 'lync',
    dialect: 'multipart-draft6',
    codec: 'PCMU',
    random: { caller: random.fork(), callee: random.fork() },
    toolVersion: 'test',
    title: `truth ${name}`,
    meta: { scenario: name },
    preamble: [thresholdsEntry(0, DEFAULT_PROFILE)],
    scheduler,
  });
  scheduler.close();
  const records = truthOf(world).records({ proto: 'udp' });
  const ips = { caller: world.caller.ip, callee: world.callee.ip };
  await world.close();
  expect(world.leftovers()).toEqual({ timers: 0, openResources: 0 });
  return {
    // Each side's report is about the peer's stream: the truth of what the peer sent.
    caller: { report: reportFromTimeline(result.caller.timeline), ui: uiEvents(result.caller.timeline), truth: rtpTruth(records, ips.callee, ips.caller) },
    callee: { report: reportFromTimeline(result.callee.timeline), ui: uiEvents(result.callee.timeline), truth: rtpTruth(records, ips.caller, ips.callee) },
  };
}

describe('per-epoch media figures against the network ground truth', () => {
  it.each([1, 2])('consent-loss (seed %i): the outage counts against the host epoch, the relay epoch has what the relay lost (nothing)', async (seed) => {
    const sides = await call('consent-loss', seed);
    for (const [side, { report, truth, ui }] of Object.entries(sides)) {
      const why = `${side}: ${JSON.stringify({ epochs: report.epochs, truth })}`;
      // What the UI's charts get says the same: the host epoch's parts lose exactly the cut packets.
      const hostEpoch = ui.find((e) => e.path?.kind === 'host')?.epoch;
      const hostParts = ui.flatMap((e) => (e.stats.byEpoch ?? []).filter((p) => p.epoch === hostEpoch));
      expect(hostParts.reduce((n, p) => n + p.packetsExpected - p.packetsReceived, 0), why).toBe(truth.host.dropped);
      // The cut really dropped the peer's RTP on the LAN path, and nothing through the relay.
      expect(truth.host.dropped, why).toBeGreaterThan(100);
      expect(truth.relay.dropped, why).toBe(0);
      const host = report.epochs.filter((e) => e.pathKind === 'host' && e.packetsExpected > 0);
      const relay = report.epochs.filter((e) => e.pathKind === 'relay' && e.packetsExpected > 0);
      expect(host.length, why).toBe(1);
      expect(relay.length, why).toBe(1);
      // The host epoch: every packet the peer sent on the host path, and exactly the ones it lost.
      expect(host[0]!.packetsExpected, why).toBe(truth.host.sent);
      expect(host[0]!.packetsExpected - host[0]!.packetsReceived, why).toBe(truth.host.dropped);
      expect(host[0]!.verdict, why).toBe('fail');
      expect(host[0]!.burstLossPct, why).toBe(100);
      // The relay epoch: nothing lost, so it passes every target.
      expect(relay[0]!.packetsReceived, why).toBe(relay[0]!.packetsExpected);
      expect(relay[0]!.lossPct, why).toBe(0);
      expect(relay[0]!.verdict, why).toBe('pass');
      expect(report.thresholds.results.filter((r) => r.epoch === relay[0]!.key && r.status === 'fail'), why).toEqual([]);
      // Totals: the peer's final count is what it sent on both paths, the received what arrived;
      // the epochs' intervals hold no more than that (the peer may send on after our last interval).
      const totals = mediaTotals(report);
      expect(totals.expected, why).toBe(truth.host.sent + truth.relay.sent);
      expect(totals.received, why).toBe(truth.host.sent - truth.host.dropped + truth.relay.sent - truth.relay.dropped);
      const inEpochs = report.epochs.reduce((n, e) => n + e.packetsExpected, 0);
      expect(inEpochs, why).toBeLessThanOrEqual(totals.expected);
      expect(relay[0]!.packetsExpected, why).toBeLessThanOrEqual(truth.relay.sent);
    }
  });

  it('promotion: relay then host, nothing lost on either path, every epoch and the call pass', async () => {
    const sides = await call('promotion', 1);
    for (const [side, { report, truth }] of Object.entries(sides)) {
      const why = `${side}: ${JSON.stringify({ epochs: report.epochs, truth })}`;
      expect(truth.host.dropped + truth.relay.dropped, why).toBe(0);
      const measured = report.epochs.filter((e) => e.packetsExpected > 0);
      expect(measured.map((e) => e.pathKind), why).toEqual(['relay', 'host']);
      for (const e of measured) expect([e.packetsReceived, e.verdict], why).toEqual([e.packetsExpected, 'pass']);
      expect(measured[1]!.packetsExpected, why).toBeLessThanOrEqual(truth.host.sent);
      expect(report.verdict, why).toBe('pass');
      const totals = mediaTotals(report);
      expect(totals, why).toEqual({ received: truth.host.sent + truth.relay.sent, expected: truth.host.sent + truth.relay.sent });
    }
  });
});
