/**
 * RFC 3261 §17 timer values (Table 4) with the RFC 6026 additions L and M. T1/T2/T4 are
 * configurable: a lab on loopback may shorten them, a satellite link may need longer ones.
 */
export interface SipTimerConfig {
  /** RTT estimate, 500 ms by default (RFC 3261 §17.1.1.1). */
  readonly t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, 4 s. */
  readonly t2: number;
  /** Maximum time a message stays in the network, 5 s. */
  readonly t4: number;
  /** Timer D over unreliable transports: at least 32 s (§17.1.1.2). */
  readonly d: number;
}

export const DEFAULT_SIP_TIMERS: SipTimerConfig = { t1: 500, t2: 4000, t4: 5000, d: 32_000 };

/** Timer names as the RFC spells them; a driver arms one platform timer per (transaction, name). */
export type SipTimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M';
