/**
 * Where a run's files live in the output store (every path of a run is built here, under `<runId>/`), and the shape of
 * the records that commit them.
 *
 * Map side: one object per input file, `partials/<fileId>.jsonl.gz`, holding its rows partition by partition (one gzip
 * member per non-empty partition, in partition order, so any run of partitions is one byte range), then the file's
 * commit record (a `FileResult`, with each partition's byte range) as its last member (commit-footer.ts): one PUT
 * commits a file, and the object's presence is what "committed" means.
 * Reduce side: `<output>/part-NNNNN.parquet` per partition, and `reduce/part-NNNNN.commit.json` (a `PartitionResult`)
 * once every output of that partition is in place.
 * Beside them: the manifest, the file list, the timeline (`timeline.json`), the cost ledger (`cost.json`) and the HTML
 * report (`report.html`). `clean` removes only `removableDirs` (what a resume needs, not what a finished run shows).
 */
import { partName } from '../job/partition.js';

export const runDir = (runId: string): string => runId;
export const manifestPath = (runId: string): string => `${runId}/manifest.json`;
/** The run's input files and each one's outcome (gzipped JSON lines; the manifest holds their counts). */
export const filesPath = (runId: string): string => `${runId}/files.jsonl.gz`;
export const partialsDir = (runId: string): string => `${runId}/partials`;
const PARTIAL_SUFFIX = '.jsonl.gz';
/** The rows of one input file, every partition in one object, its commit record last: its presence commits the file. */
export const partialPath = (runId: string, fileId: string): string => `${partialsDir(runId)}/${fileId}${PARTIAL_SUFFIX}`;
/** The file id of a partial's path (as listed under `partialsDir`), or null for any other object. */
export function fileIdOfPartial(runId: string, listed: string): string | null {
  const prefix = `${partialsDir(runId)}/`;
  if (!listed.startsWith(prefix) || !listed.endsWith(PARTIAL_SUFFIX)) return null;
  const id = listed.slice(prefix.length, -PARTIAL_SUFFIX.length);
  return id === '' || id.includes('/') ? null : id;
}
/** What a run's reduce tasks read and record: needed only to resume the run. */
export const reduceDir = (runId: string): string => `${runId}/reduce`;
/** The committed files of a run, one JSON line each, written by the coordinator for the reduce tasks. */
export const reduceInputsPath = (runId: string): string => `${reduceDir(runId)}/inputs.jsonl`;
export const reduceCommitPath = (runId: string, partition: number): string => `${reduceDir(runId)}/${partName(partition, 'commit.json')}`;
/**
 * A lookup the job's rows are joined with (`--titles`: the `titles` lookup), built once per run before the map:
 * `lookup/<name>/part-NNNNN.jsonl.gz` per partition, and `lookup/<name>/commit.json` (a `LookupResult`) once they are all in place.
 */
export const lookupDir = (runId: string, name: string): string => `${runId}/lookup/${name}`;
export const lookupPartPath = (runId: string, name: string, partition: number): string => `${lookupDir(runId, name)}/${partName(partition, 'jsonl.gz')}`;
export const lookupCommitPath = (runId: string, name: string): string => `${lookupDir(runId, name)}/commit.json`;
/** One output of the job (`links`, a derived table), every partition's Parquet file in it. */
export const outputDir = (runId: string, output: string): string => `${runId}/${output}`;
export const outputPath = (runId: string, output: string, partition: number): string => `${outputDir(runId, output)}/${partName(partition, 'parquet')}`;
/** Snapshots of the run's progress over time (src/progress), for the report's charts. */
export const timelinePath = (runId: string): string => `${runId}/timeline.json`;
/** The cost ledger (src/cost), rewritten as the run goes and at its end. */
export const costPath = (runId: string): string => `${runId}/cost.json`;
/** The run's HTML report (src/report). */
export const reportPath = (runId: string): string => `${runId}/report.html`;
/**
 * A rollup output's rows of one partition and one bucket (`shuffle/<output>/bucket-BBBBB/part-PPPPP.parquet`): what a
 * partition's merge hands the rollup task of that bucket.
 */
export const shuffleDir = (runId: string): string => `${runId}/shuffle`;
export const shufflePath = (runId: string, output: string, bucket: number, partition: number): string =>
  `${shuffleDir(runId)}/${output}/bucket-${String(bucket).padStart(5, '0')}/${partName(partition, 'parquet')}`;
export const rollupCommitPath = (runId: string, bucket: number): string => `${reduceDir(runId)}/${partName(bucket, 'rollup.json')}`;
/** What `clean` removes: the partials, the reduce records and the shuffled rows, which only a resume or a retry reads. */
export const removableDirs = (runId: string): string[] => [partialsDir(runId), reduceDir(runId), shuffleDir(runId)];

/** One partition's rows inside a file's partial object. */
export interface PartRange {
  readonly partition: number;
  /** Byte offset of the partition's gzip member in the partial object. */
  readonly offset: number;
  readonly bytes: number;
  readonly rows: number;
  /** SHA-256 of the member's bytes (hex), as the worker wrote them: the reduce merges only bytes that match. */
  readonly sha256: string;
}

/** What a worker returns for a committed file (also stored as its commit record, the partial's footer). */
export interface FileResult {
  readonly fileId: string;
  readonly input: string;
  readonly kind: string;
  readonly rows: number;
  /** The non-empty partitions, in partition order (so in offset order). */
  readonly parts: readonly PartRange[];
  readonly counters: Record<string, number>;
  readonly compressedBytes: number;
  readonly seconds: number;
  readonly attempt: number;
  /** CPU seconds the worker process used for this file (user + system; set by the worker, not in the commit record). */
  readonly cpuSeconds?: number;
}

/** One output file of one partition. */
export interface OutputFile {
  readonly output: string;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

/** What a reduce task commits for one partition. */
export interface PartitionResult {
  readonly partition: number;
  /** The set of committed files it was merged from (`ReduceTaskData.inputsDigest`). */
  readonly inputsDigest: string;
  /** Committed input files whose rows were merged. */
  readonly files: number;
  /** Rows read before de-duplication. */
  readonly rowsIn: number;
  readonly outputs: readonly OutputFile[];
  /** Its rows of each rollup output, one file per bucket with rows (absent: a run without rollups). */
  readonly shuffles?: readonly ShuffleFile[];
  readonly seconds: number;
  readonly counters: Record<string, number>;
}

/** One partition's rows of one rollup output and bucket. */
export interface ShuffleFile {
  readonly output: string;
  readonly bucket: number;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  /** SHA-256 of the object (hex): a rollup task aggregates only a file that matches. */
  readonly sha256: string;
}

/** What a rollup task commits for one bucket: the outputs it wrote. */
export interface RollupResult {
  readonly bucket: number;
  /** The set of committed files the partitions were merged from (as the partitions' `inputsDigest`). */
  readonly inputsDigest: string;
  readonly outputs: readonly OutputFile[];
  readonly seconds: number;
  readonly counters: Record<string, number>;
}

/** One partition's slice of a lookup. */
export interface LookupPart {
  readonly partition: number;
  readonly rows: number;
  readonly bytes: number;
  /** SHA-256 of the object (hex): a reduce task joins only a slice that matches. */
  readonly sha256: string;
}

/** What a lookup task commits: the source files it read, and each partition's slice (empty partitions have none). */
export interface LookupResult {
  readonly name: string;
  readonly partitions: number;
  readonly sources: readonly { readonly file: string; readonly bytes: number }[];
  readonly rows: number;
  readonly parts: readonly LookupPart[];
  readonly seconds: number;
}
