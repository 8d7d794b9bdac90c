/** The work of `wikireverse dashboard` (commands/dashboard.ts parses its flags), loaded only when it runs. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Router } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, QUEUE_PREFIX, openQueue, openRedis, queueName } from '../../redis/index.js';
import { redactUrl } from '../../log/index.js';
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

/**
 * The dashboard can retry and remove jobs, so a web page open in the operator's browser must not reach it: requests
 * must name this server in Host (no DNS rebinding), state-changing ones must come from its own Origin, and every one
 * must be under the secret path printed at start (`/<token>/`). No cookie: a browser sends a 127.0.0.1 cookie to every
 * server on that address whatever its port (cookies are not scoped by port), so another local user's server on another
 * port would receive it. The path reaches no other server (no Referer either).
 */
function guard(port: () => number, token: string): express.RequestHandler {
  const own = (): Set<string> => new Set([`127.0.0.1:${port()}`, `localhost:${port()}`]);
  return (req, res, next) => {
    const hosts = own();
    if (!hosts.has(req.headers.host ?? '')) {
      res.status(403).type('text').send('forbidden: unknown Host\n');
      return;
    }
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && (origin === undefined || ![...hosts].some((h) => origin === `http://${h}`))) {
      res.status(403).type('text').send('forbidden: cross-origin request\n');
      return;
    }
    if (req.path !== `/${token}` && !req.path.startsWith(`/${token}/`)) {
      res.status(401).type('text').send('the dashboard is at the secret address it printed when it started: open that URL\n');
      return;
    }
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
}


export async function dashboardCommand(ctx: CommandContext, o: { redis: string; port: number; refreshMs: number }): Promise<void> {
  const redis = await openRedis(o.redis, 'wikireverse-dashboard');
  const queues = new Map<string, Queue>();
  const serverAdapter = new ExpressAdapter();
  const token = randomBytes(18).toString('base64url');
  serverAdapter.setBasePath(`/${token}`);
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
  let listening = 0;
  app.use(guard(() => listening, token));
  app.use(`/${token}`, serverAdapter.getRouter() as Router); // bull-board types it `any`
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(o.port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  listening = port;
  ctx.io.stdout.write(`dashboard: http://127.0.0.1:${port}/${token}/ (queues of ${queues.size} runs in ${redactUrl(o.redis)}; Ctrl-C to stop)\n`);
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
}
