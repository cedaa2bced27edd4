// A small raw tar writer (POSIX ustar + pax + GNU long names) for hostile fixtures.
// header(opts) -> 512-byte Buffer; entry(opts) -> header + padded body; tarball(blocks, {trailer}) -> Buffer.
//   opts: { name, type ('0' file, '5' dir, '1' hardlink, '2' symlink, '3' char, '4' block, '6' fifo,
//           'x' pax, 'g' global pax, 'L' GNU long name), size, mode, linkname, body: Buffer,
//           sizeField: Buffer (raw 12-byte size field), checksumDelta: number, prefix }
const pad = (b) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function put(buf, off, len, value) {
  const v = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
  v.copy(buf, off, 0, Math.min(len, v.length));
}

export function header(o) {
  const h = Buffer.alloc(512);
  const body = o.body ?? Buffer.alloc(0);
  const size = o.size ?? body.length;
  put(h, 0, 100, o.name);
  put(h, 100, 8, ((o.mode ?? 0o644).toString(8).padStart(7, '0')) + '\0');
  put(h, 108, 8, '0000000\0');
  put(h, 116, 8, '0000000\0');
  if (o.sizeField) o.sizeField.copy(h, 124);
  else put(h, 124, 12, size.toString(8).padStart(11, '0') + '\0');
  put(h, 136, 12, '00000000000\0');
  h[156] = (o.type ?? '0').charCodeAt(0);
  if (o.linkname) put(h, 157, 100, o.linkname);
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  if (o.prefix) put(h, 345, 155, o.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  sum += o.checksumDelta ?? 0;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

export function entry(o) {
  const body = o.body ?? Buffer.alloc(0);
  return Buffer.concat([header(o), pad(body)]);
}

export function paxBody(records) {
  return Buffer.concat(
    Object.entries(records).map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = Buffer.byteLength(rest) + 1;
      while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
      return Buffer.from(`${len}${rest}`);
    }),
  );
}

export function tarball(blocks, { trailer = Buffer.alloc(1024) } = {}) {
  return Buffer.concat([...blocks, trailer]);
}
