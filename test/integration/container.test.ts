/**
 * The worker image, built and run for real (issue 14). scripts/container-base.sh makes podman ready (installed when
 * missing, this machine's containers.conf, the Dockerfile's base images or their local stand-ins); the image is built
 * from the Dockerfile as it is; then the fleet's shape runs: worker containers on the host's network against a
 * redis-server and a coordinator (as root) on the host, the data directory mounted at the same path. The output is the
 * planted links, exactly; the workers run as uid 1000 under tini; HEALTHCHECK says healthy; SIGTERM (podman stop)
 * lets the file in hand finish and exits 0; a spot notice from a stand-in metadata service hands the file back.
 * Where no container engine can run at all, the tests that need one are skipped, saying why
 * (WIKIREVERSE_CONTAINER_TEST=require, as CI sets it, fails them instead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WORKER_NODE_FLAGS } from '../../src/config/index.js';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { ROOT, startCli, type RunningCli } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { Podman } from '../helpers/podman.js';
import { EngineGate, WORKER_IMAGE } from '../helpers/worker-image.js';

interface Stage { from: string; platform: string | undefined; name: string; lines: string[] }

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of lines) {
    const from = /^FROM\s+(?:--platform=(\S+)\s+)?(\S+)\s+AS\s+(\S+)$/i.exec(l);
    const arg = /^ARG\s+(\w+)=(\S+)$/.exec(l);
    if (from) stages.push({ platform: from[1], from: from[2] as string, name: from[3] as string, lines: [] });
    else if (stages.length === 0 && arg) args[arg[1] as string] = arg[2] as string;
    else stages.at(-1)?.lines.push(l);
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => dockerfile.stages.find((s) => s.name === name) as Stage;
const instr = (s: Stage, kw: string): string[] => s.lines.filter((l) => l.toUpperCase().startsWith(kw + ' ')).map((l) => l.slice(kw.length + 1).trim());
const NODE_PINNED = (/^NODE_PINNED="([^"]+)"$/m.exec(fs.readFileSync(path.join(ROOT, 'scripts/node.sh'), 'utf8')) as RegExpExecArray)[1] as string;
/** The packages the worker-deps stage takes out of the production install (`npm uninstall ... <packages> && ...`). */
const PRUNED = (/npm uninstall ((?:--\S+\s+)*)(.*?)\s*&&/.exec(instr(stage('worker-deps'), 'RUN')[0] ?? '')?.[2] ?? '').split(/\s+/).filter(Boolean);
const DEPENDENCIES = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);

/**
 * Compiled modules reached from `entries` (files under dist/), each with the specifiers it loads: static imports,
 * `new URL('./x.js', import.meta.url)` (a thread's entry; not the CLI's, which local workers are started from as
 * processes), `createRequire(import.meta.url)('x')` or its `.resolve('x')`, and, when `dynamic`, dynamic imports.
 */
function reachable(entries: string[], dynamic: boolean): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = entries.map((e) => path.join(ROOT, 'dist', e));
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file) || !fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/g),
      ...[...text.matchAll(/new URL\(\s*['"]([^'"]+)['"],\s*import\.meta\.url\s*\)/g)].filter((m) => !m[1]?.endsWith('/cli.js')),
      ...text.matchAll(/createRequire\(import\.meta\.url\)(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...(dynamic ? text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g) : []),
    ].map((m) => m[1] as string);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) queue.push(path.resolve(path.dirname(file), s));
  }
  return seen;
}
/**
 * What `wikireverse worker` can load: what the CLI loads before any command runs (cli.js's static imports: every
 * command's registration), then everything the worker command's own module reaches, dynamic imports included.
 */
const workerModules = (): Map<string, string[]> => new Map([...reachable(['cli.js'], false), ...reachable(['src/cli/commands/worker-run.js'], true)]);
/** The dependencies (package names) that `modules` load. */
const packagesLoaded = (modules: Map<string, string[]>): string[] =>
  [...new Set([...modules.values()].flat().filter((s) => !s.startsWith('.') && !s.startsWith('node:')).map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/')))].sort();

const IMAGE = WORKER_IMAGE;
const NAME = `wikireverse-test-${process.pid}`;
const RUN_ID = 'ct-1';
/** Run inside a container with `node -e`: its processes (pid, name, state, uid). */
const PS = `const fs=require('fs');const ps=[];for(const p of fs.readdirSync('/proc').filter((d)=>/^\\d+$/.test(d))){try{const s=fs.readFileSync('/proc/'+p+'/status','utf8');ps.push({pid:+p,name:/^Name:\\s+(.*)$/m.exec(s)[1],state:/^State:\\s+(\\S)/m.exec(s)[1],uid:+/^Uid:\\s+(\\d+)/m.exec(s)[1]})}catch{}}console.log(JSON.stringify(ps))`;
interface Proc { pid: number; name: string; state: string; uid: number }

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
let podman: Podman;
const engine = new EngineGate('container test');
const containers: string[] = [];
let imds: http.Server;
let imdsUrl = '';
let notice = false;
const imdsRequests: string[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('container');
  await fsp.chmod(work, 0o755); // mkdtemp's 0700 would keep the containers' uid 1000 out of the inputs
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 1, pagesPerFile: 20_000, seed: 61, prefix: 'big' },
    { kind: 'warc', files: 3, pagesPerFile: 150, seed: 62, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
  // A stand-in for the instance-metadata service (IMDSv2) on the host's loopback, which the containers share.
  imds = http.createServer((req, res) => {
    imdsRequests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.writeHead(200).end('TOKEN-1');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'TOKEN-1') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/spot/instance-action' && notice) {
      return void res.writeHead(200).end(JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString() }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;

  podman = new Podman(path.join(work, 'containers.conf'));
  const image = await engine.open(podman);
  if (!image.ready) return;
  console.log(`container: engine and base images ready in ${(image.baseMillis / 1000).toFixed(1)} s (${image.made.length ? image.made.join('; ') : 'all there'}); image built in ${(image.buildMillis / 1000).toFixed(1)} s`);
}, 60 * 60_000);

afterAll(async () => {
  for (const name of containers) await podman.run(['rm', '-f', '-t', '0', name]).catch(() => undefined);
  imds?.close();
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('builds on the pinned Node release\'s slim image, runs on the Debian it is built for, as a user that is not root, the worker with the workers\' node flags', () => {
    // scripts/node.sh's release exactly, on the Debian suite whose slim image the runtime stage starts from.
    const node = /^node:(.+)-(\w+)-slim$/.exec(dockerfile.args.NODE_IMAGE ?? '');
    expect(node?.[1], dockerfile.args.NODE_IMAGE).toBe(NODE_PINNED);
    expect(dockerfile.args.DEBIAN_IMAGE).toBe(`debian:${node?.[2]}-slim`);
    const runtime = dockerfile.stages.at(-1) as Stage; // the stage the image is
    expect(runtime.from).toBe('${DEBIAN_IMAGE}');
    expect(instr(runtime, 'RUN').join(' ')).not.toMatch(/\bnpm\b|apt-get/); // no package manager runs in the image
    const user = instr(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    // The entrypoint runs node with the flags local workers get (src/config) and the `worker` command.
    const entry = JSON.parse(instr(runtime, 'ENTRYPOINT')[0] as string) as string[];
    const node0 = entry.indexOf('node');
    expect(node0).toBeGreaterThan(-1);
    expect(entry.slice(node0 + 1, node0 + 1 + WORKER_NODE_FLAGS.length)).toEqual([...WORKER_NODE_FLAGS]);
    expect(entry.at(-1)).toBe('worker');
    expect(instr(runtime, 'HEALTHCHECK')).toHaveLength(1);
    // What git ignores (installs, builds, .tools' node, podman's storage, outputs) stays out of the build context too.
    const patterns = (f: string): string[] => fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').map((l) => l.trim().replace(/^\/|\/$/g, '')).filter((l) => l && !l.startsWith('#'));
    const dockerIgnored = patterns('.dockerignore');
    const covered = (p: string): boolean => p.split('/').some((_, i, parts) => dockerIgnored.includes(parts.slice(0, i + 1).join('/')));
    expect(patterns('.gitignore').filter((p) => !covered(p))).toEqual([]);
  });

  it('builds for amd64 and arm64 alike: only the target\'s node and the runtime stage are of its architecture, so nothing that installs or compiles runs emulated', () => {
    const platformOf = (s: Stage): string | undefined => s.platform ?? ((p) => (p ? platformOf(p) : undefined))(dockerfile.stages.find((x) => x.name === s.from));
    expect(dockerfile.stages.filter((s) => platformOf(s) === '$TARGETPLATFORM').map((s) => s.name)).toEqual(['target-node', 'runtime']);
    expect(dockerfile.stages.filter((s) => platformOf(s) !== '$TARGETPLATFORM').map(platformOf)).toEqual(dockerfile.stages.filter((s) => platformOf(s) !== '$TARGETPLATFORM').map(() => '$BUILDPLATFORM'));
    expect(instr(stage('target-node'), 'RUN')).toEqual([]);
    // The production install takes the native packages of the target's CPU; tini is the target's Debian package.
    expect(instr(stage('worker-deps'), 'RUN').join(' ')).toMatch(/npm_config_cpu=.*TARGETARCH[\s\S]*npm ci --omit=dev/);
    expect(instr(stage('tools'), 'RUN').join(' ')).toContain('tini:$TARGETARCH');
    // The inflate addon: compiled on the build machine (a cross compiler for another target) against the target's libdeflate.
    expect(instr(stage('native'), 'RUN').join(' ')).toMatch(/libdeflate-dev:\$TARGETARCH[\s\S]*WIKIREVERSE_NATIVE=require/);
  });

  it('keeps exactly the dependencies the worker loads: the image takes out the rest', () => {
    const worker = workerModules();
    // The walk follows threads' entries and the worker command's dynamic imports (the reduce, the file thread).
    expect([...worker.keys()].map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining(['dist/src/cli/commands/worker-run.js', 'dist/src/worker/file-thread.js', 'dist/src/reduce/index.js']));
    // A dependency the worker does not load (add it to the uninstall list), or one the list takes from it, fails here.
    expect(packagesLoaded(worker)).toEqual(DEPENDENCIES.filter((d) => !PRUNED.includes(d)).sort());
    expect(PRUNED.filter((d) => !DEPENDENCIES.includes(d))).toEqual([]); // the list names dependencies only
    expect(packagesLoaded(reachable(['cli.js'], true))).toEqual([...DEPENDENCIES].sort()); // the whole CLI loads them all
  });
});

describe('the image', () => {
  it('is under 300 MB: the pinned node, tini, the packages the worker loads, dist/; no npm, npm cache, typescript, type declarations or setuid files', async (ctx) => {
    engine.need(ctx);
    const size = Number((await podman.ok(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim());
    const layers = (JSON.parse(await podman.ok(['history', '--format', 'json', IMAGE])) as Array<{ size: number; CreatedBy: string }>)
      .filter((l) => l.size > 0)
      .map((l) => `${(l.size / 1e6).toFixed(1).padStart(6)} MB  ${l.CreatedBy.replace('/bin/sh -c #(nop) ', '').slice(0, 90)}`);
    // As root: what the files are (root's home included, where an npm cache would be).
    const survey = JSON.parse(await podman.ok(['run', '--rm', '--network=none', '--user', '0', '--entrypoint', 'node', IMAGE, '-e', `
      const fs = require('fs'), path = require('path');
      const walk = (d, f) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) { if (!['/proc', '/sys', '/dev'].includes(p) && f(p, true) !== false) walk(p, f); } else f(p, false); } };
      const du = (d) => { let n = 0; walk(d, (p, dir) => { if (!dir) n += fs.lstatSync(p).size; }); return n; };
      const caches = [], types = [], setid = [];
      walk('/', (p, dir) => { if (dir && p.endsWith('/_cacache')) caches.push(p); if (!dir && /\\.d\\.[mc]?ts$/.test(p)) types.push(p); if (!dir && (fs.lstatSync(p).mode & 0o6000) !== 0) setid.push(p); });
      console.log(JSON.stringify({ node: process.version, npm: fs.existsSync('/usr/local/bin/npm') || fs.existsSync('/usr/local/lib/node_modules'),
        tini: fs.existsSync('/usr/bin/tini'), caches, types: types.length, setid, modules: fs.readdirSync('/app/node_modules'),
        bytes: { node: fs.statSync('/usr/local/bin/node').size, duckdb: du('/app/node_modules/@duckdb'), nodeModules: du('/app/node_modules'), dist: du('/app/dist') } }));
    `])) as { node: string; npm: boolean; tini: boolean; caches: string[]; types: number; setid: string[]; modules: string[]; bytes: Record<string, number> };
    // As the image's user, from /app: every production dependency imports, except the ones taken out.
    const imports = JSON.parse(await podman.ok(['run', '--rm', '--network=none', '--entrypoint', 'node', IMAGE, '--input-type=module', '-e', `
      const deps = ${JSON.stringify(DEPENDENCIES)}, loaded = [], missing = [];
      for (const d of deps) { try { await import(d); loaded.push(d); } catch (err) { if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err; missing.push(d); } }
      console.log(JSON.stringify({ loaded, missing }));
    `])) as { loaded: string[]; missing: string[] };
    const mb = (n: number | undefined): string => `${((n ?? 0) / 1e6).toFixed(1)} MB`;
    console.log(`image ${mb(size)}: node ${mb(survey.bytes.node)}, node_modules ${mb(survey.bytes.nodeModules)} (DuckDB ${mb(survey.bytes.duckdb)}), dist ${mb(survey.bytes.dist)}; layers:\n${layers.join('\n')}`);

    expect(size).toBeLessThan(300e6);
    expect(survey.node).toBe(`v${NODE_PINNED}`);
    expect(survey.tini).toBe(true);
    expect(survey.npm).toBe(false);
    expect(survey.caches).toEqual([]);
    expect(survey.setid).toEqual([]); // no setuid/setgid file: nothing in it can gain privileges
    expect(survey.types).toBe(0);
    for (const dev of ['typescript', 'vitest', 's3rver', 'playwright-core', 'aws-sdk-client-mock']) expect(survey.modules).not.toContain(dev);
    expect(survey.modules).toContain('@duckdb');
    expect(imports.missing.sort()).toEqual([...PRUNED].sort());
    expect(imports.loaded.sort()).toEqual(DEPENDENCIES.filter((d) => !PRUNED.includes(d)).sort());
  });

  it('needs tini: node alone as PID 1 leaves an orphaned process a zombie', async (ctx) => {
    engine.need(ctx);
    // Control: node as PID 1 (no tini). An orphan of `podman exec` is reparented to the container's PID 1.
    const name = `${NAME}-pid1`;
    containers.push(name);
    await podman.ok(['run', '-d', '--rm', '--name', name, '--network=none', '--entrypoint', 'node', IMAGE, '-e', 'setInterval(() => {}, 1000)']);
    const zombie = await orphanFate(name);
    await podman.run(['rm', '-f', '-t', '0', name]);
    expect(zombie).toBe('zombie');
    // With the image's ENTRYPOINT (tini) the same orphan is reaped: shown on a worker in the fleet test below.
  });
});

/**
 * Leaves an orphan in a container (`sleep 0.1` of a shell that exits at once: it is reparented to the container's PID 1)
 * and watches it: reaped (gone), or still a zombie 3 s later (PID 1 reaps at once or never).
 */
async function orphanFate(name: string): Promise<'reaped' | 'zombie' | 'running'> {
  await podman.ok(['exec', name, 'sh', '-c', 'sleep 0.1 & exit 0']);
  const deadline = Date.now() + 3_000;
  for (;;) {
    const sleeping = (JSON.parse(await podman.ok(['exec', name, 'node', '-e', PS])) as Proc[]).filter((p) => p.name === 'sleep');
    if (sleeping.length === 0) return 'reaped';
    if (Date.now() > deadline) return sleeping.every((p) => p.state === 'Z') ? 'zombie' : 'running';
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker containers against a coordinator and redis-server on the host', () => {
  it('output the planted links exactly; run as uid 1000 under tini, healthy; a spot notice hands the file back; SIGTERM finishes the file in hand and exits 0', async (ctx) => {
    engine.need(ctx);
    const t0 = Date.now();
    const bigFile = planted.files.find((f) => path.basename(f).startsWith('big')) as string;
    const out = path.join(work, 'out');
    // The Redis URL (with its password) reaches the containers in a file, not on a command line.
    const envFile = path.join(work, 'worker.env');
    await fsp.writeFile(envFile, `WIKIREVERSE_REDIS_URL=${redis.url}\nWIKIREVERSE_IMDS_POLL_MS=200\nWIKIREVERSE_LOCK_MS=30000\n`, { mode: 0o600 });
    const container = async (suffix: string, args: string[] = []): Promise<{ name: string; cli: RunningCli }> => {
      const name = `${NAME}-${suffix}`;
      containers.push(name);
      const cli = podman.start(['run', '--rm', '--name', name, '--network=host', '--security-opt=no-new-privileges', '--env-file', envFile, '-e', `WIKIREVERSE_HEALTH_PORT=${await freePort()}`, '-v', `${work}:${work}`, IMAGE, '--run', RUN_ID, ...args]);
      return { name, cli };
    };
    const logLine = (l: string): { msg?: string; input?: string; handedBack?: number } => {
      try { return JSON.parse(l) as { msg?: string; input?: string }; } catch { return {}; }
    };
    const coordinator = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', RUN_ID, '--partitions', '3'], { WIKIREVERSE_LOCK_MS: '30000' });

    // A: a spot notice in the middle of the big file.
    const a = await container('a', ['--imds-url', imdsUrl]);
    await a.cli.waitForLine((l) => logLine(l).msg === 'file started' && logLine(l).input === bigFile, 120_000);
    notice = true;
    const handed = logLine(await a.cli.waitForLine((l) => logLine(l).msg === 'files handed back', 20_000));
    const ra = await a.cli.done;
    expect(ra.code, ra.stderr.slice(-2000)).toBe(0);
    expect(handed.handedBack).toBe(1);
    expect(imdsRequests).toContain('PUT /latest/api/token');
    const spotMillis = Date.now() - t0;

    // B: stopped (SIGTERM through tini) while it reads the big file: it finishes that file, then exits 0.
    const b = await container('b');
    await b.cli.waitForLine((l) => logLine(l).msg === 'file started' && logLine(l).input === bigFile, 120_000);
    const stopped = podman.run(['stop', '-t', '100', b.name], 150_000);
    const rb = await b.cli.done;
    expect((await stopped).code).toBe(0);
    expect(rb.code, rb.stderr.slice(-2000)).toBe(0);
    const bLines = rb.stderr.split('\n').map(logLine);
    // The image's worker inflates with the addon built for it (the Dockerfile's native stage), not the zlib fallback.
    expect((bLines.find((l) => l.msg === 'worker ready') as { inflate?: string } | undefined)?.inflate).toMatch(/^libdeflate \d/);
    const stopAt = bLines.findIndex((l) => l.msg?.startsWith('stopping: finishing active files'));
    expect(stopAt).toBeGreaterThan(-1);
    expect(bLines.slice(stopAt).some((l) => l.msg === 'file committed' && l.input === bigFile), rb.stderr.slice(-2000)).toBe(true);
    const drainMillis = Date.now() - t0 - spotMillis;

    // C: the rest of the run (its files and the reduce); looked at, then stopped idle.
    const c = await container('c');
    const res = await coordinator.done;
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    // Who runs in C, how it says it is, what becomes of an orphan there.
    const procs = JSON.parse(await podman.ok(['exec', c.name, 'node', '-e', PS])) as Proc[];
    expect(procs.find((p) => p.pid === 1)?.name).toBe('tini');
    expect(procs.length).toBeGreaterThanOrEqual(3); // tini, the worker, this exec
    expect(procs.map((p) => p.uid)).toEqual(procs.map(() => 1000)); // the image's `node` user, every process
    const health = await podman.run(['healthcheck', 'run', c.name]);
    expect(health.code, health.stdout + health.stderr).toBe(0);
    expect((await podman.ok(['inspect', '--format', '{{.State.Health.Status}}', c.name])).trim()).toBe('healthy');
    expect(await orphanFate(c.name)).toBe('reaped');
    await podman.ok(['stop', '-t', '30', c.name], 60_000);
    expect((await c.cli.done).code).toBe(0);

    const rows = await readParquet(`${out}/${RUN_ID}/links/*.parquet`, 'lang, article, source_url');
    expect(rows.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    // The run directory a root coordinator made, written by uid 1000 containers (0755 made that EACCES).
    const runDir = fs.statSync(path.join(out, RUN_ID));
    expect(runDir.mode & 0o7777).toBe(0o1777);
    if (process.getuid?.() === 0) {
      expect(runDir.uid).toBe(0);
      const links = (await fsp.readdir(path.join(out, RUN_ID, 'links'))).filter((f) => f.endsWith('.parquet'));
      expect(links.map((f) => fs.statSync(path.join(out, RUN_ID, 'links', f)).uid)).toEqual(links.map(() => 1000));
    }
    console.log(`fleet shape: spot hand-back after ${(spotMillis / 1000).toFixed(1)} s, drain ${(drainMillis / 1000).toFixed(1)} s, whole run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);
});
