// Writes dist/cli.js, the package's `bin`: a two-line entry that runs the CLI's main().
// Run as a program (`wikireverse`, `npx wikireverse`), it caps V8's young generation at 4 MB semi-spaces: a coordinator
// enqueueing 63,560 files then peaks at 234 MB RSS instead of 391 MB (its live heap is ~21 MB either way; the default
// young generation lets a burst of short-lived job objects inflate the process for good). Worker threads keep their own
// limits (src/worker/file-sandbox.ts). `node dist/cli.js` runs the same code without the cap.
import fs from 'node:fs';
const entry = `#!/usr/bin/env -S node --max-semi-space-size=4
import { main } from './src/cli/index.js';
const code = await main(process.argv.slice(2));
// process.exit drops what a pipe has not taken yet (extract's last rows): wait until stdout and stderr have flushed.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => (s.writableLength === 0 ? r() : s.write('', r)))));
process.exit(code);
`;
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/cli.js', entry, { mode: 0o755 });
