/** Synthetic RTP/RTCP streams: sender, receiver, session, the one pacing scheduler, per-path epochs. */
export * from './datagram-path';
export * from './pacer';
export * from './probe-epoch';
export * from './rtp-sender';
export * from './transit-jitter';
export * from './quality';
export * from './stream-receiver';
export * from './media-session';
export * from './path-report';
