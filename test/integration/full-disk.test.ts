/**
 * A full disk under the output directory (issue 26, item 5), on a real tmpfs of 400 KiB mounted for the test (root
 * only: the suite runs as root; elsewhere the file is skipped, saying why). Before: a bare `ENOSPC ... write` with no
 * path or resume hint, empty `*.tmp-*` files left behind, and left by `resume` and `clean` too. Now: the error names
 * the object it was writing and says how to continue; failed writes leave no temporary file; `resume` removes a dead
 * writer's temporaries (not a live one's), `clean` every one of an ended run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const SAMPLES = path.join(ROOT, 'test/fixtures/samples');
let work = '';
let disk = '';
let mounted = false;

function canMount(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/proc/self/mountinfo');
}

beforeAll(async () => {
  if (!canMount()) return;
  work = await tempDir('full-disk');
  disk = path.join(work, 'disk');
  await fsp.mkdir(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', disk]);
  mounted = true;
});

afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', disk]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const temporaries = async (dir: string): Promise<string[]> =>
  (await fsp.readdir(dir, { recursive: true }).catch(() => [] as string[])).filter((n) => /\.tmp-\d+-[0-9a-f]{8}$/.test(n)).sort();

describe.skipIf(!canMount())('a full disk under --out (needs root, to mount a tmpfs)', () => {
  it('names the object and how to continue, leaves no temporary file; resume and clean remove what dead writers left', async () => {
    const out = path.join(disk, 'out');
    // 8 KiB left: the run's first objects fit, its partials and outputs do not.
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(disk, 'fill')}`, 'bs=1k', 'count=392'], { stdio: 'ignore' });
    const res = await runCli(['run', '--paths', SAMPLES, '--out', out, '--workers', '1', '--run-id', 'full-1', '--attempts', '1', '--no-progress']);
    expect(res.code, res.stderr.slice(-2000)).toBe(1);
    const error = res.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error: ')).at(-1) ?? '';
    expect(error).toMatch(new RegExp(`^error: no space left on device writing ${out}/full-1/\\S+ \\(ENOSPC\\); free space there, then continue with: wikireverse resume full-1 --out ${out}$`));
    expect(await temporaries(out)).toEqual([]);

    // Space again; a writer killed an hour ago left a temporary, one at work now has one open.
    await fsp.rm(path.join(disk, 'fill'));
    const dead = path.join(out, 'full-1', 'partials', 'f000003-0000000000.jsonl.gz.tmp-4242-0badf00d');
    const live = path.join(out, 'full-1', 'timeline.json.tmp-4243-c0ffee00');
    await fsp.mkdir(path.dirname(dead), { recursive: true });
    await fsp.writeFile(dead, '');
    await fsp.writeFile(live, '');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await fsp.utimes(dead, anHourAgo, anHourAgo);
    const resumed = await runCli(['resume', 'full-1', '--out', out, '--workers', '1', '--no-progress']);
    expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
    expect(resumed.stderr).toContain('run full-1: removed 1 temporary files left by earlier writers');
    expect(resumed.stdout).toContain('run full-1 succeeded');
    expect(await temporaries(out)).toEqual(['full-1/timeline.json.tmp-4243-c0ffee00']);
    // The run has ended: clean removes every temporary of it.
    const cleaned = await runCli(['clean', 'full-1', '--out', out]);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await temporaries(out)).toEqual([]);
  }, 120_000);
});
