/**
 * vitest's globalSetup: once per run, whether dist/ was built from the current sources (scripts/dist-stamp.mjs). The
 * tests that run dist/ (through test/helpers/cli.ts) fail at once with the answer when it was not; the others run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { distStaleness } from '../scripts/dist-stamp.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** null: dist/ matches the sources; otherwise what differs and what to do. */
    distStale: string | null;
  }
}

export default function setup(project: TestProject): void {
  project.provide('distStale', distStaleness(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')));
}
