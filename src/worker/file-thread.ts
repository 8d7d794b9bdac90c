/**
 * The thread a worker reads its files in (one at a time): `processFile` on the message's file, the result or the
 * error posted back. The worker's main thread watches it (file-sandbox.ts) and ends it when it stops making progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jobRegistry } from '../../jobs/index.js';
import { resolveJob } from '../job/index.js';
import { InputNotFoundError, IoSession, openStore } from '../storage/index.js';
import { inflateFor } from '../warc/index.js';
import { ReaderHeartbeat } from './reader-heartbeat.js';
import { processFile } from './process-file.js';
import type { ThreadReply, ThreadRequest } from './file-sandbox.js';

const port = parentPort;
if (!port) throw new Error('file-thread.ts runs as a worker thread');
const heartbeat = new ReaderHeartbeat((workerData as { heartbeat: SharedArrayBuffer }).heartbeat);
/** How often the thread shows its event loop turning: a loop that never yields stops this. */
const BEAT_MILLIS = 200;
setInterval(() => heartbeat.beat(), BEAT_MILLIS);

port.on('message', (req: ThreadRequest) => {
  void handle(req).then((reply) => port.postMessage(reply));
});
port.postMessage({ ready: true }); // modules loaded: the sandbox may send files

async function handle(req: ThreadRequest): Promise<ThreadReply> {
  const io = new IoSession(req.data.publicOnly === true ? { ...req.io, publicAddressesOnly: true } : req.io);
  try {
    const job = resolveJob(jobRegistry, req.data.job);
    const result = await processFile(req.data, job, openStore(req.data.out, io), req.attempt, io, heartbeat, inflateFor(req.inflate).inflate);
    // What the worker returns (and adds to the run's totals) is what the session counted, the commit record's PUT included.
    return { ok: true, result: { ...result, counters: { ...result.counters, ...io.counters.toJSON() } } };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, message: e.message, notFound: err instanceof InputNotFoundError };
  } finally {
    io.close();
    heartbeat.reset();
  }
}
