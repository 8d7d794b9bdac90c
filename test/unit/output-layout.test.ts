/**
 * The output layout (src/storage/layout.ts) is the one place a run's paths are built: every path of a run lies under
 * `<runId>/` and no two coincide, and `clean` removes exactly what the layout calls removable (the partials and the
 * reduce records), leaving the outputs, manifest, file list, timeline, cost ledger and report.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import {
  costPath, filesPath, manifestPath, outputDir, outputPath, partialPath, partialsDir, reduceCommitPath, reduceDir,
  reduceInputsPath, removableDirs, reportPath, runDir, timelinePath, LocalStore, shuffleDir, shufflePath, rollupCommitPath, lookupCommitPath,
  lookupPartPath, lookupDir,
} from '../../src/storage/index.js';
import { tempDir } from '../helpers/fixtures.js';

const RUN = 'layout-1';

/** Every object a run can hold, by the layout (a file `f1`, partition 0, output `links`). */
const objects = (runId: string): string[] => [
  manifestPath(runId), filesPath(runId), partialPath(runId, 'f1'), reduceInputsPath(runId),
  reduceCommitPath(runId, 0), outputPath(runId, 'links', 0), timelinePath(runId), costPath(runId), reportPath(runId),
  shufflePath(runId, 'domains', 0, 0), rollupCommitPath(runId, 0), outputPath(runId, 'domains', 0), lookupPartPath(runId, 'titles', 0), lookupCommitPath(runId, 'titles'),
];
const folders = (runId: string): string[] => [partialsDir(runId), reduceDir(runId), outputDir(runId, 'links'), shuffleDir(runId), lookupDir(runId, 'titles')];

describe('output layout', () => {
  it('puts every path of a run under <runId>/, each distinct', () => {
    const all = [...objects(RUN), ...folders(RUN)];
    expect(runDir(RUN)).toBe(RUN);
    for (const p of all) expect(p.startsWith(`${runDir(RUN)}/`), p).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    // Another run's paths share nothing with this one's.
    const other = [...objects('layout-2'), ...folders('layout-2')];
    expect(all.filter((p) => other.includes(p))).toEqual([]);
    for (const d of removableDirs(RUN)) expect(folders(RUN)).toContain(d);
  });

  it('clean removes what the layout says is removable, and nothing else', async () => {
    const dir = await tempDir('layout-clean');
    const store = new LocalStore(dir);
    for (const p of objects(RUN)) await store.put(p, p === manifestPath(RUN) ? '{}' : 'x');
    const manifest = { version: 2, runId: RUN, job: 'wikipedia-links', status: 'succeeded', createdAt: new Date().toISOString(), settings: { job: 'wikipedia-links', out: dir, partitions: 1 },
      options: {}, counters: {}, outputs: [], files: { total: 1, done: 1, failed: 0, retried: 0, retriedDone: 0, workerSeconds: 0 } };
    await store.put(manifestPath(RUN), JSON.stringify(manifest));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await main(['clean', RUN, '--out', dir], { stdout, stderr });
    expect(code, String(stderr.read() ?? '')).toBe(0);
    const removable = (p: string): boolean => removableDirs(RUN).some((d) => p.startsWith(`${d}/`));
    const left = (await store.list(RUN)).sort();
    expect(left).toEqual(objects(RUN).filter((p) => !removable(p)).sort());
    expect(objects(RUN).filter(removable).length).toBeGreaterThan(0);
    await fsp.rm(path.resolve(dir), { recursive: true, force: true });
  });
});
