/**
 * How much an XLSX (a zip) really holds once unzipped, learnt by inflating it rather than by believing the sizes it
 * declares: a "zip bomb" can declare 1,000 bytes for a part that inflates to a gigabyte. Every part is streamed
 * through inflate with a running count and nothing is kept beyond the chunk in hand, so measuring costs at most the
 * limit in CPU and a few chunks in memory, and stops as soon as the limit is passed.
 */
import yauzl from 'yauzl';

/** `fits`: it unzips to at most the limit; `too-large`: more than the limit; `unreadable`: not a zip we can inflate. */
export type UnzippedSize = 'fits' | 'too-large' | 'unreadable';

/** Inflates every part of the zip in `buffer`, counting bytes, to tell whether it unzips to at most `maxBytes`. */
export async function measureUnzipped(buffer: Buffer, maxBytes: number): Promise<UnzippedSize> {
  let zip: yauzl.ZipFile;
  try {
    // yauzl's own size check is off because every byte is counted below: its error would stop a bomb at its first
    // lie and call it damaged, where the person uploading is better told the workbook holds too much data.
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true, validateEntrySizes: false, strictFileNames: false });
  } catch {
    return 'unreadable';
  }
  try {
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      // What it declares is already too much: refused without inflating anything.
      if (total + entry.uncompressedSize > maxBytes) return 'too-large';
      let inEntry = 0;
      for await (const chunk of await zip.openReadStreamPromise(entry)) {
        inEntry += (chunk as Buffer).length;
        total += (chunk as Buffer).length;
        // Leaving the loop destroys the stream, so inflating stops here.
        if (total > maxBytes) return 'too-large';
      }
      // A part whose size differs from what it declares is damaged; exceljs's unzipper would refuse it too.
      if (inEntry !== entry.uncompressedSize) return 'unreadable';
    }
    return 'fits';
  } catch {
    // A corrupt deflate stream, an encrypted part or an unknown compression method.
    return 'unreadable';
  } finally {
    zip.close();
  }
}
