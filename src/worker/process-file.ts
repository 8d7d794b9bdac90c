/**
 * One input file, end to end on a worker: open -> scan with the job -> rows split into partitions (each a gzip stream
 * of JSON lines in a local spool file) -> the partitions copied in order into ONE object in the store, the commit
 * record (each partition's byte range and SHA-256) as its last gzip member. One object and one PUT per file (a
 * multipart upload past 8 MiB), however many partitions the run has; its presence commits the file. A retry writes
 * the same path, so it replaces an earlier attempt whole instead of adding to it.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { JobDefinition, Row } from '../job/types.js';
import { partitionOf } from '../job/partition.js';
import { scanInput, type ScanResult } from '../extract/scan.js';
import { scanRanges } from './scan-ranges.js';
import { footerMember, openInput, plusRequests, type IoSession, type OutputStore, type PendingObject } from '../storage/index.js';
import type { FileJobData } from '../redis/names.js';
import { partialPath, type FileResult, type PartRange } from '../storage/layout.js';
import type { ReaderHeartbeat } from './reader-heartbeat.js';
import type { Inflate } from '../warc/index.js';

interface PartitionSpool {
  readonly file: string;
  readonly gzip: zlib.Gzip;
  /** Settles when the gzip stream has been fully written to the spool file. */
  readonly flushed: Promise<void>;
  rows: number;
}

export async function processFile(
  data: FileJobData,
  job: JobDefinition,
  store: OutputStore,
  attempt: number,
  /** Storage session of this file: its I/O counters are added to the file's counters (`io.*`). */
  io: IoSession,
  /** Where the reading shows its progress (to a watchdog in another thread). */
  heartbeat?: ReaderHeartbeat,
  /** What inflates the input's gzip members (the WIKIREVERSE_INFLATE setting's). @default auto */
  inflate?: Inflate,
): Promise<FileResult> {
  const started = Date.now();
  const spools = new Map<number, PartitionSpool>();
  let spoolDir: string | undefined;
  let pending: PendingObject | undefined;

  const spoolFor = (p: number): PartitionSpool => {
    let s = spools.get(p);
    if (!s) {
      const file = path.join(spoolDir as string, `p${p}.gz`);
      const gzip = zlib.createGzip({ level: 1 });
      const flushed = pipeline(gzip, fs.createWriteStream(file)).then(() => {
        if (gzip.destroyed && !gzip.writableFinished) throw new Error(`spooling partition ${p} of ${data.input} was cut short`);
      });
      flushed.catch(() => undefined); // awaited at commit; avoid an unhandled rejection before then
      s = { file, gzip, flushed, rows: 0 };
      spools.set(p, s);
    }
    return s;
  };

  const emit = async (row: Row): Promise<void> => {
    const w = spoolFor(partitionOf(job.partitionKey(row), data.partitions));
    w.rows++;
    // A failed spool stream destroys the gzip stream, which then never drains: wait for whichever comes first.
    if (w.gzip.destroyed) await w.flushed;
    if (!w.gzip.write(JSON.stringify(row) + '\n')) await Promise.race([once(w.gzip, 'drain'), w.flushed]);
    if (w.gzip.destroyed) await w.flushed;
  };

  try {
    spoolDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-map-'));
    const onProgress = heartbeat ? (offset: number): void => heartbeat.reading(offset) : undefined;
    let result: ScanResult;
    if (data.ranges) {
      heartbeat?.phase('reading');
      result = await scanRanges(job, { input: data.input, ranges: data.ranges, maxRecordBytes: data.maxRecordBytes, io, onProgress, inflate }, emit);
    } else {
      const source = await openInput(data.input, io);
      heartbeat?.phase('reading');
      result = await scanInput(source, job, { inputName: data.input, maxRecordBytes: data.maxRecordBytes, onProgress, inflate }, emit);
    }
    heartbeat?.phase('writing');
    const ordered = [...spools.entries()].sort(([a], [b]) => a - b);
    for (const [, s] of ordered) {
      s.gzip.end();
      await s.flushed;
    }
    // One object commits the file: its partitions' gzip members in partition order, each hashed on the way, then its
    // commit record as the last member (storage/commit-footer.ts), made once every member's range and SHA-256 is known.
    const parts: PartRange[] = [];
    const record = (extra: Record<string, number>): FileResult => ({
      fileId: data.fileId,
      input: data.input,
      kind: result.kind,
      rows: result.rows,
      parts,
      counters: { ...result.counters.toJSON(), ...plusRequests(io.counters.toJSON(), extra) },
      compressedBytes: result.compressedBytes,
      seconds: (Date.now() - started) / 1000,
      attempt,
    });
    let fileResult: FileResult | undefined;
    const target = partialPath(data.runId, data.fileId);
    try {
      pending = await store.openWrite(target);
      // One pipeline writes every spool in partition order, then the footer (a pipeline per spool with `end: false`
      // left its listeners on the output stream: a warning per file past ten partitions); a failed stream rejects here.
      await pipeline(async function* () {
        let offset = 0;
        for (const [p, s] of ordered) {
          const hash = createHash('sha256');
          let bytes = 0;
          for await (const chunk of fs.createReadStream(s.file)) {
            hash.update(chunk as Buffer);
            bytes += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          parts.push({ partition: p, offset, bytes, rows: s.rows, sha256: hash.digest('hex') });
          offset += bytes;
        }
        // The record counts the requests of its own object: a first draft sizes it (the counts change it by a few bytes).
        const draft = footerMember(JSON.stringify(record({})));
        fileResult = record(store.writeRequests(offset + draft.length));
        yield footerMember(JSON.stringify(fileResult));
      }, pending.stream);
      await pending.commit();
      pending = undefined;
    } catch (err) {
      throw new Error(`Writing the rows of ${data.input} to ${store.location}/${target} failed: ${(err as Error).message}`, { cause: err });
    }
    if (fileResult === undefined) throw new Error(`Writing the rows of ${data.input} ended before its commit record`);
    return fileResult;
  } catch (err) {
    for (const s of spools.values()) s.gzip.destroy();
    await pending?.abort().catch(() => undefined);
    throw err;
  } finally {
    if (spoolDir) await fsp.rm(spoolDir, { recursive: true, force: true });
  }
}
