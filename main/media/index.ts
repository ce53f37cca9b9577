/** The media layer's public surface: sans-IO codecs and measurements for synthetic RTP/RTCP. */
export * from './rtp';
export * from './rtcp';
export * from './rtcp-xr';
export * from './demux';
export * from './probe-payload';
export * from './codecs';
export * from './ssrc';
export * from './ntp';
export * from './sequence';
export * from './jitter';
export * from './jitter-buffer';
export * from './burst-gap';
export * from './rtt';
export * from './receiver-stats';
export * from './emodel';
export type { MediaParseError } from './parse-error';
export * from './voip-metrics';
