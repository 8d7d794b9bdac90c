/**
 * One input file, end to end on a worker: open -> scan with the job -> rows split into partitions,
 * each written as gzipped JSON lines -> all partitions committed -> `_SUCCESS.json` written last.
 * A retry writes the same paths, so it replaces an earlier attempt instead of adding to it.
 */
import zlib from 'node:zlib';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { JobDefinition, Row } from '../job/types.js';
import { partitionOf } from '../job/partition.js';
import { scanInput } from '../extract/scan.js';
import { openInput, type IoSession, type OutputStore, type PendingObject } from '../storage/index.js';
import type { FileJobData, FileResult } from '../queue/names.js';
import { partialPath, successPath } from '../storage/layout.js';

interface PartitionWriter {
  readonly gzip: zlib.Gzip;
  readonly pending: PendingObject;
  /** Settles when the gzip stream has been fully written to the pending object. */
  readonly flushed: Promise<void>;
  rows: number;
}

export async function processFile(
  data: FileJobData,
  job: JobDefinition,
  store: OutputStore,
  attempt: number,
  /** Storage session of this file: its I/O counters are added to the file's counters (`io.*`). */
  io?: IoSession,
): Promise<FileResult> {
  const started = Date.now();
  const writers = new Map<number, PartitionWriter>();
  const opening = new Map<number, Promise<PartitionWriter>>();

  const writerFor = (p: number): Promise<PartitionWriter> => {
    let w = opening.get(p);
    if (!w) {
      w = store.openWrite(partialPath(data.runId, data.fileId, p)).then((pending) => {
        const gzip = zlib.createGzip({ level: 1 });
        const flushed = pipeline(gzip, pending.stream).then(() => {
          if (gzip.destroyed && !gzip.writableFinished) throw new Error(`writing partition ${p} of ${data.input} was cut short`);
        });
        flushed.catch(() => undefined); // awaited at commit; avoid an unhandled rejection before then
        const writer = { gzip, pending, flushed, rows: 0 };
        writers.set(p, writer);
        return writer;
      });
      opening.set(p, w);
    }
    return w;
  };

  const emit = async (row: Row): Promise<void> => {
    const p = partitionOf(job.partitionKey(row), data.partitions);
    const w = writers.get(p) ?? (await writerFor(p));
    w.rows++;
    // A failed output stream destroys the gzip stream, which then never drains: wait for whichever comes first.
    if (w.gzip.destroyed) await w.flushed;
    if (!w.gzip.write(JSON.stringify(row) + '\n')) await Promise.race([once(w.gzip, 'drain'), w.flushed]);
    if (w.gzip.destroyed) await w.flushed;
  };

  try {
    const source = await openInput(data.input, io);
    const result = await scanInput(source, job, { inputName: data.input, maxRecordBytes: data.maxRecordBytes }, emit);
    const partitionRows: Record<string, number> = {};
    for (const [p, w] of [...writers.entries()].sort(([a], [b]) => a - b)) {
      w.gzip.end();
      await w.flushed;
      await w.pending.commit();
      partitionRows[String(p)] = w.rows;
    }
    const fileResult: FileResult = {
      fileId: data.fileId,
      input: data.input,
      kind: result.kind,
      rows: result.rows,
      partitionRows,
      counters: { ...result.counters.toJSON(), ...io?.counters.toJSON() },
      compressedBytes: result.compressedBytes,
      seconds: (Date.now() - started) / 1000,
      attempt,
    };
    await store.put(successPath(data.runId, data.fileId), JSON.stringify(fileResult, null, 2));
    return fileResult;
  } catch (err) {
    await Promise.all(
      [...writers.values()].map((w) => {
        w.gzip.destroy();
        return w.pending.abort().catch(() => undefined);
      }),
    );
    throw err;
  }
}
