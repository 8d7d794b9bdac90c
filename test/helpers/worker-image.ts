/**
 * The worker image the suite builds (localhost/wikireverse:test): scripts/container-base.sh makes podman ready, then
 * `podman build` from the Dockerfile as it is. Test files that need it build it one at a time (a lock file): the first
 * builds, the next find every layer cached.
 */
import os from 'node:os';
import path from 'node:path';
import { ROOT, exec } from './cli.js';
import type { Podman } from './podman.js';

export const WORKER_IMAGE = 'localhost/wikireverse:test';
const LOCK = path.join(os.tmpdir(), 'wikireverse-worker-image.lock');

export type Engine = { ready: true; baseMillis: number; buildMillis: number; made: string[] } | { ready: false; why: string };

/** Makes the engine and the image ready; `ready: false` says why no container engine can run here (container-base.sh exit 3). */
export async function ensureWorkerImage(podman: Podman): Promise<Engine> {
  const base = await exec('flock', [LOCK, 'bash', path.join(ROOT, 'scripts/container-base.sh')], { env: podman.env, timeoutMillis: 30 * 60_000 });
  if (base.code === 3) return { ready: false, why: base.stderr.trim().split('\n').at(-1) ?? 'scripts/container-base.sh exited 3' };
  if (base.code !== 0) throw new Error(`scripts/container-base.sh exited ${base.code}:\n${base.stdout.slice(-2000)}\n${base.stderr.slice(-3000)}`);
  // Niced: a cold build (npm ci, tsc) should not starve the suite's other files of CPU.
  const build = await exec('flock', [LOCK, 'nice', '-n', '10', 'podman', 'build', '--format', 'docker', '--network=host', '-t', WORKER_IMAGE, '.'], { cwd: ROOT, env: podman.env, timeoutMillis: 30 * 60_000 });
  if (build.code !== 0) throw new Error(`podman build exited ${build.code}:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  const made = base.stdout.split('\n').filter((l) => /installing|stand-in built|pulled/.test(l)).map((l) => l.replace(/^== /, ''));
  return { ready: true, baseMillis: base.millis, buildMillis: build.millis, made };
}
