// tests/integration/lib/images.mjs - small, valid images built in memory.
//
// makePng(w, h, {padTo}) builds a real RGB PNG (zlib-compressed scanlines,
// CRC-32 on every chunk); with padTo it inserts a tEXt ancillary chunk so
// the file is exactly padTo bytes long.  makeBmp(w, h, {padTo}) builds a
// 24-bit BMP (file-size field kept consistent).  GIF and JPEG are fixed
// minimal but decodable files.  All functions return new Buffers.
import zlib from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buf) >>> 0;
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A w×h RGB PNG with a simple gradient; padTo = exact total size wanted. */
export function makePng(w = 79, h = 79, { padTo, seed = 0 } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 2;  // colour type RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    const row = y * (1 + 3 * w);
    raw[row] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      raw[row + 1 + 3 * x] = (x * 3 + seed) & 0xff;
      raw[row + 2 + 3 * x] = (y * 3 + seed) & 0xff;
      raw[row + 3 + 3 * x] = ((x + y) * 2 + seed) & 0xff;
    }
  }
  const idat = chunk('IDAT', zlib.deflateSync(raw));
  const head = Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr)]);
  const iend = chunk('IEND', Buffer.alloc(0));
  let parts = [head, idat, iend];
  if (padTo !== undefined) {
    const base = head.length + idat.length + iend.length;
    const textLen = padTo - base - 12; // chunk overhead: length + type + crc
    if (textLen < 9) throw new Error(`cannot pad a ${base}-byte PNG to ${padTo}`);
    const text = Buffer.alloc(textLen, 0x61); // 'a'
    Buffer.from('Comment\0', 'latin1').copy(text, 0);
    parts = [head, chunk('tEXt', text), idat, iend];
  }
  const out = Buffer.concat(parts);
  if (padTo !== undefined && out.length !== padTo) throw new Error('PNG padding arithmetic');
  return out;
}

/** A 1×1 GIF89a (black pixel), 43 bytes. */
export function makeGif() {
  return Buffer.from(
    '47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b', 'hex');
}

/** An 8×8 mid-grey baseline JPEG: one DC and one AC code, decodable. */
export function makeJpeg() {
  const parts = [
    'ffd8',                                       // SOI
    'ffe000104a46494600010100000100010000',       // APP0 JFIF
    'ffdb004300' + '01'.repeat(64),               // DQT, table 0, all ones
    'ffc0000b080008000801011100',                 // SOF0 8x8, 1 component
    'ffc4001400' + '01' + '00'.repeat(15) + '00', // DHT DC0: one code (len 1) -> symbol 0
    'ffc4001410' + '01' + '00'.repeat(15) + '00', // DHT AC0: one code (len 1) -> EOB
    'ffda000801010000003f00',                     // SOS
    '3f',                                         // DC diff 0, EOB, padding 1-bits
    'ffd9',                                       // EOI
  ];
  return Buffer.from(parts.join(''), 'hex');
}

/** A w×h 24-bit BMP; with padTo, extra bytes after the pixels (file size kept consistent). */
export function makeBmp(w = 2, h = 2, { padTo } = {}) {
  const rowSize = Math.ceil((w * 3) / 4) * 4;
  const pixels = rowSize * h;
  let size = 54 + pixels;
  if (padTo !== undefined) {
    if (padTo < size) throw new Error('BMP too small to pad');
    size = padTo;
  }
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);       // pixel data offset
  b.writeUInt32LE(40, 14);       // BITMAPINFOHEADER
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);        // planes
  b.writeUInt16LE(24, 28);       // bits per pixel
  b.writeUInt32LE(0, 30);        // BI_RGB
  b.writeUInt32LE(pixels, 34);
  b.writeInt32LE(2835, 38);
  b.writeInt32LE(2835, 42);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 54 + y * rowSize + x * 3;
      b[o] = 0x20 * x; b[o + 1] = 0x40; b[o + 2] = 0x20 * y;
    }
  }
  return b;
}

/** Builds a multipart/form-data body by hand. parts: [{name, filename?, type?, data}] */
export function multipart(parts, boundary = '----profiledTestBoundary7MA4YWxkTrZu0gW') {
  const chunks = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"`;
    h += '\r\n';
    if (p.type) h += `Content-Type: ${p.type}\r\n`;
    h += '\r\n';
    chunks.push(Buffer.from(h, 'latin1'), Buffer.from(p.data), Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
