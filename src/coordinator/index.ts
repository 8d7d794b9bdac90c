/** The coordinator: runs (inputs, manifest, queue, local workers, reduce) and their status. */
export { Coordinator, type RunOptions, type RunResult } from './coordinator.js';
export { resolveInputs, type InputFile } from './listing.js';
export { readManifest, type Manifest } from './manifest.js';
export { getRunStatus, type RunStatusReport } from './status.js';
export { checkRunId } from './run-id.js';
