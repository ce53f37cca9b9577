import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { MediaSessionReport } from '../../../main/media/stream';
import { buildQoeReport, parseQoeReport, QOE_NAMESPACE, qoeStreamsOf, type QoeReportInput } from '../../../main/session/qoe-report';

// The [MS-QoE] end-of-call report: built from figures, well-formed, in the ms-rtcp-metrics
// namespace, read back to the same figures in the spec's units, hostile text kept harmless, and a
// MediaSession report turned into the two directions.

const input: QoeReportInput = {
  callId: 'a84b4c76e66710@pc33.lab.test',
  fromTag: '1928301774',
  toTag: 'a6c85cf',
  fromUri: 'sip:alice@lab.test',
  toUri: 'sip:bob@lab.test',
  caller: true,
  localContact: 'sip:alice@10.1.0.11:5060',
  remoteContact: 'sip:bob@10.1.0.12:5060',
  localUserAgent: 'mediapath/1.0',
  remoteUserAgent: 'SIPp',
  startWallMs: Date.UTC(2026, 10, 27, 18, 0, 0),
  endWallMs: Date.UTC(2026, 10, 27, 18, 0, 12),
  endpointName: 'sip:alice@lab.test',
  media: {
    label: 'main-audio',
    payloadType: 0,
    codec: 'PCMU',
    sampleRate: 8000,
    transport: 'UDP',
    local: { ip: '10.1.0.11', port: 50000 },
    remote: { ip: '203.0.113.10', port: 50102 },
    pathKind: 'relay',
    inbound: { ssrc: 0xdeadbeef, packets: 498, lossRate: 0.004, jitterMs: 3.6, jitterMaxMs: 9.2, burstDensity: 0.5, burstDurationMs: 40, gapDensity: 0.002, gapDurationMs: 9000, mos: 4.312 },
    outbound: { ssrc: 1234, packets: 500, lossRate: 0.01171875, jitterMs: 2.1, rttMs: 41.7, rttMaxMs: 60.2 },
  },
};

describe('buildQoeReport', () => {
  it('writes a well-formed VQReportEvent that reads back to the same figures, in [MS-QoE] units', () => {
    const xml = buildQoeReport(input);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><VQReportEvent')).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false }).parse(xml);
    expect(doc.VQReportEvent['@_xmlns']).toBe(QOE_NAMESPACE);
    const s = doc.VQReportEvent.VQSessionReport;
    expect(s['@_SessionId']).toBe(input.callId);
    expect(s.DialogInfo).toMatchObject({ '@_CallId': input.callId, '@_FromTag': '1928301774', '@_ToTag': 'a6c85cf', '@_Start': '2026-11-27T18:00:00.000Z', '@_End': '2026-11-27T18:00:12.000Z', Caller: 'true', FromURI: 'sip:alice@lab.test' });
    // The schema's order: Description, then InboundStream, then OutboundStream (2.2.1.5).
    expect(Object.keys(s.MediaLine).filter((k) => !k.startsWith('@_'))).toEqual(['Description', 'InboundStream', 'OutboundStream']);
    expect(s.MediaLine.Description).toMatchObject({ Connectivity: 'relay', Transport: 'UDP', LocalAddr: { IPAddr: '10.1.0.11', Port: '50000' } });

    const back = parseQoeReport(xml);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.value).toMatchObject({ callId: input.callId, caller: true, fromUri: 'sip:alice@lab.test', toUri: 'sip:bob@lab.test', codec: 'PCMU' });
    // Jitter and delays are whole milliseconds (xs:int), rates fractions with 4 decimals, MOS 2.
    expect(back.value.inbound).toEqual({ ssrc: 0xdeadbeef, packets: 498, lossRate: 0.004, jitterMs: 4, jitterMaxMs: 9, burstDensity: 0.5, burstDurationMs: 40, gapDensity: 0.002, gapDurationMs: 9000, mos: 4.31 });
    expect(back.value.outbound).toEqual({ ssrc: 1234, packets: 500, lossRate: 0.0117, jitterMs: 2, rttMs: 42, rttMaxMs: 60 });
  });

  it('escapes markup and replaces characters XML 1.0 does not allow', () => {
    const xml = buildQoeReport({ ...input, callId: 'x"<&>\'\u0001y', remoteUserAgent: 'evil</RemoteUserAgent><Caller>false' });
    expect(XMLValidator.validate(xml)).toBe(true);
    const back = parseQoeReport(xml);
    expect(back.ok && back.value.callId).toBe('x"<&>\'\uFFFDy');
    expect(back.ok && back.value.caller).toBe(true);
  });

  it('leaves out what was not measured, keeps the required elements', () => {
    const xml = buildQoeReport({ ...input, fromTag: undefined, toTag: undefined, startWallMs: undefined, media: { label: 'main-audio', payloadType: 8, codec: 'PCMA', sampleRate: 8000, outbound: { rttMs: Number.NaN } } } as QoeReportInput);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<Description/>');
    expect(xml).not.toMatch(/FromTag|Start=|InboundStream|RoundTrip|NaN/);
    const back = parseQoeReport(xml);
    expect(back.ok && back.value.inbound).toBeUndefined();
    expect(back.ok && back.value.codec).toBe('PCMA');
  });
});

describe('parseQoeReport', () => {
  it('never throws on hostile input and says why', () => {
    for (const bad of ['', 'not xml', '<VQReportEvent>', '<a/>', '<!DOCTYPE x [<!ENTITY e "x">]><VQReportEvent/>', '<VQReportEvent><VQSessionReport/></VQReportEvent>', 'x'.repeat(70_000)]) {
      const r = parseQoeReport(bad);
      expect(r.ok, bad.slice(0, 40)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('QOE_PARSE');
    }
  });
});

describe('qoeStreamsOf', () => {
  const base = {
    ssrc: 77,
    cname: 'c',
    codec: 'PCMU',
    payloadType: 0,
    ptimeMs: 20,
    direction: 'sendrecv',
    state: 'closed',
    startedAtMs: 0,
    sent: { packets: 512, octets: 0, heldBack: 0, skipped: 0, rtcp: 5 },
    rtt: { count: 4, meanMs: 30, maxMs: 45, minMs: 20, lastMs: 31 },
    rttSamples: [],
    sendEpochs: [],
    receiveEpochs: [],
    invalidDatagrams: 0,
  } as unknown as MediaSessionReport;

  it('inbound from our receiver; outbound from the peer\'s report block, its XR winning, and our RTT', () => {
    const report = {
      ...base,
      received: {
        ssrc: 99,
        bye: true,
        foreignPackets: 0,
        figures: { expected: 500, received: 495, lost: 5, lossPct: 1, jitterMs: 2.5, maxJitterMs: 7, burstDensity: 0.2, burstDurationMs: 60, gapDensity: 0.001, gapDurationMs: 4000 },
        quality: { mos: 4.1 },
      },
      remote: { reportBlock: { ssrc: 77, fractionLost: 0, cumulativeLost: 8, extendedHighestSeq: 0, jitter: 16, lsr: 0, dlsr: 0 } },
    } as unknown as MediaSessionReport;
    const s = qoeStreamsOf(report);
    expect(s.sampleRate).toBe(8000);
    expect(s.inbound).toEqual({ ssrc: 99, packets: 495, lossRate: 0.01, jitterMs: 2.5, jitterMaxMs: 7, burstDensity: 0.2, burstDurationMs: 60, gapDensity: 0.001, gapDurationMs: 4000, mos: 4.1 });
    // 16 timestamp units at 8 kHz = 2 ms; 8 of 512 lost.
    expect(s.outbound).toEqual({ ssrc: 77, packets: 512, lossRate: 8 / 512, jitterMs: 2, rttMs: 30, rttMaxMs: 45 });

    const withXr = { ...report, remote: { ...report.remote, voipMetrics: { lossRate: 64, burstDensity: 128, burstDurationMs: 20, gapDensity: 0, gapDurationMs: 100, mosCq: 127 } } } as unknown as MediaSessionReport;
    expect(qoeStreamsOf(withXr).outbound).toMatchObject({ lossRate: 0.25, burstDensity: 0.5, jitterMs: 2 });
    expect(qoeStreamsOf(withXr).outbound.mos).toBeUndefined();
  });

  it('a stream that received nothing has no inbound figures', () => {
    const s = qoeStreamsOf({ ...base, rtt: { count: 0 }, remote: {} } as unknown as MediaSessionReport);
    expect(s.inbound).toBeUndefined();
    expect(s.outbound).toEqual({ ssrc: 77, packets: 512 });
  });
});
