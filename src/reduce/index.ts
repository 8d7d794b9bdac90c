/** The reducer: committed partials -> sorted, de-duplicated Parquet outputs. */
export { reduceRun, type ReduceOptions, type ReduceResult, type OutputFile } from './reducer.js';
