/**
 * Applies a job to one input: stream -> gunzip -> WARC or ARC records (src/warc) -> job.map -> rows.
 * Record-level damage is counted and skipped; damage that stops the stream fails the file with an
 * error naming the input and the byte offset.
 */
import type { Readable } from 'node:stream';
import type { JobDefinition, MapContext, RecordHeader, RecordView, Row } from '../job/types.js';
import { describeBytes, inputRecords, InputFramingError, type Inflate, type InputRecords, type RecordDamage } from '../warc/index.js';
import { Counters } from './counters.js';

export type InputKind = 'wat' | 'warc' | 'wet' | 'arc' | 'unknown';

export interface ScanOptions {
  /** The input's name as given (path or URL), used in errors and as `ctx.inputFile`. */
  readonly inputName: string;
  /** Payload bytes read per record; the rest is skipped and counted as `records_truncated`. */
  readonly maxRecordBytes: number;
  /** Called after each batch of records with the input bytes consumed so far (a watchdog's view of progress). */
  readonly onProgress?: (compressedOffset: number) => void;
  /** Largest gzip member inflated whole (larger ones: the rest of the input is streamed). @default max(4 x maxRecordBytes, 64 MiB) */
  readonly maxMemberBytes?: number;
  /** What inflates runs of whole gzip members (the WIKIREVERSE_INFLATE setting's). @default auto: libdeflate when the addon loads */
  readonly inflate?: Inflate | undefined;
}

export interface ScanResult {
  readonly kind: InputKind;
  readonly gzipped: boolean;
  readonly counters: Counters;
  readonly compressedBytes: number;
  readonly rows: number;
}

/** A file that cannot be read to the end (truncated or corrupt gzip, broken WARC framing). Retrying may help for transient I/O. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly offset: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Input ${input} is unreadable at byte offset ${offset}: ${reason}`, { cause });
    this.name = 'InputError';
  }
}

/** Rows of an input could not be written (the output store failed): the file fails and is retried. */
export class OutputWriteError extends Error {
  override readonly name = 'OutputWriteError';
  constructor(input: string, cause: unknown) {
    super(`Writing the rows of ${input} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The WARC 1.1 record types: the only ones counted by name (the type comes from the input: any other is `other`). */
const RECORD_TYPES = new Set(['warcinfo', 'response', 'resource', 'request', 'metadata', 'revisit', 'conversion', 'continuation']);

function recordTypeCounter(warcType: string): string {
  if (warcType === '') return 'records.untyped';
  return RECORD_TYPES.has(warcType) ? `records.${warcType}` : 'records.other';
}

/** JavaScript's own error classes are counted by name; any other (a name a job or its input could choose) as `other`. */
const ERROR_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'URIError', 'ReferenceError', 'EvalError', 'AggregateError']);

function errorCounterName(err: unknown): string {
  return err instanceof Error && ERROR_NAMES.has(err.name) ? err.name : 'other';
}

function kindOf(warcType: string, contentType: string): InputKind {
  if (warcType === 'response') return 'warc';
  if (warcType === 'metadata' && contentType.startsWith('application/json')) return 'wat';
  if (warcType === 'conversion') return 'wet';
  return 'unknown';
}

export async function scanInput<R extends Row>(
  source: Readable,
  job: JobDefinition<R>,
  opts: ScanOptions,
  emit: (row: R) => void | Promise<void>,
): Promise<ScanResult> {
  const counters = new Counters();
  const ctx: MapContext = { inputFile: opts.inputName, count: (name, n) => counters.add(name, n) };
  const onMisframed = (_offset: number, bytes: number): void => {
    counters.add('records_misframed'); // a Content-Length too small: the bytes up to the next line were skipped
    counters.add('bytes_skipped', bytes);
  };
  /** The first bytes of the first member that is neither a WARC nor an ARC record: what the file is, when nothing in it is. */
  let strangeHead: Buffer | undefined;
  const onDamage: Parameters<typeof inputRecords>[1]['onDamage'] = (d) => {
    counters.add(`input_damage.${d.kind}`, d.kind === 'garbage_bytes' ? d.bytes : 1);
    if (d.kind === 'not_warc' && strangeHead === undefined) strangeHead = d.head ?? Buffer.alloc(0);
  };
  const onSkipped = (d: RecordDamage): void => {
    counters.add(`input_damage.${d.kind}`); // not a record (or one with no length, or a header past the limit): skipped to the next
    counters.add('bytes_skipped', d.bytes);
  };
  let input: InputRecords;
  try {
    input = await inputRecords(source, { onMisframed, onSkipped, onDamage, maxMemberBytes: opts.maxMemberBytes ?? Math.max(opts.maxRecordBytes * 4, 64 << 20), ...(opts.inflate ? { inflate: opts.inflate } : {}) });
  } catch (err) {
    throw new InputError(opts.inputName, 0, err);
  }
  let kind: InputKind = 'unknown';
  let rows = 0;
  /** Counts the record, and says whether the job reads it. */
  const wanted = (header: RecordHeader): boolean => {
    counters.add('records');
    counters.add(recordTypeCounter(header.warcType));
    if (kind === 'unknown') kind = input.format() === 'arc' ? 'arc' : kindOf(header.warcType, header.contentType);
    return job.wants(header);
  };
  /** The job's rows for a record; none when the job fails on it (a job bug or a record it cannot handle: counted). */
  const rowsOf = (view: RecordView): readonly R[] => {
    if (view.truncated) counters.add('records_truncated');
    try {
      const mapped = job.map(view, ctx);
      return Array.isArray(mapped) ? (mapped as readonly R[]) : [...mapped]; // a generator's errors surface here too
    } catch (err) {
      counters.add('records_failed');
      counters.add(`records_failed.${errorCounterName(err)}`);
      return [];
    }
  };
  try {
    for await (const batch of input.batches) {
      for (const item of batch) {
        const rec = item instanceof Promise ? await item : item;
        if (!wanted(rec.header)) continue;
        const view = rec.readSync ? rec.readSync(opts.maxRecordBytes) : await rec.read(opts.maxRecordBytes);
        for (const row of rowsOf(view)) {
          rows++;
          // Writing rows is not the record's fault: an error here (the output store failing) fails the file.
          try {
            const p = emit(row);
            if (p) await p;
          } catch (err) {
            throw new OutputWriteError(opts.inputName, err);
          }
        }
      }
      opts.onProgress?.(input.compressedOffset());
    }
  } catch (err) {
    input.destroy();
    if (err instanceof OutputWriteError) throw err;
    const offset = err instanceof InputFramingError ? err.offset : input.compressedOffset();
    throw new InputError(opts.inputName, offset, err);
  }
  if (counters.get('records') === 0 && strangeHead !== undefined) {
    // Not one record: gzip members of another format.
    const members = counters.get('input_damage.not_warc');
    throw new InputError(
      opts.inputName,
      0,
      new Error(`neither a WARC/WAT/WET nor an ARC file: none of its ${members} gzip members holds a WARC or ARC record; the first holds ${describeBytes(strangeHead)}`),
    );
  }
  return { kind, gzipped: input.gzipped, counters, compressedBytes: input.compressedOffset(), rows };
}
