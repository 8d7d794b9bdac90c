/** The command line: `main(args, io)`. */
export { main } from './main.js';
export type { CliIO } from './io.js';
