/** Real files of each kind a network resource may be, made in memory, and files that lie about what they are. */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import yazl from 'yazl';
import { simplePdf } from '../src/db/seed/simple-pdf.ts';

async function zip(entries: { name: string; content: string | Buffer; store?: boolean }[]): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const e of entries) file.addBuffer(Buffer.from(e.content), e.name, { compress: !e.store });
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const contentTypes = (main: string, part: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
  `<Override PartName="/${part}" ContentType="${main}"/></Types>`;

const rels = (part: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
  `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${part}"/></Relationships>`;

export const pngBytes = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
export const jpegBytes = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);
/** The start of a Windows program: "MZ", then a PE header where the DOS header says it is. */
export function exeBytes(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

/** One real file of each allowed kind, by extension. */
export async function realFiles(): Promise<Record<string, Buffer>> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('KPIs').addRows([['KPI', 'Target'], ['On-time delivery', '95%']]);
  return {
    pdf: simplePdf('Contract register case study', ['How a council built its register.']),
    docx: await zip([
      { name: '[Content_Types].xml', content: contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml', 'word/document.xml') },
      { name: '_rels/.rels', content: rels('word/document.xml') },
      { name: 'word/document.xml', content: '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Toolkit</w:t></w:r></w:p></w:body></w:document>' },
    ]),
    xlsx: Buffer.from(await workbook.xlsx.writeBuffer()),
    pptx: await zip([
      { name: '[Content_Types].xml', content: contentTypes('application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml', 'ppt/presentation.xml') },
      { name: '_rels/.rels', content: rels('ppt/presentation.xml') },
      { name: 'ppt/presentation.xml', content: '<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>' },
    ]),
    odt: await zip([
      { name: 'mimetype', content: 'application/vnd.oasis.opendocument.text', store: true },
      { name: 'content.xml', content: '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>' },
    ]),
    csv: Buffer.from('\ufeffKPI,Target\nOn-time delivery,95%\nSupplier meetings – monthly,12\n'),
    png: pngBytes,
    jpg: jpegBytes,
  };
}

/** A plain ZIP archive (not an office document). */
export const plainZip = () => zip([{ name: 'notes.txt', content: 'not a document' }]);

/** Every file under a storage folder (its temporary folder included), relative to it: what uploads left on disk. */
export function storedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else out.push(path.relative(root, path.join(dir, entry.name)));
    }
  };
  walk(root);
  return out.sort();
}
