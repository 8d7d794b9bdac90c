/**
 * The output store failing for good while a file is processed (here: the partials folder cannot be created) fails that
 * file with an error that says so; it is never committed with rows missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { processFile } from '../../src/worker/index.js';
import { LocalStore, partialPath } from '../../src/storage/index.js';
import { wikipediaLinksJob } from '../../jobs/wikipedia/index.js';
import type { JobDefinition } from '../../src/job/index.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { testIoSession } from '../helpers/storage.js';

let work: string;
let planted: PlantedSet;

beforeAll(async () => {
  work = await tempDir('out-fail');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 1, pagesPerFile: 200, seed: 91, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('output write failures', () => {
  it('fail the file instead of committing it without its rows', async () => {
    const out = path.join(work, 'out');
    await fsp.mkdir(path.join(out, 'run-x'), { recursive: true });
    await fsp.writeFile(path.join(out, 'run-x', 'partials'), 'not a folder'); // partials is no directory: ENOTDIR
    const store = new LocalStore(out);
    const data = {
      runId: 'run-x', fileId: 'f000000-test', input: planted.files[0] as string, out, job: wikipediaLinksJob.name,
      partitions: 4, maxRecordBytes: 1 << 24,
    };
    expect(planted.expected.length).toBeGreaterThan(10);
    await expect(processFile(data, wikipediaLinksJob as unknown as JobDefinition, store, 1, testIoSession())).rejects.toThrow(/Writing the rows of .* to .*partials\/f000000-test.jsonl.gz failed: .*ENOTDIR: not a directory, open '.*\/run-x\/partials'/);
    expect(await store.get(partialPath('run-x', 'f000000-test'))).toBeNull();
  });
});
