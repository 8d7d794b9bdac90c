/**
 * The output store: where partials, final outputs and manifests go. Paths are relative to the store's root,
 * with `/` separators. Every write is atomic: a reader sees a whole object or none.
 */
import type { Writable } from 'node:stream';
import type { IoProtocol } from './io-counters.js';

/** An object being written; invisible to readers until `commit`. */
export interface PendingObject {
  readonly stream: Writable;
  /** Ends the stream (if not ended) and makes the object visible under its path, replacing any earlier one. */
  commit(): Promise<void>;
  /** Discards what was written. */
  abort(): Promise<void>;
}

export interface OutputStore {
  /** Human-readable location of the root, with no credentials (for logs and reports). */
  readonly location: string;
  /** The protocol its requests are counted under (`io.s3.*`), or null when it makes none (a local directory). */
  readonly protocol: IoProtocol | null;
  put(path: string, body: string | Buffer): Promise<void>;
  openWrite(path: string): Promise<PendingObject>;
  /**
   * The object's bytes, or null when it does not exist. With `maxBytes`, an object larger than that fails
   * (`ObjectTooLargeError`) without being read: what is read from a store no longer costs more than the run wrote.
   */
  get(path: string, maxBytes?: number): Promise<Buffer | null>;
  /**
   * Streams `length` bytes of the object from `offset` (one ranged request) to `sink`, in order, a chunk at a time
   * (chunks are not kept: memory stays bounded whatever the range). False when the object does not exist; fails when it
   * is shorter than the range asks.
   */
  readRange(path: string, offset: number, length: number, sink: (chunk: Buffer) => void): Promise<boolean>;
  /**
   * The object's last `maxBytes` bytes (all of it when smaller; one suffix-range request) and its size, or null when
   * it does not exist.
   */
  readTail(path: string, maxBytes: number): Promise<{ bytes: Buffer; size: number } | null>;
  /**
   * The requests writing an object of `bytes` through `openWrite` makes, as the store counts them (`io.s3.put`, or a
   * multipart upload's), for a record that holds its own cost; none for a store that makes no requests.
   */
  writeRequests(bytes: number): Record<string, number>;
  /** Paths of all objects under `prefix` (recursively), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Copies a local file into the store under `path`. */
  upload(localFile: string, path: string): Promise<void>;
  /** A local file holding the object: the object itself for a local store, else a download into `tmpDir`. */
  localCopy(path: string, tmpDir: string): Promise<string>;
  /** Removes the object at `path` (nothing when there is none). */
  remove(path: string): Promise<void>;
  /** Removes every object under `prefix`. */
  removePrefix(prefix: string): Promise<void>;
  /**
   * Removes the temporary objects writers left under `prefix` (a local store's `*.tmp-*` files, last written more than
   * `olderThanMillis` ago: a writer killed mid-write, a full disk); returns how many. S3 has none (its PUTs are atomic).
   */
  sweepTemporary(prefix: string, olderThanMillis: number): Promise<number>;
}
