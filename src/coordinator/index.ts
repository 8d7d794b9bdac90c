/** The coordinator: runs (inputs, manifest, queue, local workers, reduce) and their status. */
export { Coordinator, type SessionOptions, type StartOptions, type RunResult, type RunObserver } from './coordinator.js';
export { CancelledError, type ProgressSnapshot } from './settle.js';
export { defaultPartitions } from './reduce-phase.js';
export type { InputFile } from './listing.js';
export {
  planInputs, planIndex, selectEntries, parseSegments, segmentOf, segmentsOf, crawlListingPath, checkCrawlId, COMMON_CRAWL_BASES,
  type Selection, type CrawlInput, type CrawlSource, type InputPlan, type IndexPlan,
} from './crawl.js';
export { selectFromIndex, emptyStats, crawlIndexListingPath, type IndexTask, type IndexSelectionStats } from './index-selection.js';
export { readManifest, writeManifest, type Manifest, type RunSettings } from './manifest.js';
export { NoSuchRunError } from './cancel.js';
export { committedFiles } from './settle.js';
export { getRunStatus, type RunStatusReport } from './status.js';
export { checkRunId } from './run-id.js';
export { cancelRun, cancelStoredRun, type CancelResult } from './cancel.js';
export { buildOutcome, formatOutcome, readOutcomeFiles, type OutcomeFiles, type RunOutcome } from './outcome.js';
export { pendingOf, readRunFiles, selectRunFiles, type FileCounts, type RunFile } from './run-files.js';
