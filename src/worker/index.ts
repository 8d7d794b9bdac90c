/** Workers: process one input file into committed partials; serve runs from the queue. */
export { FileWorker, type FileWorkerOptions } from './file-worker.js';
export { processFile } from './process-file.js';
