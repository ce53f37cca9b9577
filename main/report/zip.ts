import { deflateRawSync } from 'node:zlib';
import { MediapathError } from '../common/errors';
import { crc32 } from '../stun/crc32';

/**
 * A minimal ZIP writer for the evidence bundle (PKWARE APPNOTE.TXT 6.3.10): each entry stored or
 * raw-deflated (method 8, RFC 1951), UTF-8 names (general purpose bit 11), one central directory,
 * no ZIP64 (so at most 65,535 entries and 4 GiB, far above a run's files), no encryption. The
 * CRC-32 is the zlib polynomial ZIP uses (APPNOTE §4.4.7), the one STUN's FINGERPRINT uses too.
 */

export interface ZipEntry {
  /** Forward slashes, no leading slash, no `..` (APPNOTE §4.4.17.1). */
  readonly name: string;
  readonly data: Uint8Array | string;
  /** Default: deflate when that makes it smaller. */
  readonly method?: 'store' | 'deflate';
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const VERSION = 20; // 2.0: deflate, folders
const UTF8_NAMES = 0x0800;
const MAX_U32 = 0xffffffff;

/** MS-DOS date and time (APPNOTE §4.4.6), local fields taken as UTC; 1980 is the earliest. */
function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.max(1980, d.getUTCFullYear());
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

function checkName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').includes('..') || Buffer.byteLength(name) > 0xffff) {
    throw new MediapathError('INVALID_ARGUMENT', `not a ZIP entry name: ${JSON.stringify(name).slice(0, 80)}`, { layer: 'common' });
  }
}

export function zip(entries: readonly ZipEntry[], modified: Date = new Date()): Buffer {
  if (entries.length > 0xffff) throw new MediapathError('INVALID_ARGUMENT', 'more than 65,535 ZIP entries', { layer: 'common' });
  const { date, time } = dosDateTime(modified);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    checkName(e.name);
    if (seen.has(e.name)) throw new MediapathError('INVALID_ARGUMENT', `ZIP entry ${e.name} twice`, { layer: 'common' });
    seen.add(e.name);
    const raw = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    const deflated = e.method === 'store' ? undefined : deflateRawSync(raw);
    const useDeflate = !!deflated && (e.method === 'deflate' || deflated.length < raw.length);
    const body = useDeflate ? deflated! : raw;
    const method = useDeflate ? 8 : 0;
    const crc = crc32(raw);
    const name = Buffer.from(e.name, 'utf8');
    if (raw.length > MAX_U32 || body.length > MAX_U32 || offset > MAX_U32) throw new MediapathError('INVALID_ARGUMENT', 'ZIP entry too large (no ZIP64)', { layer: 'common' });

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIG, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(CENTRAL_SIG, 0);
    cd.writeUInt16LE((3 << 8) | VERSION, 4); // made by: UNIX, so the mode below means something
    cd.writeUInt16LE(VERSION, 6);
    cd.writeUInt16LE(UTF8_NAMES, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(time, 12);
    cd.writeUInt16LE(date, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(raw.length, 24);
    cd.writeUInt16LE(name.length, 28);
    // extra, comment, disk, internal attributes: 0
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
    cd.writeUInt32LE(offset, 42);

    parts.push(local, name, body);
    central.push(cd, name);
    offset += local.length + name.length + body.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}
