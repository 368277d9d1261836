import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, ping } from './db/client.ts';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-signals-'));
const lockFile = path.join(dataDir, 'pioneer.lock');
const children: ChildProcess[] = [];
/** Processes started under npm, stopped here too should a test fail before it stops them. */
const grandchildren: number[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of grandchildren) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

// Vitest sets BASE_URL=/ for Vite; the service reads BASE_URL as its public URL, so leave it out.
const { BASE_URL: _vite, ...parentEnv } = process.env;

/** A port nobody is listening on (the service is told to use it). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const isListening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

function isRunning(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the service one of the documented ways and resolves once it is answering /health. */
async function start(command: string, args: string[], extra: Record<string, string> = {}, opts: { ownGroup?: boolean } = {}) {
  const port = await freePort();
  const child = spawn(command, args, {
    cwd: root,
    detached: opts.ownGroup ?? false,
    env: { ...parentEnv, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATA_DIR: dataDir, PORT: String(port), ...extra },
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (output.includes('Pioneer is running at')) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`exited before it was ready:\n${output}`));
    });
  });
  expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  return { child, port, exited, output: () => output };
}

/** A request still in flight: its body never finishes arriving, so a graceful stop waits for it. */
const requestInFlight = (port: number) =>
  new Promise<net.Socket>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('POST /sign-in HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=');
      setTimeout(() => resolve(socket), 300);
    });
    socket.on('error', () => {});
  });

/** The data folder is free again: another process can open the database on it. */
async function dataFolderIsFree() {
  const database = await openDatabase({ dataDir });
  try {
    return await ping(database.db);
  } finally {
    await database.close();
  }
}

describe('stopping the service', () => {
  it('SIGTERM to the process `npm start` starts stops it gracefully: npm exits 0, the port closes and the data folder is released', async () => {
    const npm = await start('npm', ['start', '--silent']);
    // One node process directly under npm: the signal a service manager sends it reaches the server itself.
    const [pid, ...others] = spawnSync('ps', ['-o', 'pid=', '--ppid', String(npm.child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split(/\s+/)
      .map(Number);
    grandchildren.push(pid, ...others);
    expect(others).toEqual([]);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('dist/main.mjs');
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(pid));

    process.kill(pid, 'SIGTERM');
    expect(await npm.exited).toBe(0);
    expect(isRunning(pid)).toBe(false);
    expect(await isListening(npm.port)).toBe(false);
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(await dataFolderIsFree()).toBe(true);
  }, 120_000);

  it('Ctrl+C in a terminal running `npm start` (SIGINT to npm and the server at once) stops it gracefully, exit 0', async () => {
    const npm = await start('npm', ['start', '--silent'], {}, { ownGroup: true });
    const [pid] = spawnSync('ps', ['-o', 'pid=', '--ppid', String(npm.child.pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
    grandchildren.push(pid);
    // What a terminal does: the signal goes to the whole foreground process group, and npm passes it on as well.
    process.kill(-npm.child.pid!, 'SIGINT');
    expect(await npm.exited).toBe(0);
    expect(isRunning(pid)).toBe(false);
    expect(fs.existsSync(lockFile)).toBe(false);
  }, 90_000);

  it('SIGINT to `node dist/main.mjs` waits for a request in flight; a second signal ends it at once, exit 1', async () => {
    expect(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status).toBe(0);
    const node = await start(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], { SHUTDOWN_GRACE_MS: '60000' });
    const socket = await requestInFlight(node.port);
    node.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1500));
    expect(node.child.exitCode).toBeNull(); // still finishing the request
    expect(await isListening(node.port)).toBe(false); // but no longer accepting
    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(1);
    socket.destroy();
    // A lock left by a process that has gone is taken over.
    expect(await dataFolderIsFree()).toBe(true);
  }, 90_000);

  it('`pioneer serve` is the server\'s own process: SIGTERM to it stops the service, with exit 1 when stopping takes longer than SHUTDOWN_GRACE_MS', async () => {
    const serve = await start(process.execPath, ['bin/pioneer.js', 'serve'], { SHUTDOWN_GRACE_MS: '1500', LOG_LEVEL: 'info' });
    const socket = await requestInFlight(serve.port);
    const signalled = Date.now();
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(1);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1400);
    expect(serve.output()).toContain('shutdown took longer than SHUTDOWN_GRACE_MS');
    socket.destroy();
    expect(await dataFolderIsFree()).toBe(true);
  }, 90_000);
});

describe('a promise rejected with nobody listening', () => {
  it('is logged without its message and the service carries on', () => {
    const script = `import { keepRunningOnUnhandledRejection } from './src/server.ts';
      keepRunningOnUnhandledRejection({ error: (details, message) => console.log(JSON.stringify({ details, message })) });
      Promise.reject(Object.assign(new Error('Failed query: params: someone@example.gov.uk'), { code: '23514' }));
      setTimeout(() => console.log('still running'), 200);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: parentEnv });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('unhandled promise rejection');
    expect(run.stdout).toContain('"code":"23514"');
    expect(run.stdout).not.toContain('someone@example.gov.uk');
    expect(run.stdout).toContain('still running');
  }, 60_000);
});
