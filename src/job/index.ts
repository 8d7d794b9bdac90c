/** The job interface the runner knows, and the registry through which it finds jobs by name. */
export type * from './types.js';
export { partitionOf, partName } from './partition.js';

/**
 * A lookup's source that no retry can read (a missing directory, no dump files, a malformed file): the lookup task
 * fails at once, for good, with this message (it names the file and the byte offset).
 */
export class LookupSourceError extends Error {
  override readonly name = 'LookupSourceError';
}

import type { JobDefinition } from './types.js';

/** Jobs by name; built by the CLI from `jobs/` and handed down. */
export type JobRegistry = ReadonlyMap<string, JobDefinition>;

export function resolveJob(registry: JobRegistry, name: string): JobDefinition {
  const job = registry.get(name);
  if (!job) {
    throw new Error(`Unknown job "${name}". Known jobs: ${[...registry.keys()].join(', ') || '(none)'}`);
  }
  return job;
}
