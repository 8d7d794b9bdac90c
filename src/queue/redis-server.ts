/**
 * A private redis-server for one local run: loopback, a free port, persistence off, `noeviction`
 * (BullMQ must never lose keys). Stopped at the end of the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function missingBinaryError(bin: string): Error {
  return new Error(
    `Cannot start ${bin}: it is not installed or not on PATH. Install it (Debian/Ubuntu: \`sudo apt-get install -y redis-server\`; macOS: \`brew install redis\`), ` +
      'set WIKIREVERSE_REDIS_SERVER to its path, or point at a running Redis with --redis redis://host:6379.',
  );
}

export interface RedisServerOptions {
  /** @default a free port */
  readonly port?: number;
  /** Data directory; given: kept at stop (so a restart with `appendOnly` finds its data). @default a temp dir, removed at stop */
  readonly dir?: string;
  /** Persistence (AOF, fsync always). @default false */
  readonly appendOnly?: boolean;
}

export async function startRedisServer(bin = 'redis-server', opts: RedisServerOptions = {}): Promise<EmbeddedRedis> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-redis-')));
  const removeDir = opts.dir === undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', opts.appendOnly ? 'yes' : 'no',
    '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--dir', dir, '--protected-mode', 'yes',
  ];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missingBinaryError(bin) : err));
    child.once('exit', (code) => reject(new Error(`${bin} exited with code ${code} before it was ready:\n${output.slice(-2000)}`)));
    const onData = (buf: Buffer): void => {
      output += buf.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${bin} did not become ready within 15 s:\n${output.slice(-2000)}`)), 15_000).unref(),
  );
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    child.kill('SIGKILL');
    if (removeDir) await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  child.removeAllListeners('exit');
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (removeDir) await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
