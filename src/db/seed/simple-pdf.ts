/** Curly quotes and dashes in WinAnsiEncoding, the font's encoding. */
const winAnsi: Record<string, string> = { '‘': '\x91', '’': '\x92', '“': '\x93', '”': '\x94', '–': '\x96', '—': '\x97' };

/**
 * A small, valid PDF of a title and some lines of text (Helvetica, one A4 page per 45 lines), written by hand: enough
 * for the demo's resource files and the tests' uploads, without a PDF library.
 */
export function simplePdf(title: string, lines: readonly string[]): Buffer {
  // PDF strings: backslash and parentheses escaped; curly quotes and dashes as their WinAnsi codes (the byte the
  // latin1 body writes for \x91–\x97); anything else outside Latin-1 becomes "?".
  const esc = (s: string) =>
    s
      .replace(/[^\x20-\x7e\xa0-\xff‘’“”–—]/g, '?')
      .replace(/[\\()]/g, '\\$&')
      .replace(/[‘’“”–—]/g, (c) => winAnsi[c]);
  const all = [title, '', ...lines];
  const pages: string[][] = [];
  for (let i = 0; i < all.length; i += 45) pages.push(all.slice(i, i + 45));
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((page, i) => {
    const text = page.map((line, j) => `${j === 0 && i === 0 ? '/F1 16 Tf' : '/F1 11 Tf'} 1 0 0 1 56 ${790 - j * 16} Tm (${esc(line)}) Tj`).join('\n');
    const stream = `BT\n${text}\nET`;
    objects[pageIds[i]] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i] + 1} 0 R >>`;
    objects[pageIds[i] + 1] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
  });
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(body, 'latin1');
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
