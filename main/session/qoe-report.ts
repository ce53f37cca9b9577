import { XMLBuilder } from 'fast-xml-parser';
import { err, ok, type Result } from '../common/result';
import { CODECS } from '../media/codecs';
import { attr, child, childText, parseXmlRoot, type XmlNode } from '../mras/xml-doc';
import type { MediaSessionReport } from '../media/stream';

/**
 * The end-of-call quality report a Lync client sends as `SERVICE <qosUri>` (PROTOCOLS.md §0 step
 * 7): a [MS-QoE] `VQReportEvent` (namespace `ms-rtcp-metrics`) with one `VQSessionReport` for the
 * dialog (2.2.1.2), its `DialogInfo` (2.2.1.4) and one `MediaLine` (2.2.1.5) for the audio stream,
 * with the figures this tool measured: inbound from our own receiver, outbound from what the peer
 * reported about our stream (RTCP report block, RFC 3611 VoIP Metrics) and the round trip we
 * measured (2.2.1.26: RoundTrip is an outbound figure). Units as [MS-QoE] writes them: jitter and
 * delays in whole milliseconds, loss rates and burst densities as fractions 0..1, MOS as a float.
 * Only the elements we have figures for are written; the schema makes almost all of them optional.
 * Pure: no I/O; the session sends it (call-session.ts).
 */

export const QOE_CONTENT_TYPE = 'application/vq-rtcpxr+xml';
export const QOE_NAMESPACE = 'ms-rtcp-metrics';

/** One direction of the audio stream, in [MS-QoE] units. */
export interface QoeStreamFigures {
  readonly ssrc?: number;
  /** Packets sent (outbound) or received (inbound): `Network/Utilization/Packets`. */
  readonly packets?: number;
  /** Fraction 0..1. */
  readonly lossRate?: number;
  readonly jitterMs?: number;
  readonly jitterMaxMs?: number;
  readonly rttMs?: number;
  readonly rttMaxMs?: number;
  /** Fractions 0..1 and milliseconds (RFC 3611 §4.7.2). */
  readonly burstDensity?: number;
  readonly burstDurationMs?: number;
  readonly gapDensity?: number;
  readonly gapDurationMs?: number;
  /** Network MOS (`QualityEstimates/Audio/NetworkMOS/OverallAvg`). */
  readonly mos?: number;
}

export interface QoeAddress {
  readonly ip: string;
  readonly port: number;
}

export interface QoeReportInput {
  readonly callId: string;
  readonly fromTag?: string;
  readonly toTag?: string;
  readonly fromUri: string;
  readonly toUri: string;
  /** True when the reporter placed the call. */
  readonly caller: boolean;
  readonly localContact?: string;
  readonly remoteContact?: string;
  readonly localUserAgent: string;
  readonly remoteUserAgent?: string;
  /** Wall-clock times (ms since the epoch) of the call's start and end. */
  readonly startWallMs?: number;
  readonly endWallMs?: number;
  /** `Endpoint Name`: who reports. */
  readonly endpointName: string;
  readonly media: {
    readonly label: string;
    readonly payloadType: number;
    readonly codec: string;
    readonly sampleRate: number;
    readonly transport?: 'UDP' | 'TCP';
    readonly local?: QoeAddress;
    readonly remote?: QoeAddress;
    /** The path the media ended on: `host`, `srflx`, `relay`. */
    readonly pathKind?: string;
    readonly inbound?: QoeStreamFigures;
    readonly outbound?: QoeStreamFigures;
  };
}

/** Text must stay XML 1.0 characters (§2.2); the builder escapes markup but not control characters. */
function clean(s: string, max = 512): string {
  // eslint-disable-next-line no-control-regex -- matching the control characters is the point
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/g, '\uFFFD').slice(0, max);
}

const int = (n: number | undefined): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Math.max(0, Math.round(n)));
const frac = (n: number | undefined): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Number(Math.min(1, Math.max(0, n)).toFixed(4)));
const float = (n: number | undefined): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Number(n.toFixed(2)));

/** An element object without the entries whose value is undefined (or an empty object). */
function el(entries: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function stream(s: QoeStreamFigures | undefined, payload: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!s) return undefined;
  const network = el({
    Jitter: el({ InterArrival: int(s.jitterMs), InterArrivalMax: int(s.jitterMaxMs) }),
    PacketLoss: el({ LossRate: frac(s.lossRate) }),
    BurstGapLoss: el({ BurstDensity: frac(s.burstDensity), BurstDuration: int(s.burstDurationMs), GapDensity: frac(s.gapDensity), GapDuration: int(s.gapDurationMs) }),
    Delay: el({ RoundTrip: int(s.rttMs), RoundTripMax: int(s.rttMaxMs) }),
    Utilization: el({ Packets: int(s.packets) }),
  });
  const mos = float(s.mos);
  return el({
    ...(s.ssrc !== undefined ? { '@_Id': String(s.ssrc >>> 0) } : {}),
    Network: network,
    Payload: { Audio: payload },
    QualityEstimates: mos !== undefined ? { Audio: { NetworkMOS: { OverallAvg: mos } } } : undefined,
  });
}

const addr = (a: QoeAddress | undefined): Record<string, unknown> | undefined => (a ? { IPAddr: clean(a.ip, 64), Port: int(a.port) } : undefined);
const iso = (ms: number | undefined): string | undefined => (ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString());

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false, suppressEmptyNode: true, processEntities: true });

/** The report as an XML document (UTF-8, no pretty-printing: it goes in a SIP body). */
export function buildQoeReport(input: QoeReportInput): string {
  const m = input.media;
  const payload = { PayloadType: int(m.payloadType), PayloadDescription: clean(m.codec, 64), SampleRate: int(m.sampleRate) };
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    VQReportEvent: {
      '@_xmlns': QOE_NAMESPACE,
      '@_Version': '2.0',
      VQSessionReport: {
        '@_SessionId': clean(input.callId),
        Endpoint: { '@_Name': clean(input.endpointName, 256) },
        DialogInfo: el({
          '@_CallId': clean(input.callId),
          '@_FromTag': input.fromTag !== undefined ? clean(input.fromTag, 128) : undefined,
          '@_ToTag': input.toTag !== undefined ? clean(input.toTag, 128) : undefined,
          '@_Start': iso(input.startWallMs),
          '@_End': iso(input.endWallMs),
          FromURI: clean(input.fromUri),
          ToURI: clean(input.toUri),
          Caller: input.caller ? 'true' : 'false',
          LocalContactURI: clean(input.localContact ?? input.fromUri),
          RemoteContactURI: clean(input.remoteContact ?? input.toUri),
          LocalUserAgent: clean(input.localUserAgent, 450),
          RemoteUserAgent: clean(input.remoteUserAgent ?? 'unknown', 450),
        }),
        MediaLine: el({
          '@_Label': clean(m.label, 64),
          Description: el({
            Connectivity: m.pathKind !== undefined ? clean(m.pathKind, 32) : undefined,
            Transport: m.transport,
            LocalAddr: addr(m.local),
            RemoteAddr: addr(m.remote),
          }) ?? '', // required by 2.2.1.5 even when we know nothing of the path: written empty
          InboundStream: stream(m.inbound, payload),
          OutboundStream: stream(m.outbound, payload),
        }),
      },
    },
  };
  return builder.build(doc) as string;
}

/** What a QoE report says, read back: the figures as numbers, for tests and the lab's QoE server. */
export interface QoeReportSummary {
  readonly callId: string;
  readonly caller?: boolean;
  readonly fromUri?: string;
  readonly toUri?: string;
  readonly codec?: string;
  readonly inbound?: QoeStreamFigures;
  readonly outbound?: QoeStreamFigures;
}

export interface QoeParseError {
  readonly code: 'QOE_PARSE';
  readonly reason: string;
}

// The reading is mras/xml-doc's hardened reader (size and tag limits, no DTD, namespace prefixes
// dropped, names matched case-insensitively): a QoE body is a Microsoft XML body like the others.
const num = (n: XmlNode | undefined, name: string): number | undefined => {
  const t = childText(n, name);
  if (t === undefined || t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
};

function readStream(s: XmlNode | undefined): QoeStreamFigures | undefined {
  if (!s) return undefined;
  const net = child(s, 'Network');
  const jitter = child(net, 'Jitter');
  const loss = child(net, 'PacketLoss');
  const bg = child(net, 'BurstGapLoss');
  const delay = child(net, 'Delay');
  const util = child(net, 'Utilization');
  const mos = child(child(child(s, 'QualityEstimates'), 'Audio'), 'NetworkMOS');
  const idText = attr(s, 'Id');
  const id = idText !== undefined ? Number(idText) : undefined;
  const out: Record<string, number> = {};
  const put = (k: keyof QoeStreamFigures, v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) out[k] = v;
  };
  put('ssrc', id);
  put('packets', num(util, 'Packets'));
  put('lossRate', num(loss, 'LossRate'));
  put('jitterMs', num(jitter, 'InterArrival'));
  put('jitterMaxMs', num(jitter, 'InterArrivalMax'));
  put('rttMs', num(delay, 'RoundTrip'));
  put('rttMaxMs', num(delay, 'RoundTripMax'));
  put('burstDensity', num(bg, 'BurstDensity'));
  put('burstDurationMs', num(bg, 'BurstDuration'));
  put('gapDensity', num(bg, 'GapDensity'));
  put('gapDurationMs', num(bg, 'GapDuration'));
  put('mos', num(mos, 'OverallAvg'));
  return out;
}

/** Reads a VQReportEvent's first session report; never throws on hostile input. */
export function parseQoeReport(xml: string): Result<QoeReportSummary, QoeParseError> {
  const fail = (reason: string): Result<never, QoeParseError> => err({ code: 'QOE_PARSE', reason });
  const root = parseXmlRoot(xml, 'VQReportEvent');
  if (!root.ok) return fail(root.error.line !== undefined ? `${root.error.reason} (line ${root.error.line})` : root.error.reason);
  const session = child(root.value, 'VQSessionReport');
  if (!session) return fail('no VQSessionReport');
  const dialog = child(session, 'DialogInfo');
  const callId = attr(dialog, 'CallId') ?? attr(session, 'SessionId');
  if (!callId) return fail('no CallId');
  const line = child(session, 'MediaLine');
  const inbound = readStream(child(line, 'InboundStream'));
  const outbound = readStream(child(line, 'OutboundStream'));
  const codec = childText(child(child(child(line, 'InboundStream') ?? child(line, 'OutboundStream'), 'Payload'), 'Audio'), 'PayloadDescription');
  const caller = childText(dialog, 'Caller');
  const fromUri = childText(dialog, 'FromURI');
  const toUri = childText(dialog, 'ToURI');
  return ok({
    callId,
    ...(caller !== undefined ? { caller: caller === 'true' } : {}),
    ...(fromUri !== undefined ? { fromUri } : {}),
    ...(toUri !== undefined ? { toUri } : {}),
    ...(codec !== undefined ? { codec } : {}),
    ...(inbound ? { inbound } : {}),
    ...(outbound ? { outbound } : {}),
  });
}

/**
 * The two directions of a finished MediaSession in [MS-QoE] units. Inbound is what our receiver
 * measured; outbound is what the peer said about our stream (its RFC 3611 VoIP Metrics if it sent
 * them, else its last report block) plus the round trip we measured.
 */
export function qoeStreamsOf(r: MediaSessionReport): { inbound?: QoeStreamFigures; outbound: QoeStreamFigures; sampleRate: number } {
  const codec = CODECS[r.codec];
  const rec = r.received;
  const inbound: QoeStreamFigures | undefined = rec
    ? {
        ssrc: rec.ssrc,
        packets: rec.figures.received,
        lossRate: rec.figures.lossPct / 100,
        jitterMs: rec.figures.jitterMs,
        jitterMaxMs: rec.figures.maxJitterMs,
        burstDensity: rec.figures.burstDensity,
        burstDurationMs: rec.figures.burstDurationMs,
        gapDensity: rec.figures.gapDensity,
        gapDurationMs: rec.figures.gapDurationMs,
        mos: rec.quality.mos,
      }
    : undefined;
  const xr = r.remote.voipMetrics;
  const rb = r.remote.reportBlock;
  // RFC 3611 §4.7.1/§4.7.5: rates are fractions ×256, MOS ×10, 127 = unavailable.
  const fromXr: QoeStreamFigures = xr
    ? {
        lossRate: xr.lossRate / 256,
        burstDensity: xr.burstDensity / 256,
        burstDurationMs: xr.burstDurationMs,
        gapDensity: xr.gapDensity / 256,
        gapDurationMs: xr.gapDurationMs,
        ...(xr.mosCq !== 127 ? { mos: xr.mosCq / 10 } : {}),
      }
    : {};
  // RFC 3550 §6.4.1: cumulative loss over what we sent; jitter in timestamp units.
  const fromRb: QoeStreamFigures = rb
    ? {
        ...(r.sent.packets > 0 ? { lossRate: Math.max(0, rb.cumulativeLost) / r.sent.packets } : {}),
        jitterMs: (rb.jitter / codec.clockRate) * 1000,
      }
    : {};
  const outbound: QoeStreamFigures = {
    ssrc: r.ssrc,
    packets: r.sent.packets,
    ...fromRb,
    ...fromXr,
    ...(r.rtt.count > 0 ? { rttMs: r.rtt.meanMs, rttMaxMs: r.rtt.maxMs } : {}),
  };
  return { ...(inbound ? { inbound } : {}), outbound, sampleRate: codec.sampleRate };
}
