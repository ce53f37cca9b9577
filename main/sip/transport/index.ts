export * from './types';
export { openSipTransport, type SipTransportOptions } from './create';
export { UdpSipTransport, type UdpSipTransportOptions } from './udp';
export { StreamSipTransport, type StreamSipTransportOptions } from './stream';
export { CrlfKeepAlive, type KeepAliveOptions } from './keepalive';
export { newBranch, stampTopVia, markReceived, learnedAddress, responseDestination } from './via';
export { advertisedAddress, isWildcard } from './local-address';
