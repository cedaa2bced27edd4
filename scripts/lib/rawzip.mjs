// A small raw zip writer for tests, fuzzing and benchmarks (PKWARE APPNOTE 6.3.10 §4.3).
// yazl refuses to write bad names and cannot write lying headers, which is exactly
// what hostile fixtures need; every field here can be overridden.
//
// buildZip(entries, opts) -> Buffer
//   entry: {
//     name: string | Buffer            central-directory name (UTF-8 flag set unless ascii:true)
//     data?: Buffer                    uncompressed content (default empty)
//     method?: 0 | 8                   default 8 (deflate)
//     raw?: Buffer                     compressed bytes to store instead of deflating `data`
//     flags?, crc?, csize?, usize?     central-directory overrides
//     mode?: number                    unix mode -> external attributes (default 0o100644)
//     extAttr?: number                 full external attributes override
//     madeBy?: number                  default 0x031e (Unix, 3.0)
//     needed?: number                  version needed, default 20
//     extra?: Buffer                   central extra field
//     local?: { name?, flags?, method?, crc?, csize?, usize?, extra? }   local-header overrides
//     dataDescriptor?: boolean | { crc?, csize?, usize?, signature?: boolean }
//     offset?: number                  central-directory local-header offset override
//     skipLocal?: boolean              write only a central record (points at `offset`)
//   }
//   opts: { prepend?: Buffer, append?: Buffer, comment?: Buffer, count?: number, cdSize?: number,
//           cdOffset?: number, extraCentral?: Buffer (bytes appended inside the CD),
//           zip64?: true | { count?, onDisk?, cdSize?, cdOffset?, recordSize?, extensible?: Buffer,
//                            locatorOffset?, disks?, needed? } }
//   zip64 writes a zip64 end-of-central-directory record and locator (APPNOTE §4.3.14-15) between
//   the central directory and the EOCD, and, like yazl, puts the 0xffff sentinel in the EOCD count
//   (override with opts.count).
import zlib from 'node:zlib';

const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16LE(n & 0xffff); return b; };
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };

export function crc32(buf) {
  return zlib.crc32(buf) >>> 0;
}

export function buildZip(entries, opts = {}) {
  const locals = [];
  const centrals = [];
  let offset = opts.prepend ? opts.prepend.length : 0;
  const start = offset;
  for (const e of entries) {
    const nameBuf = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const data = e.data ?? Buffer.alloc(0);
    const method = e.method ?? 8;
    const comp = e.raw ?? (method === 8 ? zlib.deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const csize = e.csize ?? comp.length;
    const usize = e.usize ?? data.length;
    const dd = e.dataDescriptor;
    let flags = e.flags ?? ((e.ascii ? 0 : 0x0800) | (dd ? 0x0008 : 0));
    const extra = e.extra ?? Buffer.alloc(0);
    const L = e.local ?? {};
    const lName = L.name !== undefined ? (Buffer.isBuffer(L.name) ? L.name : Buffer.from(L.name, 'utf8')) : nameBuf;
    const lExtra = L.extra ?? Buffer.alloc(0);
    const lFlags = L.flags ?? flags;
    const lMethod = L.method ?? method;
    const lCrc = L.crc ?? (dd ? 0 : crc);
    const lC = L.csize ?? (dd ? 0 : csize);
    const lU = L.usize ?? (dd ? 0 : usize);
    const localOffset = e.offset ?? offset;
    if (!e.skipLocal) {
      const hdr = Buffer.concat([
        u32(0x04034b50), u16(e.needed ?? 20), u16(lFlags), u16(lMethod), u16(0), u16(0x0021),
        u32(lCrc), u32(lC), u32(lU), u16(lName.length), u16(lExtra.length), lName, lExtra,
      ]);
      const parts = [hdr, comp];
      if (dd) {
        const o = typeof dd === 'object' ? dd : {};
        parts.push(Buffer.concat([o.signature === false ? Buffer.alloc(0) : u32(0x08074b50), u32(o.crc ?? crc), u32(o.csize ?? csize), u32(o.usize ?? usize)]));
      }
      const rec = Buffer.concat(parts);
      locals.push(rec);
      offset += rec.length;
    }
    const mode = e.mode ?? 0o100644;
    const ext = e.extAttr ?? ((mode << 16) >>> 0);
    centrals.push(Buffer.concat([
      u32(0x02014b50), u16(e.madeBy ?? 0x031e), u16(e.needed ?? 20), u16(flags), u16(method), u16(0), u16(0x0021),
      u32(crc), u32(csize), u32(usize), u16(nameBuf.length), u16(extra.length), u16(0), u16(0), u16(0),
      u32(ext), u32(localOffset), nameBuf, extra,
    ]));
  }
  const cd = Buffer.concat([...centrals, opts.extraCentral ?? Buffer.alloc(0)]);
  const cdOffset = opts.cdOffset ?? offset;
  const comment = opts.comment ?? Buffer.alloc(0);
  let z64 = Buffer.alloc(0);
  if (opts.zip64) {
    const z = typeof opts.zip64 === 'object' ? opts.zip64 : {};
    const ext = z.extensible ?? Buffer.alloc(0);
    const record = Buffer.concat([
      u32(0x06064b50), u64(z.recordSize ?? 44 + ext.length), u16(0x031e), u16(z.needed ?? 45), u32(0), u32(0),
      u64(z.onDisk ?? z.count ?? entries.length), u64(z.count ?? entries.length), u64(z.cdSize ?? cd.length), u64(z.cdOffset ?? cdOffset), ext,
    ]);
    const locator = Buffer.concat([u32(0x07064b50), u32(0), u64(z.locatorOffset ?? offset + cd.length), u32(z.disks ?? 1)]);
    z64 = Buffer.concat([record, locator]);
  }
  const count = opts.count ?? (opts.zip64 ? 0xffff : entries.length);
  const eocd = Buffer.concat([
    u32(0x06054b50), u16(0), u16(0), u16(count), u16(count), u32(opts.cdSize ?? cd.length), u32(cdOffset), u16(comment.length), comment,
  ]);
  void start;
  return Buffer.concat([opts.prepend ?? Buffer.alloc(0), ...locals, cd, z64, eocd, opts.append ?? Buffer.alloc(0)]);
}

/** Info-ZIP Unicode Path extra field (0x7075) for `rawName`, naming `unicodeName`. */
export function unicodePathExtra(rawName, unicodeName) {
  const raw = Buffer.isBuffer(rawName) ? rawName : Buffer.from(rawName, 'utf8');
  const uni = Buffer.from(unicodeName, 'utf8');
  const body = Buffer.concat([Buffer.from([1]), u32(crc32(raw)), uni]);
  return Buffer.concat([u16(0x7075), u16(body.length), body]);
}
