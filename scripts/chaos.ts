/**
 * Chaos run: a larger local run (default 200 generated files, 4 workers) while worker processes are SIGKILLed and
 * redis-server is restarted at random; then the Parquet output is checked against the planted set.
 *   node dist/scripts/chaos.js [--files 200] [--pages 500] [--workers 4] [--seed 7] [--interval-ms 2500]
 * Prints `lost=0 duplicated=0 extra=0` and exits 0 when the output is exact; exits 1 otherwise.
 */
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateFixtures } from '../src/fixtures/index.js';
import { ExitCode } from '../src/exit-codes.js';
import { startRedisServer, freePort, type EmbeddedRedis } from '../src/redis/redis-server.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '200' }, pages: { type: 'string', default: '500' }, workers: { type: 'string', default: '4' },
    seed: { type: 'string', default: '7' }, 'interval-ms': { type: 'string', default: '2500' }, keep: { type: 'boolean', default: false },
  },
});
const files = Number(values.files);
const workers = Number(values.workers);
const interval = Number(values['interval-ms']);
const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-chaos-'));
const log = (s: string): void => void process.stdout.write(`${s}\n`);

log(`chaos: generating ${files} WAT/WARC files in ${work}`);
const half = Math.ceil(files / 2);
const wat = await generateFixtures({ outDir: path.join(work, 'in'), kind: 'wat', files: half, pagesPerFile: Number(values.pages), seed: Number(values.seed), wikiLinkRate: 0.2, prefix: 'wat' });
const warc = files - half > 0
  ? await generateFixtures({ outDir: path.join(work, 'in'), kind: 'warc', files: files - half, pagesPerFile: Math.ceil(Number(values.pages) / 3), seed: Number(values.seed) + 1, wikiLinkRate: 0.2, prefix: 'warc' })
  : { files: [], expected: [] };
const listing = path.join(work, 'in', 'listing.txt');
await fsp.writeFile(listing, [...wat.files, ...warc.files].join('\n') + '\n');
const expected = [...wat.expected, ...warc.expected];

const port = await freePort();
const redisDir = path.join(work, 'redis');
await fsp.mkdir(redisDir);
let redis: EmbeddedRedis | undefined = await startRedisServer('redis-server', { port, dir: redisDir, appendOnly: true });
const out = path.join(work, 'out');
const env = { ...process.env, WIKIREVERSE_LOCK_MS: '3000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000', WIKIREVERSE_BACKOFF_MS: '300', WIKIREVERSE_MAX_WORKER_RESTARTS: '1000', WIKIREVERSE_MAX_STALLED: '1000' };
const run = spawn(process.execPath, [cli, 'run', '--paths', listing, '--out', out, '--workers', String(workers), '--redis', redis.url, '--run-id', 'chaos', '--log-level', 'info'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const workerPids = new Set<number>();
let stderrTail = '';
run.stderr.on('data', (b: Buffer) => {
  const s = b.toString();
  stderrTail = (stderrTail + s).slice(-4000);
  for (const m of s.matchAll(/"workerPid":(\d+)[^\n]*"msg":"local worker started"/g)) workerPids.add(Number(m[1]));
  for (const m of s.matchAll(/"workerPid":(\d+)[^\n]*"msg":"local worker exited unexpectedly"/g)) workerPids.delete(Number(m[1]));
});
let stdout = '';
run.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));

let kills = 0;
let restarts = 0;
let done = false;
void exited.then(() => (done = true));
while (!done) {
  await new Promise((r) => setTimeout(r, interval * (0.5 + Math.random())));
  if (done) break;
  if (Math.random() < 0.75) {
    const pids = [...workerPids];
    const victim = pids[Math.floor(Math.random() * pids.length)];
    if (victim !== undefined) {
      try {
        process.kill(victim, 'SIGKILL');
        workerPids.delete(victim);
        kills++;
      } catch { /* already gone */ }
    }
  } else if (redis) {
    await redis.stop();
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
    redis = await startRedisServer('redis-server', { port, dir: redisDir, appendOnly: true });
    restarts++;
  }
}
const code = await exited;
log(`chaos: run exited ${code} after ${kills} worker kills and ${restarts} redis restarts`);
log(stdout.trim());
if (code !== 0) log(stderrTail);

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const rows = (await conn.runAndReadAll(`SELECT lang, article, source_url, input_file FROM read_parquet('${out}/chaos/links/*.parquet')`)).getRowObjects();
const key = (r: Record<string, unknown>): string => [r.lang, r.article, r.source_url, r.input_file].map(String).join('\t');
const want = new Set(expected.map((r) => key(r as unknown as Record<string, unknown>)));
const got = new Map<string, number>();
for (const r of rows) got.set(key(r), (got.get(key(r)) ?? 0) + 1);
const lost = [...want].filter((k) => !got.has(k)).length;
const duplicated = [...got.values()].reduce((s, n) => s + (n - 1), 0);
const extra = [...got.keys()].filter((k) => !want.has(k)).length;
log(`expected=${want.size} got=${rows.length} lost=${lost} duplicated=${duplicated} extra=${extra}`);
conn.closeSync();
db.closeSync();
await redis?.stop();
if (!values.keep) await fsp.rm(work, { recursive: true, force: true });
process.exit(code === 0 && lost === 0 && duplicated === 0 && extra === 0 ? ExitCode.Ok : ExitCode.Failed);
