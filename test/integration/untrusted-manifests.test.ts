/**
 * Manifests written by someone else (another local user with write access to the output directory, a tampered store):
 * `runs`, `status` and `report` print none of their terminal escapes; a manifest in the old shape that names another
 * run does not make `runs` overwrite that run's manifest; an oversized manifest is not read. All reads go through
 * parseManifest (src/coordinator/manifest.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { LocalStore, ObjectTooLargeError } from '../../src/storage/index.js';
import { MAX_MANIFEST_BYTES, readManifest } from '../../src/coordinator/manifest.js';

let work: string;
let planted: PlantedSet;
let out: string;
const RUN = 'true-1';
// CSI (clear screen), OSC 52 (write the clipboard), OSC 0 (window title), a C1 CSI, a bell.
const ESCAPES = '\x1b[2J\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;owned\x07\x9b31m\x07';

beforeAll(async () => {
  work = await tempDir('manifests');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 2, pagesPerFile: 20, seed: 5, prefix: 'm' }]);
  out = path.join(work, 'out');
  const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '1', '--run-id', RUN, '--partitions', '1', '--no-progress']);
  expect(res.code, res.stderr).toBe(0);
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

function hasEscape(s: string): boolean {
  return /[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(s);
}

describe('manifests written by someone else', () => {
  it('runs, status and report print none of their terminal escapes', async () => {
    const file = path.join(out, RUN, 'manifest.json');
    const m = JSON.parse(await fsp.readFile(file, 'utf8'));
    m.status = 'failed';
    m.reason = `${ESCAPES}everything is fine`;
    m.settings.out = `${out}${ESCAPES}`;
    await fsp.writeFile(file, JSON.stringify(m));
    for (const args of [['runs', '--out', out], ['status', RUN, '--out', out], ['report', RUN, '--out', out], ['runs', '--out', out, '--json']]) {
      const res = await runCli(args);
      expect(res.stdout + res.stderr, args.join(' ')).toContain(RUN);
      if (args[0] !== 'runs') expect(res.stdout + res.stderr, args.join(' ')).toContain('everything is fine'); // the tampered text is shown, cleaned
      expect(hasEscape(res.stdout), `${args.join(' ')}: ${JSON.stringify(res.stdout)}`).toBe(false);
      expect(hasEscape(res.stderr), `${args.join(' ')}: ${JSON.stringify(res.stderr)}`).toBe(false);
    }
  });

  it('a manifest in the old shape that names another run is refused, and that run\'s manifest is left as it was', async () => {
    const victim = path.join(out, RUN, 'manifest.json');
    const before = await fsp.readFile(victim);
    const m = JSON.parse(before.toString('utf8'));
    const forged = { ...m, version: 1, status: 'succeeded', reason: 'forged', files: [{ fileId: 'f000000-0000000000', input: '/etc/shadow', status: 'done' }] };
    await fsp.mkdir(path.join(out, 'other-1'), { recursive: true });
    await fsp.writeFile(path.join(out, 'other-1', 'manifest.json'), JSON.stringify(forged));
    const res = await runCli(['runs', '--out', out, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([RUN]);
    expect((await fsp.readFile(victim)).equals(before)).toBe(true);
    await expect(fsp.stat(path.join(out, 'other-1', 'files.jsonl.gz'))).rejects.toThrow(/ENOENT/);
    await expect(readManifest(new LocalStore(out), 'other-1')).rejects.toThrow(/other-1\/manifest\.json is not a run manifest: it names run "true-1", not other-1/);
    await fsp.rm(path.join(out, 'other-1'), { recursive: true });
  });

  it('a manifest larger than any run writes is not read', async () => {
    await fsp.mkdir(path.join(out, 'huge-1'), { recursive: true });
    const file = path.join(out, 'huge-1', 'manifest.json');
    await fsp.writeFile(file, '{');
    await fsp.truncate(file, MAX_MANIFEST_BYTES + 1); // sparse: costs no disk
    await expect(readManifest(new LocalStore(out), 'huge-1')).rejects.toBeInstanceOf(ObjectTooLargeError);
    const res = await runCli(['status', 'huge-1', '--out', out]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/huge-1\/manifest\.json is larger than the 33554432 bytes/);
    await fsp.rm(path.join(out, 'huge-1'), { recursive: true });
  });
});

describe('another local user', () => {
  it.skipIf(process.getuid?.() !== 0)('who made $TMPDIR/wikireverse-<uid> first cannot stop a run: the URL file goes to a private directory in HOME, and cancel finds it', async () => {
    const tmp = path.join(work, 'tmp');
    const home = path.join(work, 'home');
    const taken = path.join(tmp, `wikireverse-${process.getuid?.() ?? 0}`);
    await fsp.mkdir(taken, { recursive: true, mode: 0o700 });
    await fsp.chown(taken, 65534, 65534); // nobody's, as `mkdir -m700` by another user leaves it
    await fsp.mkdir(home, { recursive: true });
    const env = { TMPDIR: tmp, HOME: home };
    const slow = await plant(path.join(work, 'in-slow'), [{ kind: 'wat', files: 8, pagesPerFile: 10, seed: 6, prefix: 's' }]);
    const { startCli } = await import('../helpers/cli.js');
    const run = startCli(['run', '--paths', slow.listing, '--out', out, '--workers', '1', '--run-id', 'preempt-1', '--rate-limit', '1', '--no-progress'], env);
    await run.waitForLine((l) => l.includes('files 0/8') || l.includes('files 1/8'));
    expect(await fsp.readdir(path.join(home, '.cache', 'wikireverse-private'))).toEqual(['preempt-1.redis-url']);
    expect((await fsp.stat(path.join(home, '.cache', 'wikireverse-private', 'preempt-1.redis-url'))).mode & 0o777).toBe(0o600);
    expect(await fsp.readdir(taken)).toEqual([]);
    const cancel = await runCli(['cancel', 'preempt-1', '--out', out], env);
    expect(cancel.code, cancel.stderr).toBe(0);
    const res = await run.done;
    expect(res.code, res.stderr).toBe(3);
    expect(await fsp.readdir(path.join(home, '.cache', 'wikireverse-private'))).toEqual([]);
  });
});
