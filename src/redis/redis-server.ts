/**
 * A private redis-server for one local run: loopback, a free port, a random password, persistence off, `noeviction`
 * (BullMQ must never lose keys). Stopped by its coordinator, and only by it:
 * - it runs in its own process group, so a Ctrl-C on the terminal (SIGINT to the foreground group) does not kill it
 *   under a coordinator that is still saving the run's state;
 * - a small shell keeps it on a lifeline (the shell's stdin, a pipe from the coordinator): when the coordinator ends,
 *   however it ends (SIGKILL included), the pipe closes and the shell stops the server. Nothing is left running.
 * The configuration (with the password) goes to redis-server on a pipe, never on its command line (`ps` shows that).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
  /** The password clients must give (`requirepass`). @default a random one */
  readonly password?: string;
  /** Address to listen on. @default 127.0.0.1 (the embedded server is private to its run) */
  readonly bind?: string;
}

/**
 * Runs redis-server with its configuration on fd 3; a background reader of stdin (the lifeline) stops it with SIGTERM
 * when stdin closes; when the server exits, for whatever reason, the whole group (reader included) goes.
 */
const LIFELINE =
  'exec 4<&0; redis-server - <&3 3<&- 4<&- & pid=$!; exec 3<&-; ' +
  '(cat <&4 >/dev/null; kill -TERM $pid 2>/dev/null) & exec 4<&-; wait $pid; kill -KILL 0';

/** A redis.conf value, quoted. */
const confValue = (v: string): string => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

export async function startRedisServer(bin = 'redis-server', opts: RedisServerOptions = {}): Promise<EmbeddedRedis> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-redis-')));
  const removeDir = opts.dir === undefined;
  const password = opts.password ?? randomBytes(24).toString('hex');
  const conf = [
    `port ${port}`, `bind ${opts.bind ?? '127.0.0.1'}`, 'save ""', `appendonly ${opts.appendOnly ? 'yes' : 'no'}`, 'appendfsync always',
    'maxmemory-policy noeviction', `dir ${confValue(dir)}`, 'protected-mode yes', `requirepass ${confValue(password)}`,
  ].join('\n');
  const child: ChildProcess = spawn('/bin/sh', ['-c', LIFELINE.replace('redis-server', `'${bin.replace(/'/g, `'\\''`)}'`)], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true,
  });
  const config = child.stdio[3] as NodeJS.WritableStream;
  config.on('error', () => undefined); // a server that exits at once: reported below with its output
  config.end(`${conf}\n`);
  child.stdin?.on('error', () => undefined);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () =>
      reject(/not found|No such file/.test(output) ? missingBinaryError(bin) : new Error(`${bin} exited before it was ready:\n${output.slice(-2000)}`)));
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
    killGroup(child);
    if (removeDir) await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  child.removeAllListeners('exit');
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  // The coordinator's event loop is not held by the server.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    url: `redis://:${password}@${opts.bind ?? '127.0.0.1'}:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin?.end(); // the lifeline: the shell stops the server and waits for it
        const t = setTimeout(() => killGroup(child), 5000);
        await exited;
        clearTimeout(t);
      }
      if (removeDir) await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/** SIGKILL to the shell and the server (their own process group). */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
