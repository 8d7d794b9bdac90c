// Whether dist/ was built from the sources as they are now. `npm run build` runs `begin` before tsc (it hashes the
// sources tsc is about to read, and removes the previous stamp) and `end` after tsc and write-bin.mjs succeeded (the
// stamp becomes dist/build-stamp.json). The tests that run dist/ (test/helpers/cli.ts) refuse to start when
// distStaleness() says why dist/ does not match: vitest's globalSetup (test/global-setup.ts) asks once per run.
// Plain JavaScript, so that the build runs it before tsc has compiled anything.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What tsc compiles into dist/ (tsconfig.json's "include"), what it is told with, and what writes dist/cli.js. */
const SOURCE_DIRS = ['src', 'jobs', 'scripts'];
const SOURCE_FILE = /\.(ts|mts|cts|mjs|json)$/;
const EXTRA_FILES = ['tsconfig.json'];
const STAMP = 'dist/build-stamp.json';
const PENDING = 'dist/build-stamp.pending.json';
const REBUILD = 'run npm run build';

/** sha1 of every source file's bytes, by path relative to `root` ('/' separators), in path order. */
export function sourceHashes(root) {
  const files = [...EXTRA_FILES];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.isFile() && SOURCE_FILE.test(e.name)) files.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  files.sort();
  const hashes = {};
  for (const f of files) hashes[f] = crypto.createHash('sha1').update(fs.readFileSync(path.join(root, f))).digest('hex');
  return hashes;
}

/** null when dist/ was built from the sources as they are; otherwise what differs and what to do. */
export function distStaleness(root) {
  let built;
  try {
    built = JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8')).files;
  } catch {
    return `dist/ has no build stamp (${STAMP}: never built, or the last build failed): ${REBUILD}`;
  }
  const now = sourceHashes(root);
  const changed = [
    ...Object.keys(now).filter((f) => built[f] !== now[f]),
    ...Object.keys(built).filter((f) => !(f in now)),
  ].sort();
  if (changed.length === 0) return null;
  const named = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
  return `dist/ is older than src/: ${REBUILD} (changed since the build: ${named})`;
}

function begin(root) {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.rmSync(path.join(root, STAMP), { force: true });
  fs.writeFileSync(path.join(root, PENDING), JSON.stringify({ files: sourceHashes(root) }) + '\n');
}

function end(root) {
  fs.renameSync(path.join(root, PENDING), path.join(root, STAMP));
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const step = process.argv[2];
  if (step === 'begin') begin(root);
  else if (step === 'end') end(root);
  else if (step === 'check') {
    const stale = distStaleness(root);
    if (stale) {
      process.stderr.write(`${stale}\n`);
      process.exit(1);
    }
  } else {
    process.stderr.write('usage: node scripts/dist-stamp.mjs begin|end|check\n');
    process.exit(2);
  }
}
