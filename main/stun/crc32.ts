/**
 * CRC-32 (ISO 3309, the zlib polynomial) for STUN FINGERPRINT (RFC 8489 §14.7). Ours rather than
 * a dependency's so a dialect can swap the table ([MS-ICE2] legacy peers use a non-standard one).
 */
function makeTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const STANDARD = makeTable(0xedb88320);

export function crc32(bytes: Uint8Array, table: Uint32Array = STANDARD): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
