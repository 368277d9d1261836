/** Upload bodies for tests: a browser's multipart form, and a hostile XLSX ("zip bomb") that lies about its size. */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { once } from 'node:events';

/** A multipart/form-data body as a browser sends it: the fields (the CSRF token first), then the file. */
export function multipartBody(fields: Record<string, string | string[]>, file: { name: string; content: Buffer } | null) {
  const boundary = `----pioneer${crypto.randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, values] of Object.entries(fields)) {
    for (const v of [values].flat()) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`));
    parts.push(file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** `bytes` zero bytes, raw-deflated a megabyte at a time (never holding them all: ~1 KB of output per MB). */
async function deflatedZeros(bytes: number): Promise<Buffer> {
  const deflate = zlib.createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < bytes; written += chunk.length) {
    if (!deflate.write(chunk.subarray(0, Math.min(chunk.length, bytes - written)))) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  return Buffer.concat(out);
}

/**
 * A zip that starts like an XLSX and whose one part, xl/worksheets/sheet1.xml, declares `declared` bytes in both its
 * local and central headers but inflates to `inflates` zero bytes. The headers are written by hand because no zip
 * writer will write a lie.
 */
export async function lyingZip(opts: { declared: number; inflates: number }): Promise<Buffer> {
  const name = Buffer.from('xl/worksheets/sheet1.xml');
  const data = await deflatedZeros(opts.inflates);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(opts.declared, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(20, 6); // version needed
  central.writeUInt16LE(8, 10); // deflate
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(opts.declared, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42); // the local header is at the start
  const directoryAt = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(directoryAt, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
