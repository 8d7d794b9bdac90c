/** The reduce side: reduce tasks (committed partials -> sorted, de-duplicated Parquet per partition) and their input list. */
export { runReduceTask, committedPartition, mergeSql, rollupsOf, type ReduceTaskOptions } from './reducer.js';
export { committedBucket, runRollupTask, type RollupTaskOptions } from './rollup.js';
export { inputLine, LinesDigest, listDigest, parseCommitRecord, parseInputLine, type ReduceInputFile } from './inputs.js';
export { forEachLimit } from './pool.js';
export { readLookup, runLookupTask, type LookupTaskOptions } from './lookup.js';
export { lookupDigest, parseLookupResult } from './lookup-record.js';
