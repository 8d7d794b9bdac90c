// `npm ci` runs this (the package's install script): builds the fast inflate addon (native/) with node-gyp, against
// the headers of the Node that runs it (the pinned Node's own include/, so nothing is downloaded). When it cannot be
// built (no compiler, no libdeflate-dev), it says so in one line and the install goes on: workers then inflate with
// node's zlib (src/warc/inflate.ts). WIKIREVERSE_NATIVE=require (CI, the image's build stage) makes that an error;
// WIKIREVERSE_NATIVE=skip builds nothing. Cross builds pass node-gyp's --arch through npm_config_arch, CC/CXX and
// LIBDEFLATE_A (the target's archive) in the environment.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.env.WIKIREVERSE_NATIVE ?? 'auto';
if (!['auto', 'require', 'skip'].includes(mode)) {
  console.error(`build-native: WIKIREVERSE_NATIVE=${mode} is not auto, require or skip`);
  process.exit(2);
}
if (mode === 'skip') process.exit(0);

/** node-gyp: npm's own (npm names it to install scripts; run by hand, found beside the global npm), else on PATH. */
function findNodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout?.trim();
  if (!npm) return undefined;
  const bundled = path.join(path.dirname(path.dirname(fs.realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return fs.existsSync(bundled) ? bundled : undefined;
}

const gyp = findNodeGyp();
const command = gyp ? process.execPath : 'node-gyp';
const args = gyp ? [gyp] : [];
args.push('rebuild', '--directory', path.join(root, 'native'), '--loglevel', 'warn');
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const built = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
const addon = path.join(root, 'native', 'build', 'Release', 'wikireverse_inflate.node');
if (built.status === 0 && fs.existsSync(addon)) {
  console.log(`build-native: ${path.relative(root, addon)} built (libdeflate)`);
  process.exit(0);
}
const why = built.error?.message ?? (built.stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l))[0] ?? `node-gyp exited with ${built.status}`;
if (mode === 'require') {
  process.stderr.write(built.stderr ?? '');
  console.error(`build-native: the inflate addon did not build (${why}); WIKIREVERSE_NATIVE=require`);
  process.exit(1);
}
console.warn(`build-native: the inflate addon did not build (${why}); workers will inflate with node's zlib (install libdeflate-dev and a C++ compiler, then node scripts/build-native.mjs)`);
