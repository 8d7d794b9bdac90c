/** Where a run's files live in the output store. */
import { partName } from '../job/partition.js';

export const runDir = (runId: string): string => runId;
export const manifestPath = (runId: string): string => `${runId}/manifest.json`;
export const partialsDir = (runId: string, fileId: string): string => `${runId}/partials/${fileId}`;
export const partialPath = (runId: string, fileId: string, partition: number): string =>
  `${partialsDir(runId, fileId)}/${partName(partition, 'jsonl.gz')}`;
/** Written last, after every partition of the file: its presence is what "committed" means. */
export const successPath = (runId: string, fileId: string): string => `${partialsDir(runId, fileId)}/_SUCCESS.json`;
export const outputPath = (runId: string, output: string, partition: number): string =>
  `${runId}/${output}/${partName(partition, 'parquet')}`;
