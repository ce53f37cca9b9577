/**
 * NTP timestamps as RTCP carries them (RFC 3550 §4): 32 bits of seconds since 1900 and 32 bits of
 * fraction. SR packets carry the full 64 bits; LSR/DLSR use the "compact" middle 32 bits, whose
 * unit is 1/65536 s.
 */
export interface NtpTime {
  readonly seconds: number;
  readonly fraction: number;
}

/** Seconds from 1900-01-01 to 1970-01-01 (RFC 868). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 0x1_0000_0000;

export function ntpFromUnixMs(ms: number): NtpTime {
  let sec = Math.floor(ms / 1000);
  let fraction = Math.round(((ms - sec * 1000) / 1000) * TWO_32);
  if (fraction >= TWO_32) {
    fraction -= TWO_32;
    sec += 1;
  }
  return { seconds: (((sec + NTP_UNIX_OFFSET_S) % TWO_32) + TWO_32) % TWO_32, fraction };
}

/**
 * Back to Unix milliseconds. Seconds below the 1970 offset are read as NTP era 1 (after 2036-02-07),
 * the usual disambiguation (RFC 4330 §3).
 */
export function ntpToUnixMs(t: NtpTime): number {
  let sec = t.seconds - NTP_UNIX_OFFSET_S;
  if (sec < 0) sec += TWO_32;
  return sec * 1000 + (t.fraction / TWO_32) * 1000;
}

/** The middle 32 bits (RFC 3550 §6.4.1, LSR): low 16 bits of seconds, high 16 of the fraction. */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

/** A compact (1/65536 s) duration in milliseconds. */
export function compactToMs(v: number): number {
  return (v * 1000) / 65536;
}

/** Milliseconds as a compact (1/65536 s) duration, clamped to 32 bits (DLSR, RFC 3550 §6.4.1). */
export function msToCompact(ms: number): number {
  const v = Math.round((ms * 65536) / 1000);
  return Math.min(0xffffffff, Math.max(0, v));
}
