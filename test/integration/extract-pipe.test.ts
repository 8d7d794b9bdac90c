/**
 * `wikireverse extract` into a pipe whose reader is slower than the writer: every row arrives. The process used to
 * exit (process.exit) with its last rows still in stdout's buffer, and lost them whenever the reader lagged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CLI } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let work: string;
let planted: PlantedSet;

beforeAll(async () => {
  work = await tempDir('extract-pipe');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 3, pagesPerFile: 400, seed: 171, wikiLinkRate: 1 }]);
}, 60_000);

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

it('every row reaches a slow reader of its stdout pipe before the process exits', async () => {
  expect(planted.expected.length).toBeGreaterThan(1000);
  const child = spawn(process.execPath, [CLI, 'extract', '--format', 'tsv', ...planted.files], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  // A reader that keeps the pipe full: each chunk read, then a pause, so the writer always has rows waiting in its buffer.
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    text += d;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 5);
  });
  await new Promise((r) => child.stdout.once('end', r));
  expect(await exited).toBe(0);
  const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('lang\tarticle\t'));
  expect(rows).toHaveLength(planted.expected.length);
}, 60_000);
