import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { attachmentDisposition, fileTypeOf } from './detect.ts';

/**
 * Sends a stored file as a download: always an attachment, never shown in the browser, never sniffed into something
 * else (nosniff, and a sandboxing CSP should a browser open it anyway). `fallbackName` names a file whose name has
 * nothing safe left in it.
 */
export function sendStoredFile(reply: FastifyReply, file: { contentType: string; fileName: string; sizeBytes: number }, content: Readable, fallbackName = 'file') {
  const type = fileTypeOf(file.contentType);
  return reply
    .header('content-type', file.contentType === 'text/csv' ? 'text/csv; charset=utf-8' : file.contentType)
    .header('content-disposition', attachmentDisposition(file.fileName, type?.extensions[0] ?? 'bin', fallbackName))
    .header('content-length', String(file.sizeBytes))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(content);
}
