// Writes dist/cli.js, the package's `bin`: a two-line entry that runs the CLI's main().
import fs from 'node:fs';
const entry = `#!/usr/bin/env node
import { main } from './src/cli/index.js';
process.exit(await main(process.argv.slice(2)));
`;
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/cli.js', entry, { mode: 0o755 });
