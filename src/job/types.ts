/**
 * The job interface: what the runner (extract, worker, reducer) knows about a job.
 * A job maps WARC/WAT records (and ARC records, read as WARC's) to rows; the runner partitions, stores, merges and writes them.
 * Jobs live in `jobs/`; the runner never imports a job directly.
 */

/** Column types understood by the reducer (DuckDB types). A TIMESTAMP column holds ISO 8601 UTC strings in the rows (`...Z`). */
export type ColumnType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
}

export type RowValue = string | number | boolean | null;
export type Row = Record<string, RowValue>;

/**
 * Header-level view of a record, available before its payload is read. ARC records come as the WARC records they
 * correspond to: an http(s) capture as a `response` (its URL as target, its Archive-date as an ISO 8601 date), the
 * version block as `warcinfo`, any other capture (dns:, ...) as `resource`.
 */
export interface RecordHeader {
  /** WARC-Type: `response`, `metadata`, `request`, `conversion`, `warcinfo`, ... */
  readonly warcType: string;
  /** WARC-Target-URI, with the `<...>` brackets some writers add removed; '' when absent. */
  readonly targetUri: string;
  /** WARC-Date as written in the record (ISO 8601); '' when absent. */
  readonly date: string;
  /**
   * For `response` records: the HTTP Content-Type header of the captured response ('' when absent).
   * For every other record: the WARC Content-Type header.
   */
  readonly contentType: string;
}

/** A record with its payload read. */
export interface RecordView extends RecordHeader {
  /**
   * The payload bytes: the HTTP body for `response` records (HTTP headers removed),
   * the whole content block for other records (the JSON envelope for WAT `metadata` records).
   * May be truncated to the runner's `maxRecordBytes`; `truncated` says so.
   */
  readonly payload: Buffer;
  readonly truncated: boolean;
}

/** Given to `map`: where the record comes from and a way to count things. */
export interface MapContext {
  /** The input file's location as given in the listing (path or URL). */
  readonly inputFile: string;
  /** Adds `n` (default 1) to the named counter; counters end up in `--stats`, the manifest and the report. */
  count(name: string, n?: number): void;
}

/** A derived output, computed by the reducer from the merged rows of one partition. */
export interface DerivedOutput {
  /** Output folder name: `<out>/<runId>/<name>/part-*.parquet`. */
  readonly name: string;
  /** A DuckDB SELECT over the merged, de-duplicated rows of one partition, available as the table `rows`. */
  readonly sql: string;
}

/** A table a lookup is built from: its columns and its rows, read from the source in batches. */
export interface LookupTable {
  readonly name: string;
  readonly columns: readonly Column[];
  /** The rows' batches (values in column order); throws naming the source file and the byte offset when it is malformed. */
  rows(): AsyncIterable<RowValue[][]>;
}

/**
 * Facts the merged rows are joined with (e.g. titles -> canonical article), built once per run before the map, by a
 * task on a worker, from a source directory the run names (`--titles`). Its rows are partitioned as the job's rows
 * are (`partitionKey`), so a partition's merge reads its own slice only.
 */
export interface LookupDefinition {
  /** Folder of the built lookup in the run (`<out>/<runId>/<name>/`), and the task's name. */
  readonly name: string;
  /** The source directory's tables, and the files they are read from; throws when it holds none. */
  source(dir: string): Promise<{ readonly tables: readonly LookupTable[]; readonly files: readonly string[] }>;
  /** DuckDB statements over the loaded tables, run in order; the last is a SELECT of the lookup's rows (`columns`). */
  readonly build: readonly string[];
  readonly columns: readonly Column[];
  /** The columns that identify a lookup row (the reduce keeps one row per key: a repeated one never joins a row twice). */
  readonly key: readonly string[];
  /** A lookup row's partition key: the partitionKey of the rows it joins. */
  partitionKey(row: Row): string;
  /**
   * The main output's rows: a SELECT over `merged` (the partition's merged rows) and `lookup` (its lookup rows; empty
   * when the run has none), giving the job's output columns (`outputColumns`).
   */
  readonly joinSql: string;
}

/**
 * An output keyed by something else than the partition key (a domain, a Wikidata item): each partition's merge
 * shuffles its rows out by a hash of the key into buckets, and one task per bucket aggregates every partition's rows
 * of it, so a key's rows meet in one place.
 */
export interface RollupOutput {
  /** Output folder name: `<out>/<runId>/<name>/part-*.parquet` (one per bucket). */
  readonly name: string;
  /** Only for runs with a lookup (its columns are null without one). */
  readonly needsLookup?: boolean;
  /** A SELECT over `rows` (a partition's main output) of the rows to shuffle: a VARCHAR `rollup_key`, and what `sql` reads. */
  readonly shuffle: string;
  /** A SELECT over `shuffled` (every partition's shuffled rows of one bucket) giving the output, sorted. */
  readonly sql: string;
}

export interface JobDefinition<R extends Row = Row> {
  /** Registry name, e.g. `wikipedia-links`. Stored in every queued job. */
  readonly name: string;
  readonly description: string;
  /** Schema of the rows `map` yields, in output column order. */
  readonly columns: readonly Column[];
  /** Name of the main output folder holding the merged rows (e.g. `links`). */
  readonly rowsOutput: string;
  /** Header-level filter: records for which this is false are skipped without reading their payload. */
  wants(header: RecordHeader): boolean;
  /** Maps one record to rows. Pure apart from `ctx.count`. */
  map(record: RecordView, ctx: MapContext): Iterable<R>;
  /** Rows with equal partition keys land in the same partition (hashed by the runner). */
  partitionKey(row: R): string;
  /** Columns that identify a row: after the merge, exactly one row per key remains. */
  readonly uniqueKey: readonly (keyof R & string)[];
  /** Sort order of the outputs, and preference when several rows share a key (the first one wins). */
  readonly orderBy: readonly (keyof R & string)[];
  /** Outputs derived from the main output's rows (the table `rows`), e.g. per-article counts. */
  readonly derived: readonly DerivedOutput[];
  /** Facts the merged rows are joined with; their columns join the main output (null until a run gives a source). */
  readonly lookup?: LookupDefinition;
  /** Outputs aggregated across partitions (per domain, per item, ...). */
  readonly rollups?: readonly RollupOutput[];
}
