/** A redis-server for fault tests with a fixed port and data dir, so it can be stopped and started again (optionally persistent). */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';

export { freePort } from '../../src/redis/redis-server.js';

export class TestRedis {
  private server: EmbeddedRedis | undefined;
  /** One password across restarts (a restarted server must take the clients' password). */
  private readonly password = randomBytes(12).toString('hex');
  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly persistent: boolean,
  ) {}

  get url(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = await startRedisServer('redis-server', { port: this.port, dir: this.dir, appendOnly: this.persistent, password: this.password });
  }

  /** A clean shutdown (with persistence on, the data survives a restart). */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }
}
