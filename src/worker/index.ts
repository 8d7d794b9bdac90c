/** Workers: process one input file into committed partials; serve runs from the queue; health, metrics, spot notices. */
export { FileWorker, type FileWorkerOptions } from './file-worker.js';
export { processFile } from './process-file.js';
export { WorkerMetrics } from './metrics.js';
export { HealthServer, type HealthReport, type HealthServerOptions } from './health.js';
export { SpotWatcher, IMDS_DEFAULT_URL, leaveOnSpotNotice, onEc2, type SpotNotice } from './spot.js';
