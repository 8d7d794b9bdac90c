/**
 * Directories of a local output store (issue 14): a coordinator running as root and workers running as another user (the
 * container image's uid 1000) write into the same `<out>/<runId>`. The directories the store creates get mode 0777
 * whatever the umask; the output directory itself and directories that exist already keep their modes.
 */
import { spawn, spawnSync } from 'node:child_process';
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
  it('creates the run directories 1777 (sticky) under a 022 umask, through put, openWrite and upload; the output directory and existing directories keep their modes', async () => {
    expect(RUN_DIR_MODE).toBe(0o1777);
    const out = path.join(dir, 'out');
    const store = new LocalStore(out);
    await store.put('run-1/manifest.json', '{}');
    expect(mode(out)).toBe(0o755); // made by the store with the umask: the place to restrict who gets in
    expect(mode(path.join(out, 'run-1'))).toBe(0o1777);

    const pending = await store.openWrite('run-1/partials/f-1/part-0.parquet');
    pending.stream.end('x');
    await pending.commit();
    expect(mode(path.join(out, 'run-1/partials'))).toBe(0o1777);
    expect(mode(path.join(out, 'run-1/partials/f-1'))).toBe(0o1777);

    await fsp.mkdir(path.join(out, 'run-1/links'), { mode: 0o750 });
    const src = path.join(dir, 'local.bin');
    await fsp.writeFile(src, 'y');
    await store.upload(src, 'run-1/links/a/b/part-0.parquet');
    expect(mode(path.join(out, 'run-1/links'))).toBe(0o750); // not the store's: left alone
    expect(mode(path.join(out, 'run-1/links/a'))).toBe(0o1777);
    expect(mode(path.join(out, 'run-1/links/a/b'))).toBe(0o1777);
    expect(await store.list('run-1')).toEqual(['run-1/links/a/b/part-0.parquet', 'run-1/manifest.json', 'run-1/partials/f-1/part-0.parquet']);
  });

  it.runIf(process.getuid?.() === 0)('lets another user write and rename its own files in a run directory a root process created, not remove root\'s (sticky)', async () => {
    await fsp.chmod(dir, 0o755); // mkdtemp's 0700 would keep everyone else out of the test's own directory
    const out = path.join(dir, 'out');
    await new LocalStore(out).put('run-2/manifest.json', '{}');
    // A worker as uid 1000 (the image's `node`): its partial through a temporary name, then the coordinator's file removed.
    const run = path.join(out, 'run-2');
    const script = `const fs = require('fs');
      fs.mkdirSync(${JSON.stringify(path.join(run, 'partials'))}, { recursive: true });
      fs.writeFileSync(${JSON.stringify(path.join(run, 'partials/p.tmp'))}, 'z');
      fs.renameSync(${JSON.stringify(path.join(run, 'partials/p.tmp'))}, ${JSON.stringify(path.join(run, 'partials/p'))});
      try { fs.rmSync(${JSON.stringify(path.join(run, 'manifest.json'))}); } catch (err) { console.log(err.code); }`;
    const res = spawnSync(process.execPath, ['-e', script], { uid: 1000, gid: 1000, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(fs.statSync(path.join(run, 'partials/p')).uid).toBe(1000);
    expect(res.stdout.trim()).toBe('EPERM');
    expect(fs.existsSync(path.join(run, 'manifest.json'))).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)('another user swapping the run\'s directories for links, in a loop, never gets a directory elsewhere chmodded or written (issue 24, finding 1)', async () => {
    await fsp.chmod(dir, 0o755);
    const out = path.join(dir, 'out');
    const victim = path.join(dir, 'victim'); // root's, 0700: the audit turned such a directory into drwxrwxrwx
    await fsp.mkdir(victim, { mode: 0o700 });
    const store = new LocalStore(out);
    await store.put('run-1/manifest.json', '{}');
    const run = path.join(out, 'run-1');
    // The attacker (uid 65534): every directory the store makes in the run directory renamed away and replaced by a
    // link to the victim as soon as it is seen; links planted ahead at the names of every other one.
    const attack = `const fs = require('fs'), path = require('path');
      const run = ${JSON.stringify(run)}, victim = ${JSON.stringify(victim)}, end = Date.now() + 8000;
      for (let i = 1; i < 400; i += 2) try { fs.symlinkSync(victim, path.join(run, 'p' + i)); } catch {}
      let swapped = 0;
      while (Date.now() < end && !fs.existsSync(path.join(run, 'stop'))) {
        for (const e of fs.readdirSync(run)) {
          if (!/^p\\d+$/.test(e)) continue;
          const p = path.join(run, e);
          try { if (fs.lstatSync(p).isDirectory()) { fs.renameSync(p, p + '.x'); fs.symlinkSync(victim, p); swapped++; } } catch {}
        }
      }
      console.log(swapped);`;
    const attacker = spawn(process.execPath, ['-e', attack], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let swapped = '';
    attacker.stdout.on('data', (d: Buffer) => { swapped += d.toString(); });
    const attackerDone = new Promise((r) => attacker.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    const results: string[] = []; // 'written', 'refused', or an error that is neither
    for (let i = 0; i < 400; i++) {
      try {
        await store.put(`run-1/p${i}/d/f.json`, String(i));
        results.push('written');
      } catch (err) {
        results.push(/refusing to write there/.test((err as Error).message) ? 'refused' : (err as Error).message);
      }
    }
    await fsp.writeFile(path.join(run, 'stop'), '');
    await attackerDone;
    expect(results.filter((r) => r !== 'written' && r !== 'refused')).toEqual([]);
    expect(mode(victim)).toBe(0o700);
    expect(await fsp.readdir(victim)).toEqual([]);
    expect(results.filter((r) => r === 'refused').length).toBeGreaterThanOrEqual(200); // the planted links: refused, not followed
    // What was written is where it was meant to be, in directories of the store's (sticky: the attacker renamed none).
    for (const [i, r] of results.entries()) {
      if (r !== 'written') continue;
      expect(await fsp.readFile(path.join(run, `p${i}`, 'd', 'f.json'), 'utf8')).toBe(String(i));
      expect(fs.lstatSync(path.join(run, `p${i}`)).isDirectory()).toBe(true);
    }
    expect(Number(swapped)).toBe(0);
  }, 60_000);
});
