/** The job registry: every job definition the runner can execute, by name. */
import type { JobDefinition } from '../src/job/types.js';
import { wikipediaLinksJob } from './wikipedia/index.js';

export const DEFAULT_JOB = wikipediaLinksJob.name;

export const jobRegistry: ReadonlyMap<string, JobDefinition> = new Map<string, JobDefinition>([
  [wikipediaLinksJob.name, wikipediaLinksJob as unknown as JobDefinition],
]);
