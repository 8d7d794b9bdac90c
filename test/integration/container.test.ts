/**
 * The container image without a Docker engine: the runtime stage of the Dockerfile is rebuilt in a temp directory with
 * the Dockerfile's own COPY/RUN lines (package files, `npm ci --omit=dev`, dist/), and its ENTRYPOINT worker, started
 * with the stage's ENV, processes a real run against redis-server; its HEALTHCHECK command passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../src/config/index.js';
import { startRedisServer, type EmbeddedRedis } from '../../src/queue/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';


interface Stage { from: string; name: string; lines: string[] }

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of lines) {
    const from = /^FROM\s+(\S+)\s+AS\s+(\S+)$/i.exec(l);
    if (from) stages.push({ from: from[1] as string, name: from[2] as string, lines: [] });
    else if (stages.length === 0 && /^ARG\s+(\w+)=(\S+)$/.test(l)) {
      const [, k, v] = /^ARG\s+(\w+)=(\S+)$/.exec(l) as unknown as [string, string, string];
      args[k] = v;
    } else stages.at(-1)?.lines.push(l);
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const build = dockerfile.stages.find((s) => s.name === 'build') as Stage;
const runtime = dockerfile.stages.at(-1) as Stage;
const instr = (s: Stage, kw: string): string[] => s.lines.filter((l) => l.toUpperCase().startsWith(kw + ' ')).map((l) => l.slice(kw.length + 1).trim());

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('container');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 2, pagesPerFile: 200, seed: 61 }, { kind: 'warc', files: 2, pagesPerFile: 100, seed: 62, wikiLinkRate: 0.2 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('is multi-stage: node 24 slim (a supported LTS line), build with dev dependencies and tsc, runtime with production dependencies and dist/ as a non-root user', () => {
    expect(dockerfile.args.NODE_IMAGE).toMatch(/^node:24[\w.-]*-slim$/);
    expect(build.from).toBe('${NODE_IMAGE}');
    expect(instr(build, 'RUN')).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(runtime.name).toBe('runtime');
    expect(instr(runtime, 'RUN')).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
    expect(instr(runtime, 'COPY')).toEqual(['package.json package-lock.json ./', '--from=build /app/dist ./dist']);
    expect(instr(runtime, 'USER')).toEqual(['node']);
    expect(instr(runtime, 'HEALTHCHECK')[0]).toContain('/healthz');
    expect(JSON.parse(instr(runtime, 'ENTRYPOINT')[0] as string)).toEqual(['node', ...WORKER_NODE_FLAGS, '/app/dist/cli.js', 'worker']);
    expect(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^node_modules$/m);
  });

  it("the runtime stage's contents run a worker that processes a real run", async () => {
    const t0 = Date.now();
    const app = path.join(work, 'app');
    await fsp.mkdir(app);
    // COPY package.json package-lock.json ./
    for (const f of (instr(runtime, 'COPY')[0] as string).split(/\s+/).slice(0, -1)) await fsp.copyFile(path.join(ROOT, f), path.join(app, f));
    // RUN npm ci --omit=dev ... (exactly the Dockerfile's command)
    const cmd = instr(runtime, 'RUN')[0] as string;
    const env = { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', NODE_ENV: 'production' };
    const ci = spawnSync('sh', ['-c', cmd], { cwd: app, env, encoding: 'utf8' });
    expect(ci.status, ci.stderr).toBe(0);
    expect(fs.existsSync(path.join(app, 'node_modules/@duckdb/node-api'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'node_modules/vitest'))).toBe(false); // no dev dependencies
    // COPY --from=build /app/dist ./dist
    await fsp.cp(path.join(ROOT, 'dist'), path.join(app, 'dist'), { recursive: true });
    const buildSecs = (Date.now() - t0) / 1000;

    const imageEnv: Record<string, string> = {};
    for (const e of instr(runtime, 'ENV')) for (const kv of e.split(/\s+/)) imageEnv[kv.split('=')[0] as string] = kv.split('=').slice(1).join('=');
    expect(imageEnv.WIKIREVERSE_HEALTH_PORT).toBe('9464');
    expect(imageEnv.WIKIREVERSE_HEALTH_HOST).toBe('0.0.0.0'); // the container publishes its port; local workers keep loopback
    const port = await freePort();
    const entry = (JSON.parse(instr(runtime, 'ENTRYPOINT')[0] as string) as string[]).map((a) => a.replace('/app', app));
    const childEnv = { ...process.env, ...imageEnv, WIKIREVERSE_HEALTH_PORT: String(port), WIKIREVERSE_REDIS_URL: redis.url };
    const { spawn } = await import('node:child_process');
    const worker = spawn(entry[0] as string, [...entry.slice(1), '--run', 'ct-1'], { cwd: app, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    worker.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const out = path.join(work, 'out');
      const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'ct-1']);
      expect(res.code, res.stderr.slice(-2000) + stderr.slice(-2000)).toBe(0);
      expect(stderr).toContain('"msg":"file committed"');
      const rows = await readParquet(`${out}/ct-1/links/*.parquet`, 'lang, article, source_url');
      expect(rows.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
      // HEALTHCHECK CMD [...] against the running worker.
      const hc = JSON.parse((instr(runtime, 'HEALTHCHECK')[0] as string).replace(/^.*?CMD\s+/, '')) as string[];
      const check = spawnSync(hc[0] as string, hc.slice(1), { env: childEnv, encoding: 'utf8', timeout: 10_000 });
      expect(check.status, check.stderr).toBe(0);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
    console.log(`container runtime stage built in ${buildSecs.toFixed(1)} s; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
