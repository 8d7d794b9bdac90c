/** Applying a job to inputs: scanning, counters, output formats. */
export { scanInput, InputError, OutputWriteError, type ScanOptions, type ScanResult, type InputKind } from './scan.js';
export { Counters, mergeCounters, type CounterMap } from './counters.js';
export { formatHeader, formatRow, type OutputFormat } from './format.js';
