/**
 * A fact lives in one place, and stays there: the run's paths in the output store are built in storage/layout.ts,
 * its Redis keys named in redis/run-record.ts, its counts read in redis/run-counts.ts. A second home fails here with
 * the file that made it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every source file under src/, relative to the repository, with its text. */
function sources(): Array<[string, string]> {
  return fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`src/${f.split(path.sep).join('/')}`, fs.readFileSync(path.join(ROOT, 'src', f), 'utf8')]);
}

/** The files whose code (comment lines left out: they may name a path) matches `re`. */
function filesMatching(re: RegExp): string[] {
  const code = (text: string): string => text.split('\n').filter((l) => !/^\s*(\*|\/\*|\/\/)/.test(l)).join('\n');
  return sources().filter(([, text]) => re.test(code(text))).map(([file]) => file).sort();
}

describe('one home', () => {
  it('paths under a run (`${runId}/...`) are built in storage/layout.ts only', () => {
    // A template that puts a run id between slashes: `${runId}/x`, `${manifest.runId}/`, `${store.location}/${runId}`.
    // (fleet/log-names.ts names the run's CloudWatch Logs group, `/wikireverse/${runId}`: not a path of the store.)
    expect(filesMatching(/\$\{[\w.]*\brunId\}\/|\/\$\{[\w.]*\brunId\}/)).toEqual(['src/fleet/log-names.ts', 'src/storage/layout.ts']);
    // A run's file named by hand (a path, a pattern) rather than by its builder.
    expect(filesMatching(/['`/]manifest\\?\.json\b|\/partials\b['`/]/).filter((f) => f !== 'src/storage/layout.ts')).toEqual([]);
  });

  it("the run's Redis keys are named in redis/run-record.ts only", () => {
    expect(filesMatching(/wikireverse:run:/)).toEqual(['src/redis/run-record.ts']);
    expect(filesMatching(/\brunKey\(/)).toEqual(['src/redis/run-record.ts']);
  });

  it("a run's counts (files and reduce tasks) are read by redis/run-counts.ts, and their line formatted there", () => {
    const elsewhere = (re: RegExp): string[] => filesMatching(re).filter((f) => f !== 'src/redis/run-counts.ts');
    // `done` taken from a job count or computed from the total: a count of its own, beside run-counts.ts's.
    expect(elsewhere(/\bdone\s*[:=]\s*(?:total\b|[\w.]*completed\b)/)).toEqual([]);
    // `files ${done}/${total} (failed ${f}, active ...`: a progress line built beside formatCounts.
    expect(elsewhere(/\$\{[^}]*\}\/\$\{[^}]*\} \(failed \$\{[^}]*\}, active/)).toEqual([]);
    // BullMQ's job counts read beside readJobCounts: only where they are not progress (a reused run id, a cancel's drain).
    expect(elsewhere(/\.getJobCounts\(/)).toEqual(['src/coordinator/cancel.ts', 'src/coordinator/coordinator.ts']);
  });
});
