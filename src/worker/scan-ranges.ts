/**
 * A task of records selected through the index (`run --where`): each record of one WARC file is fetched with its own
 * Range request and read by the same scanner and job as a whole file; the results add up to one. The next record's
 * request is made while the current one is read. An error names the WARC file and the record's offset in it (the
 * offset inside a record added to the record's own), so a failure points at the record, not at the task.
 */
import type { Readable } from 'node:stream';
import type { JobDefinition, Row } from '../job/types.js';
import { Counters, InputError, scanInput, type InputKind, type ScanResult } from '../extract/index.js';
import { openInput, type IoSession } from '../storage/index.js';
import type { Inflate } from '../warc/index.js';

export interface RangeScanOptions {
  readonly input: string;
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  readonly maxRecordBytes: number;
  readonly io: IoSession;
  /** Bytes read so far over all the ranges (the watchdog's progress). */
  readonly onProgress?: ((bytes: number) => void) | undefined;
  /** What inflates the records' gzip members. @default auto */
  readonly inflate?: Inflate | undefined;
}

function opened(input: string, range: readonly [number, number], io: IoSession): Promise<Readable> {
  const p = openInput(input, io, range).catch((err: unknown) => {
    throw new InputError(input, range[0], err);
  });
  p.catch(() => undefined); // awaited in turn; a failure of a prefetched request must not go unhandled meanwhile
  return p;
}

export async function scanRanges<R extends Row>(job: JobDefinition<R>, o: RangeScanOptions, emit: (row: R) => void | Promise<void>): Promise<ScanResult> {
  const counters = new Counters();
  let kind: InputKind = 'unknown';
  let gzipped = true;
  let compressedBytes = 0;
  let rows = 0;
  let next = o.ranges.length > 0 ? opened(o.input, o.ranges[0] as readonly [number, number], o.io) : undefined;
  try {
    for (let i = 0; i < o.ranges.length; i++) {
      const range = o.ranges[i] as readonly [number, number];
      const source = await (next as Promise<Readable>);
      next = i + 1 < o.ranges.length ? opened(o.input, o.ranges[i + 1] as readonly [number, number], o.io) : undefined;
      const before = compressedBytes;
      let r: ScanResult;
      try {
        r = await scanInput(source, job, {
          inputName: o.input,
          maxRecordBytes: o.maxRecordBytes,
          inflate: o.inflate,
          onProgress: o.onProgress ? (offset) => o.onProgress?.(before + offset) : undefined,
        }, emit);
      } catch (err) {
        source.destroy();
        if (err instanceof InputError) throw new InputError(o.input, range[0] + err.offset, err.cause ?? err);
        throw err;
      }
      // The index and the file disagree (a wrong offset, a changed file): the record is not there, and the task says where.
      if (r.counters.get('records') === 0) throw new InputError(o.input, range[0], new Error(`no WARC record in the ${range[1]} bytes the index gives for it`));
      counters.merge(r.counters.toJSON());
      if (kind === 'unknown') kind = r.kind;
      gzipped &&= r.gzipped;
      compressedBytes += r.compressedBytes;
      rows += r.rows;
    }
  } finally {
    void next?.then((s) => s.destroy(), () => undefined);
  }
  counters.add('index_records', o.ranges.length);
  return { kind, gzipped, counters, compressedBytes, rows };
}
