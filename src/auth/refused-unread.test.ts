import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { paths } from '../web/paths.ts';

/**
 * A request that may not call a route is refused before its body is read (src/auth/access.ts runs before parsing):
 * a stranger, or someone without the right role, cannot make the service hold an upload in memory. Each request
 * here announces a 50 MB body and sends only its first line; an answer can only come back if nobody waits for the rest.
 */
describe.each(backends)('requests refused before their body is read (%s)', (backend) => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => t?.close());

  /** Sends the headers and the start of a 50 MB multipart body; the status line, or null if none came within `waitMs`. */
  function startUpload(path: string, headers: Record<string, string> = {}, waitMs = 5000) {
    return new Promise<string | null>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      const done = (value: string | null) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(value);
      };
      const timer = setTimeout(() => done(null), waitMs);
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n')) done(answer.slice(0, answer.indexOf('\r\n')));
      });
      socket.on('error', reject);
      const head = { host: 'localhost', 'content-type': 'multipart/form-data; boundary=x', 'content-length': '50000000', ...headers };
      socket.write(`POST ${path} HTTP/1.1\r\n${Object.entries(head).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n--x\r\n`);
    });
  }

  const cookieOf = async (who: 'admin' | 'sro') => {
    const agent = await t.signIn(who);
    return [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  };

  it('sends a stranger’s upload page to sign in without waiting for the file', async () => {
    const status = await startUpload(paths.importNominations());
    expect(status).toMatch(/^HTTP\/1\.1 (302|303)/);
  });

  it('refuses a signed-in person without the role (an SRO uploading results) without waiting for the file', async () => {
    const status = await startUpload(paths.importResults(), { cookie: await cookieOf('sro') });
    expect(status).toBe('HTTP/1.1 403 Forbidden');
  });

  it('refuses an API upload without a token, or with a bad one, without waiting for the file', async () => {
    expect(await startUpload('/api/v1/imports/nominations')).toBe('HTTP/1.1 401 Unauthorized');
    expect(await startUpload('/api/v1/imports/nominations', { authorization: 'Bearer pioneer_not-a-token' })).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('does wait for the whole file from someone who may upload it (so the refusals above are not just early answers)', async () => {
    expect(await startUpload(paths.importNominations(), { cookie: await cookieOf('admin') }, 1000)).toBeNull();
  });
});
