/** The lab's simulated network: a `Net` per host, NATs, firewalls, impaired links, ground truth. */
export { VirtualNetwork, type VirtualNetworkOptions, type VirtualNetworkEvents, type HostOptions, type RouterOptions, type LanOptions } from './network';
export { VirtualHost } from './host';
export { VirtualRouter } from './router';
export { Lan } from './lan';
export { Link, type LinkDirection, type LinkDirections, type LinkSideStats } from './link';
export { Nat, NAT_PRESETS, type NatBehavior, type NatConfig, type NatPreset, type NatMappingView, type NatEvent, type NatStats } from './nat';
export { Firewall, firewallPresets, type FirewallConfig, type FirewallRule, type FirewallDirection, type FirewallDrop, type FirewallStats } from './firewall';
export type { ImpairmentSpec, LossSpec, PacketMatch, TcpLossModel } from './impairment';
export { GroundTruth, type PacketRecord, type HopRecord, type PacketFate, type TruthOptions, type TruthQuery, type TruthCounts, type AddressMatch } from './truth';
export type { DropReason, PacketView, Proto, TcpKind } from './packet';
export { DnsTable } from './dns';
export { TcpEndpoint, VirtualStreamServer, type TcpState } from './tcp';
export { VirtualUdpSocket } from './udp';
