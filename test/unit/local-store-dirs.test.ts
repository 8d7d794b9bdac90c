/**
 * Directories of a local output store (issue 14): a coordinator running as root and workers running as another user (the
 * container image's uid 1000) write into the same `<out>/<runId>`. The directories the store creates get mode 0777
 * whatever the umask; the output directory itself and directories that exist already keep their modes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore, RUN_DIR_MODE } from '../../src/storage/local-store.js';
import { tempDir } from '../helpers/fixtures.js';

const mode = (p: string): number => fs.statSync(p).mode & 0o7777;

let dir: string;
let umask: number;

beforeEach(async () => {
  dir = await tempDir('local-store-dirs');
  umask = process.umask(0o022); // the usual umask, which made `<out>/<runId>` 0755
});

afterEach(async () => {
  process.umask(umask);
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('a local store', () => {
  it('creates the run directories 0777 under a 022 umask, through put, openWrite and upload; the output directory and existing directories keep their modes', async () => {
    expect(RUN_DIR_MODE).toBe(0o777);
    const out = path.join(dir, 'out');
    const store = new LocalStore(out);
    await store.put('run-1/manifest.json', '{}');
    expect(mode(out)).toBe(0o755); // made by the store with the umask: the place to restrict who gets in
    expect(mode(path.join(out, 'run-1'))).toBe(0o777);

    const pending = await store.openWrite('run-1/partials/f-1/part-0.parquet');
    pending.stream.end('x');
    await pending.commit();
    expect(mode(path.join(out, 'run-1/partials'))).toBe(0o777);
    expect(mode(path.join(out, 'run-1/partials/f-1'))).toBe(0o777);

    await fsp.mkdir(path.join(out, 'run-1/links'), { mode: 0o750 });
    const src = path.join(dir, 'local.bin');
    await fsp.writeFile(src, 'y');
    await store.upload(src, 'run-1/links/a/b/part-0.parquet');
    expect(mode(path.join(out, 'run-1/links'))).toBe(0o750); // not the store's: left alone
    expect(mode(path.join(out, 'run-1/links/a'))).toBe(0o777);
    expect(mode(path.join(out, 'run-1/links/a/b'))).toBe(0o777);
    expect(await store.list('run-1')).toEqual(['run-1/links/a/b/part-0.parquet', 'run-1/manifest.json', 'run-1/partials/f-1/part-0.parquet']);
  });

  it.runIf(process.getuid?.() === 0)('lets another user write, rename and remove files in a run directory a root process created', async () => {
    await fsp.chmod(dir, 0o755); // mkdtemp's 0700 would keep everyone else out of the test's own directory
    const out = path.join(dir, 'out');
    await new LocalStore(out).put('run-2/manifest.json', '{}');
    // A worker as uid 1000 (the image's `node`): its partial through a temporary name, then the coordinator's file removed.
    const run = path.join(out, 'run-2');
    const script = `const fs = require('fs');
      fs.mkdirSync(${JSON.stringify(path.join(run, 'partials'))}, { recursive: true });
      fs.writeFileSync(${JSON.stringify(path.join(run, 'partials/p.tmp'))}, 'z');
      fs.renameSync(${JSON.stringify(path.join(run, 'partials/p.tmp'))}, ${JSON.stringify(path.join(run, 'partials/p'))});
      fs.rmSync(${JSON.stringify(path.join(run, 'manifest.json'))});`;
    const res = spawnSync(process.execPath, ['-e', script], { uid: 1000, gid: 1000, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(fs.statSync(path.join(run, 'partials/p')).uid).toBe(1000);
    expect(fs.existsSync(path.join(run, 'manifest.json'))).toBe(false);
  });
});
