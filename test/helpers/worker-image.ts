/**
 * The worker image the suite builds (localhost/wikireverse:test, for this machine's architecture; :test-arm64 for
 * arm64 where this machine's CPU is another and runs it emulated): scripts/container-base.sh makes podman ready and
 * the base images of the architectures asked for, then `podman build --platform` from the Dockerfile as it is. Test
 * files that need it build it one at a time (a lock file): the first builds, the next find every layer cached.
 */
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ROOT, exec } from './cli.js';
import type { Podman } from './podman.js';

export const WORKER_IMAGE = 'localhost/wikireverse:test';
/** The image's architectures by Debian's and OCI's names (the kernel's: x86_64, aarch64). */
export type ImageArch = 'amd64' | 'arm64';
export const HOST_ARCH: ImageArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
export const imageOf = (arch: ImageArch): string => (arch === HOST_ARCH ? WORKER_IMAGE : `${WORKER_IMAGE}-${arch}`);
const LOCK = path.join(os.tmpdir(), 'wikireverse-worker-image.lock');

export type Engine = { ready: true; baseMillis: number; buildMillis: number; made: string[] } | { ready: false; why: string };

/**
 * Makes the engine and the image of `arch` ready; `ready: false` says why no container engine can run here
 * (container-base.sh exit 3), or none of that architecture (exit 4).
 */
export async function ensureWorkerImage(podman: Podman, arch: ImageArch = HOST_ARCH): Promise<Engine> {
  const archs = [...new Set([HOST_ARCH, arch])].join(',');
  const base = await exec('flock', [LOCK, 'nice', '-n', '10', 'bash', path.join(ROOT, 'scripts/container-base.sh')], { env: { ...podman.env, ARCHS: archs }, timeoutMillis: 30 * 60_000 });
  if (base.code === 3 || base.code === 4) return { ready: false, why: base.stderr.trim().split('\n').at(-1) ?? `scripts/container-base.sh exited ${base.code}` };
  if (base.code !== 0) throw new Error(`scripts/container-base.sh exited ${base.code}:\n${base.stdout.slice(-2000)}\n${base.stderr.slice(-3000)}`);
  // Niced: a cold build (npm ci, tsc) should not starve the suite's other files of CPU.
  const build = await exec('flock', [LOCK, 'nice', '-n', '10', 'podman', 'build', '--format', 'docker', '--network=host',
    // BUILDPLATFORM: podman 4.3 does not set it itself (the Dockerfile's stages that install and compile run natively).
    '--build-arg', `BUILDPLATFORM=linux/${HOST_ARCH}`, '--platform', `linux/${arch}`, '-t', imageOf(arch), '.'], { cwd: ROOT, env: podman.env, timeoutMillis: 30 * 60_000 });
  if (build.code !== 0) throw new Error(`podman build exited ${build.code}:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  const made = base.stdout.split('\n').filter((l) => /installing|stand-in built|pulled/.test(l)).map((l) => l.replace(/^== /, ''));
  return { ready: true, baseMillis: base.millis, buildMillis: build.millis, made };
}

/**
 * A test file's gate on the engine: `open` makes the image ready, or records why it cannot be (and throws under
 * WIKIREVERSE_CONTAINER_TEST=require, as CI sets it); `need` skips a test, saying why, until the gate is open.
 */
export class EngineGate {
  ready = false;
  private why = 'not checked';

  constructor(private readonly label: string) {}

  async open(podman: Podman, arch: ImageArch = HOST_ARCH): Promise<Engine> {
    const mode = loadConfig().containerTest; // auto or require (loadConfig refuses anything else)
    const image = await ensureWorkerImage(podman, arch);
    if (!image.ready) {
      this.shut(image.why);
      if (mode === 'require') throw new Error(`WIKIREVERSE_CONTAINER_TEST=require, but ${image.why}`);
      return image;
    }
    this.ready = true;
    this.why = '';
    return image;
  }

  /** Closed for a reason of the test file's own. */
  shut(why: string): void {
    this.why = why;
  }

  need(ctx: TestContext): void {
    if (!this.ready) console.warn(`${this.label} skipped: ${this.why}`);
    ctx.skip(!this.ready, this.why);
  }
}
