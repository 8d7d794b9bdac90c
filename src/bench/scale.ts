/**
 * `npm run bench -- --only scale`: a full-crawl-shaped run, scaled down. Generated WAT files (read from local disk),
 * partials and outputs on the S3 stand-in (s3rver) behind a proxy that holds every request for 20 ms, a private
 * redis-server, `wikireverse worker` processes and a coordinator with `--workers 0`, all real processes.
 * Measured: the wall time of each phase (setup, map, collect, reduce), S3 requests by class (the run's own counters
 * and the proxy's count), peak RSS of the coordinator, of each map worker and of the worker that ran the reduce tasks
 * alone (started when the map ends), the workers' CPU time by phase, and from those a projection to the full crawl (63,560 files, 36 M links).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SETTINGS, WORKER_NODE_FLAGS, childEnv } from '../config/index.js';
import { startRedisServer } from '../redis/index.js';
import { manifestPath, partialsDir } from '../storage/layout.js';
import { DEFAULT_PRICES } from '../cost/prices.js';
import { projectRun, type Projection } from '../cost/projection.js';
import { projectCrawl, RECENT_WAT, type CrawlShape } from './crawl-projection.js';
import { defaultPartitions } from '../coordinator/index.js';
import { generatedInputs, type InputSpec } from './inputs.js';
import { LatencyProxy } from './latency-proxy.js';

export interface ScaleSpec {
  readonly files: number;
  readonly pagesPerFile: number;
  readonly workers: number;
  readonly latencyMillis: number;
}

/** The worker path's speed on real-shaped WAT (gzipped bytes per core-second), and where the figure comes from. */
export interface MapSpeed {
  readonly bytesPerCoreSec: number;
  readonly source: string;
}

export interface ScaleFigures {
  readonly files: number;
  readonly links: number;
  /** The distinct links of the same files counted independently (`wikireverse extract` per file, keys counted here). */
  readonly expectedLinks: number;
  readonly workers: number;
  readonly partitions: number;
  readonly reduceTasks: number;
  readonly latencyMillis: number;
  /** Wall seconds: start-up to the first event (listing, file list, enqueue), map, collecting commits, reduce. */
  readonly phases: { readonly setup: number; readonly map: number; readonly collect: number; readonly reduce: number; readonly total: number };
  /** The run's S3 counters (`io.s3.*` of the manifest) and the proxy's count of requests by method. */
  readonly s3: Record<string, number>;
  readonly proxyRequests: Record<string, number>;
  readonly perFile: { readonly puts: number; readonly gets: number; readonly objectsUnderPartials: number };
  readonly coordinatorMaxRssMb: number;
  /** The map workers' peak RSS, and the reduce worker's (a fresh process that ran only the reduce tasks). */
  readonly workerMaxRssMb: readonly number[];
  readonly reducerMaxRssMb: number;
  /** CPU seconds of all workers together during the map and during the reduce. */
  readonly workerCpu: { readonly map: number; readonly reduce: number };
  readonly manifestBytes: number;
  /**
   * The workers' log (stderr, JSON lines at their default level, as a fleet keeps it): lines and bytes per file
   * processed during the map, and the reduce worker's in all.
   */
  readonly log: { readonly linesPerFile: number; readonly bytesPerFile: number; readonly reduceLines: number; readonly reduceBytes: number };
  readonly fullCrawl: FullCrawlProjection;
  /**
   * This run's own S3 PUTs and GETs per file as `estimate`'s projection counts them for its layout (its files,
   * partitions and reduce tasks; inputs read locally), beside what the run made (the manifest's counters).
   */
  readonly requestCheck: { readonly projected: { readonly puts: number; readonly gets: number }; readonly measured: { readonly puts: number; readonly gets: number } };
}

export interface FullCrawlProjection {
  /** The crawl projected, its sizes and their sources (crawl-projection.ts). */
  readonly crawl: CrawlShape;
  /** CPU seconds per file: this run's per-file overhead plus the file's bytes at the measured speed. */
  readonly mapSecondsPerFile: number;
  readonly mapSpeedSource: string;
  readonly instances: number;
  /** The map's projection (the cheapest type per file; every candidate with its bound). */
  readonly map: Projection;
  readonly reduceVcpuHours: number;
  readonly wallHours: number;
  readonly ec2Usd: number;
  readonly s3Usd: number;
  readonly fixedUsd: number;
  readonly totalUsd: number;
}

const FLEET_INSTANCES = 20;
/** The coordinator and Redis on one small on-demand instance (t4g.small, us-east-1) for the projection's fixed cost. */
const HEAD_NODE_PER_HOUR = 0.0168;

const CLK_TCK = 100;
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
};
const peakRssMb = (pid: number | undefined): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};

/** Starts s3rver with an `out` bucket; resolves with its port. */
async function startS3(root: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', path.join(root, 'test/helpers/s3rver-child.cjs'), dir, 'out'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

/**
 * The distinct (lang, article, source_url) keys of `files`, from `wikireverse extract` (the map path alone: no queue,
 * no store, no reduce), 500 files per process: what a run that loses nothing must output.
 */
async function independentLinkCount(cli: string, files: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const keys = new Set<string>();
  for (let i = 0; i < files.length; i += 500) {
    const child = spawn(process.execPath, [cli, 'extract', '--format', 'tsv', ...files.slice(i, i + 500)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let header = true;
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      if (header) {
        header = false;
        continue;
      }
      const cols = line.split('\t', 3);
      keys.add(cols.join('\t'));
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    if (code !== 0) throw new Error(`wikireverse extract exited with ${code}`);
  }
  return keys.size;
}

const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};

export async function measureScale(root: string, cacheDir: string, spec: ScaleSpec, speed: MapSpeed, log: (line: string) => void): Promise<ScaleFigures> {
  // Every page links Wikipedia (~3 links a page); the reduce's cost is projected per link, the map's per page.
  const input: InputSpec = { kind: 'wat', files: spec.files, pagesPerFile: spec.pagesPerFile, seed: 636, wikiLinkRate: 1, avgPageBytes: 1500 };
  const set = await generatedInputs(cacheDir, input, log);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-bench-scale-'));
  const listing = path.join(work, 'listing.txt');
  await fsp.writeFile(listing, set.files.join('\n') + '\n');
  const redis = await startRedisServer();
  const s3 = await startS3(root, path.join(work, 's3'));
  const proxy = new LatencyProxy(s3.port, spec.latencyMillis);
  const endpoint = await proxy.start();
  const cli = path.join(root, 'dist/cli.js');
  const runId = `scale-${spec.files}`;
  const env = childEnv({
    AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    WIKIREVERSE_S3_ENDPOINT: endpoint, WIKIREVERSE_REDIS_URL: redis.url,
  });
  // As a fleet runs them (local-fleet.ts, the Dockerfile): with the worker's node flags, at their default log level, the
  // log counted (and dropped) here.
  const logs = { map: { lines: 0, bytes: 0 }, reduce: { lines: 0, bytes: 0 } };
  const startWorker = (phase: 'map' | 'reduce'): ChildProcess => {
    const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, cli, 'worker', '--run', runId], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      logs[phase].bytes += d.length;
      for (const b of d) if (b === 0x0a) logs[phase].lines++;
    });
    return child;
  };
  const workers: ChildProcess[] = [];
  let reducer: ChildProcess | undefined;
  const keep = { dir: false };
  try {
    for (let i = 0; i < spec.workers; i++) workers.push(startWorker('map'));
    log(`scale: ${spec.files} files, ${spec.workers} workers, S3 behind ${spec.latencyMillis} ms of latency ...`);
    const t0 = Date.now();
    // The coordinator as the package's bin runs it (the same V8 settings as `wikireverse run`).
    const coord = spawn(process.execPath, ['--max-semi-space-size=4', cli, 'run', '--paths', listing, '--out', 's3://out/runs', '--workers', '0',
      '--run-id', runId, '--events', '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    coord.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    let tStart = 0;
    let tMapEnd = 0;
    let tReduce = 0;
    let mapCpu = 0;
    let workerMaxRssMb: number[] = [];
    let summary: { status?: string; summary?: { links?: number } } = {};
    let coordRss = 0;
    const rssPoll = setInterval(() => { coordRss = Math.max(coordRss, peakRssMb(coord.pid)); }, 250);
    const workersCpu = (): number => workers.reduce((s, w) => s + cpuSeconds(w.pid), 0);
    for await (const line of createInterface({ input: coord.stdout as NodeJS.ReadableStream })) {
      const e = JSON.parse(line) as { event: string; text?: string; files?: { total: number; done: number; failed: number } } & typeof summary;
      const now = Date.now();
      if (e.event === 'start') tStart = now;
      if (e.event === 'progress' && !tMapEnd && e.files && e.files.done + e.files.failed === e.files.total) {
        tMapEnd = now;
        // The map workers go (SIGTERM: they drain and exit while the coordinator reads the commit records) and one fresh
        // worker takes the reduce tasks, so its peak RSS and CPU time are the reduce's alone.
        mapCpu = workersCpu();
        workerMaxRssMb = workers.map((w) => Math.round(peakRssMb(w.pid)));
        await Promise.all(workers.map(stop));
        reducer = startWorker('reduce');
      }
      if (e.event === 'message' && e.text?.includes(': reducing ')) tReduce = now;
      if (e.event === 'summary') summary = e;
    }
    const code = await new Promise<number | null>((r) => (coord.exitCode !== null ? r(coord.exitCode) : coord.once('exit', r)));
    clearInterval(rssPoll);
    const tEnd = Date.now();
    const reduceCpu = cpuSeconds(reducer?.pid);
    const reducerMaxRssMb = Math.round(peakRssMb(reducer?.pid));
    if (code !== 0 || summary.status !== 'succeeded') throw new Error(`scale run ended with exit code ${code}: ${stderr}`);

    // s3rver keeps each object as a file: <bucket dir>/<key>._S3rver_object.
    const s3rverFile = (key: string): string => path.join(work, 's3', 'out', 'runs', `${key}._S3rver_object`);
    const manifestFile = s3rverFile(manifestPath(runId));
    const manifest = JSON.parse(await fsp.readFile(manifestFile, 'utf8')) as {
      counters: Record<string, number>; settings: { partitions: number; reduceTaskPartitions?: number }; summary: { links: number };
    };
    const s3c = Object.fromEntries(Object.entries(manifest.counters).filter(([k]) => k.startsWith('io.s3.')));
    const partials = (await fsp.readdir(path.join(work, 's3', 'out', 'runs', partialsDir(runId)))).filter((f) => f.endsWith('._S3rver_object')).length;
    const partitions = manifest.settings.partitions;
    const reduceTasks = Math.ceil(partitions / (manifest.settings.reduceTaskPartitions ?? SETTINGS.reduceTaskPartitions.default));
    const links = manifest.summary.links;
    log(`scale: counting the links of the ${spec.files} files independently (wikireverse extract) ...`);
    const expectedLinks = await independentLinkCount(cli, set.files, env);
    keep.dir = links !== expectedLinks;
    // A recent crawl on 20 instances of the cheapest type per file (both architectures: the image is built for both);
    // the map's CPU per file is this run's per-file overhead plus the file's bytes at the measured speed, the reduce's
    // per link as measured here, on min(tasks, instances) instances after the map.
    const prices = { ...DEFAULT_PRICES, fixedPerHour: { 'head-node (coordinator + redis)': HEAD_NODE_PER_HOUR } };
    const crawl = RECENT_WAT;
    const map = projectCrawl(crawl, { bytesPerCoreSec: speed.bytesPerCoreSec, fixedSecondsPerFile: mapCpu / spec.files }, prices, FLEET_INSTANCES);
    const fullTasks = Math.ceil(defaultPartitions(crawl.files) / SETTINGS.reduceTaskPartitions.default);
    const reduceVcpuHours = (reduceCpu / Math.max(1, links)) * crawl.links / 3600;
    const reduceUsd = reduceVcpuHours * (map.usdPerInstanceHour / map.vcpus);
    const wallHours = map.wallHours + reduceVcpuHours / Math.max(1, Math.min(fullTasks, FLEET_INSTANCES));
    const fixedUsd = HEAD_NODE_PER_HOUR * wallHours;
    const fullCrawl: FullCrawlProjection = {
      crawl, mapSecondsPerFile: map.secondsPerFile, mapSpeedSource: speed.source, instances: FLEET_INSTANCES, map, reduceVcpuHours, wallHours,
      ec2Usd: map.ec2Usd + map.ebsUsd + reduceUsd, s3Usd: map.s3Usd, fixedUsd, totalUsd: map.ec2Usd + map.ebsUsd + reduceUsd + map.s3Usd + fixedUsd,
    };
    // What estimate projects for this very run (its inputs are local files: no input GETs), against what it made.
    const own = projectRun({
      sample: { files: 1, seconds: 1, bytes: 1 }, filesTotal: spec.files, instances: 1, instanceTypes: ['c6a.large'], spotPerHour: {}, prices,
      requestsPerFile: 0, inputRequestsBilled: false, partitions, reduceTasks, outputsPerPartition: 2, rollups: 1,
    }).requests;
    const perFileOf = (n: number): number => Math.round((n / spec.files) * 1000) / 1000;
    const requestCheck = {
      projected: { puts: perFileOf(own.mapPuts + own.reducePuts), gets: perFileOf(own.coordinatorGets + own.reduceGets) },
      measured: { puts: perFileOf(s3c['io.s3.put'] ?? 0), gets: perFileOf(s3c['io.s3.get'] ?? 0) },
    };
    const sec = (a: number, b: number): number => Math.round((b - a) / 100) / 10;
    return {
      files: spec.files, links, expectedLinks, workers: spec.workers, partitions, reduceTasks, latencyMillis: spec.latencyMillis,
      phases: { setup: sec(t0, tStart), map: sec(tStart, tMapEnd), collect: sec(tMapEnd, tReduce), reduce: sec(tReduce, tEnd), total: sec(t0, tEnd) },
      s3: s3c, proxyRequests: Object.fromEntries(proxy.requests),
      perFile: {
        puts: Math.round(((s3c['io.s3.put'] ?? 0) / spec.files) * 1000) / 1000,
        gets: Math.round(((s3c['io.s3.get'] ?? 0) / spec.files) * 1000) / 1000,
        objectsUnderPartials: Math.round((partials / spec.files) * 1000) / 1000,
      },
      coordinatorMaxRssMb: Math.round(coordRss), workerMaxRssMb, reducerMaxRssMb, workerCpu: { map: Math.round(mapCpu * 10) / 10, reduce: Math.round(reduceCpu * 10) / 10 },
      manifestBytes: (await fsp.stat(manifestFile)).size, fullCrawl, requestCheck,
      log: {
        linesPerFile: Math.round((logs.map.lines / spec.files) * 100) / 100, bytesPerFile: Math.round(logs.map.bytes / spec.files),
        reduceLines: logs.reduce.lines, reduceBytes: logs.reduce.bytes,
      },
    };
  } finally {
    await Promise.all([...workers, ...(reducer ? [reducer] : [])].map(stop));
    await proxy.stop();
    await stop(s3.child);
    await redis.stop();
    if (keep.dir) log(`scale: the run's links differ from the independent count; its store is kept in ${work}`);
    else await fsp.rm(work, { recursive: true, force: true });
  }
}

export function formatScale(r: ScaleFigures): string {
  const f = r.fullCrawl;
  const m = f.map;
  const usd = (x: number): string => `$${x.toFixed(2)}`;
  return [
    `scale run: ${r.files.toLocaleString('en-US')} WAT files, ${r.links.toLocaleString('en-US')} links ` +
      `(${r.links === r.expectedLinks ? 'exact: ' : 'NOT EXACT: '}${r.expectedLinks.toLocaleString('en-US')} by an independent count), ${r.workers} worker processes (2 cores), ` +
      `${r.partitions} partitions in ${r.reduceTasks} reduce tasks, S3 stand-in behind ${r.latencyMillis} ms per request (wall times include process start-up):`,
    `  phases: setup ${r.phases.setup} s, map ${r.phases.map} s, collect ${r.phases.collect} s, reduce ${r.phases.reduce} s, total ${r.phases.total} s`,
    `  S3 requests per file: ${r.perFile.puts} PUT, ${r.perFile.gets} GET (estimate's projection for this layout: ${r.requestCheck.projected.puts} PUT, ` +
      `${r.requestCheck.projected.gets} GET); objects under partials/ per file ${r.perFile.objectsUnderPartials}; ` +
      `LIST ${r.s3['io.s3.list'] ?? 0}; proxy saw ${Object.entries(r.proxyRequests).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  peak RSS: coordinator ${r.coordinatorMaxRssMb} MB, map workers ${r.workerMaxRssMb.join(' / ')} MB, reduce worker ${r.reducerMaxRssMb} MB; manifest ${r.manifestBytes} bytes`,
    `  workers' CPU: map ${r.workerCpu.map} s, reduce ${r.workerCpu.reduce} s`,
    `  workers' log (default level, JSON lines): ${r.log.linesPerFile} lines and ${r.log.bytesPerFile} bytes per file in the map; the reduce worker ` +
      `${r.log.reduceLines} lines, ${r.log.reduceBytes} bytes`,
    `  projected: ${f.crawl.name}, ${f.crawl.files.toLocaleString('en-US')} files, ${(f.crawl.bytes / 1e12).toFixed(1)} TB, ${(f.crawl.links / 1e6).toFixed(0)} M links ` +
      `(${f.crawl.source})`,
    `    on ${f.instances} x ${m.instanceType} (${m.arch}) spot, the cheapest per file: ${f.wallHours.toFixed(2)} h, EC2 ${usd(f.ec2Usd)} (reduce ${f.reduceVcpuHours.toFixed(2)} vCPU-h), ` +
      `S3 requests ${usd(f.s3Usd)} (${(m.requests.mapPuts + m.requests.reducePuts + m.requests.coordinatorLists).toLocaleString('en-US')} class A, ` +
      `${(m.requests.coordinatorGets + m.requests.reduceGets).toLocaleString('en-US')} class B; the ${m.requests.inputGets.toLocaleString('en-US')} input GETs are ` +
      `billed to Common Crawl), head node ${usd(f.fixedUsd)}: ${usd(f.totalUsd)}`,
    `    map ${f.mapSecondsPerFile.toFixed(2)} CPU-s per ${(m.bytesTotal / m.filesTotal / 1e6).toFixed(0)} MB file (${f.mapSpeedSource}); vCPU speed assumed equal on arm64`,
    ...m.candidates.slice(0, 6).map((c) =>
      `    ${c.instanceType.padEnd(12)} ${c.arch.padEnd(6)} CPU ${c.instanceSecondsPerFile.cpu.toFixed(2)} s, network ${c.instanceSecondsPerFile.network.toFixed(2)} s per file ` +
      `(${c.networkGbps} Gbit/s): ${c.bound === 'network' ? 'network' : 'CPU'}-bound, $${((c.usdPerFile * f.crawl.files)).toFixed(2)} of EC2 for the map`),
  ].join('\n');
}
