/**
 * `wikireverse dashboard --redis URL [--port P]`: a queue dashboard (bull-board) for the runs' BullMQ queues, served
 * on loopback only (it can retry and remove jobs: reach it from elsewhere through an SSH tunnel, not an open port).
 * The runs shown are the active ones (`wikireverse:runs:active`) plus every run queue found in Redis, refreshed
 * every few seconds.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Command } from 'commander';
import express from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, QUEUE_PREFIX, openQueue, openRedis, queueName } from '../../queue/index.js';
import { redactUrl } from '../../log/index.js';
import { intOption } from '../io.js';
import { onSignals, type CommandContext } from '../context.js';

/** Run ids with a queue in Redis: the active runs, and every `wikireverse:run-<id>:meta` key. */
async function runIds(redis: Redis): Promise<string[]> {
  const ids = new Set(await redis.smembers(ACTIVE_RUNS_KEY));
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${QUEUE_PREFIX}:run-*:meta`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) ids.add(k.slice(`${QUEUE_PREFIX}:run-`.length, -':meta'.length));
  } while (cursor !== '0');
  return [...ids].sort();
}

export function registerDashboard(program: Command, ctx: CommandContext): void {
  program
    .command('dashboard')
    .description("a web dashboard of the runs' queues (bull-board) on 127.0.0.1: jobs by state, failures, retries")
    .requiredOption('--redis <url>', 'Redis URL', ctx.config.redisUrl)
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', intOption('--port'), ctx.config.dashboardPort)
    .option('--refresh-ms <n>', 'how often the list of runs is refreshed', intOption('--refresh-ms', 100), 5000)
    .action(async (o: { redis: string; port: number; refreshMs: number }) => {
      const redis = await openRedis(o.redis, 'wikireverse-dashboard');
      const queues = new Map<string, Queue>();
      const serverAdapter = new ExpressAdapter();
      serverAdapter.setBasePath('/');
      const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'WikiReverse runs' } } });
      const refresh = async (): Promise<void> => {
        const ids = await runIds(redis);
        for (const id of ids) {
          if (queues.has(id)) continue;
          const q = openQueue(queueName(id), o.redis, `wikireverse-dashboard-${id}`);
          queues.set(id, q);
        }
        for (const [id, q] of queues) {
          if (ids.includes(id)) continue;
          queues.delete(id);
          await q.close();
        }
        board.replaceQueues([...queues.values()].map((q) => new BullMQAdapter(q)));
      };
      await refresh();
      const timer = setInterval(() => void refresh().catch(() => undefined), o.refreshMs);
      const app = express();
      app.use('/', serverAdapter.getRouter());
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(o.port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
      const { port } = server.address() as AddressInfo;
      ctx.io.stdout.write(`dashboard: http://127.0.0.1:${port}/ (queues of ${queues.size} runs in ${redactUrl(o.redis)}; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const unhook = onSignals(() => {
          unhook();
          resolve();
        });
      });
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([...queues.values()].map((q) => q.close()));
      redis.disconnect();
    });
}
