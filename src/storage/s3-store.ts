/**
 * Output store on S3 or an S3-compatible store (`--out s3://bucket/prefix`). Objects become visible whole
 * (PutObject, or CompleteMultipartUpload for large ones through @aws-sdk/lib-storage's `Upload`), so a reader
 * never sees part of an object. Request and byte counts go to the session's counters.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectTooLargeError } from './errors.js';
import type { OutputStore, PendingObject } from './types.js';
import type { IoSession } from './io-session.js';
import { explainS3Error, isNotFound, parseS3Url } from './s3-client.js';

/** Multipart part size: objects larger than this are uploaded in parts (S3's minimum is 5 MiB). */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
const UPLOAD_QUEUE = 4;

export interface S3StoreOptions {
  /** Keys per ListObjectsV2 request. @default 1000 (S3's maximum) */
  readonly listPageSize?: number;
}

export class S3Store implements OutputStore {
  readonly location: string;
  readonly protocol = 's3' as const;
  private readonly bucket: string;
  /** Key prefix of the root: '' or ending in '/'. */
  private readonly root: string;

  constructor(
    location: string,
    private readonly io: IoSession,
    private readonly opts: S3StoreOptions = {},
  ) {
    const { bucket, key } = parseS3Url(location);
    this.bucket = bucket;
    this.root = key.replace(/^\/+|\/+$/g, '') === '' ? '' : `${key.replace(/^\/+|\/+$/g, '')}/`;
    this.location = `s3://${bucket}${this.root === '' ? '' : `/${this.root.slice(0, -1)}`}`;
  }

  private key(rel: string): string {
    if (rel.split('/').some((part) => part === '..')) throw new Error(`Path ${JSON.stringify(rel)} escapes the output prefix ${this.location}`);
    return this.root + rel.replace(/^\/+/, '');
  }

  private url(rel: string): string {
    return `s3://${this.bucket}/${this.key(rel)}`;
  }

  private async send<T>(action: string, rel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explainS3Error(err, action, this.url(rel));
    }
  }

  private uploader(body: Readable | Buffer, rel: string): Upload {
    return new Upload({
      client: this.io.s3Client(),
      params: { Bucket: this.bucket, Key: this.key(rel), Body: body },
      partSize: UPLOAD_PART_BYTES,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    });
  }

  async put(rel: string, body: string | Buffer): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    if (buf.length > UPLOAD_PART_BYTES) {
      await this.send('Upload', rel, () => this.uploader(buf, rel).done());
      return;
    }
    await this.send('PutObject', rel, () => this.io.s3Client().send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(rel), Body: buf })));
  }

  async openWrite(rel: string): Promise<PendingObject> {
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    const upload = this.uploader(stream, rel);
    const done = upload.done();
    // A failed upload stops reading: fail the writer instead of leaving it blocked on backpressure.
    done.catch((err: unknown) => stream.destroy(err instanceof Error ? err : new Error(String(err))));
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        await this.send('Upload', rel, () => done);
      },
      abort: async () => {
        stream.destroy();
        await upload.abort().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  async get(rel: string, maxBytes?: number): Promise<Buffer | null> {
    try {
      const res = await this.io.s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
      if (maxBytes !== undefined && (res.ContentLength ?? 0) > maxBytes) {
        (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new ObjectTooLargeError(this.url(rel), maxBytes);
      }
      const bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
      this.io.counters.add('s3', 'bytes_in', bytes.length);
      return bytes;
    } catch (err) {
      if (isNotFound(err)) return null;
      if (err instanceof ObjectTooLargeError) throw err;
      throw explainS3Error(err, 'GetObject', this.url(rel));
    }
  }

  async readRange(rel: string, offset: number, length: number, sink: (chunk: Buffer) => void): Promise<boolean> {
    if (length === 0) return true;
    const range = `bytes=${offset}-${offset + length - 1}`;
    let read = 0;
    try {
      const res = await this.io.s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel), Range: range }));
      for await (const chunk of (res.Body as AsyncIterable<Uint8Array> | undefined) ?? []) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        read += buf.length;
        this.io.counters.add('s3', 'bytes_in', buf.length);
        sink(buf);
      }
    } catch (err) {
      if (isNotFound(err)) return false;
      throw explainS3Error(err, 'GetObject', this.url(rel));
    }
    if (read !== length) throw new Error(`S3 GetObject ${this.url(rel)} ${range} returned ${read} bytes, not ${length}`);
    return true;
  }

  async readTail(rel: string, maxBytes: number): Promise<{ bytes: Buffer; size: number } | null> {
    let bytes: Buffer;
    let range: RegExpExecArray | null;
    try {
      const res = await this.io.s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel), Range: `bytes=-${maxBytes}` }));
      bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
      this.io.counters.add('s3', 'bytes_in', bytes.length);
      range = /^bytes (\d+)-(\d+)\/(\d+)\s*$/.exec(res.ContentRange ?? '');
      if (!range) return { bytes, size: bytes.length }; // the whole object, without a range
    } catch (err) {
      if (isNotFound(err)) return null;
      // An empty object has no last bytes to give: S3 answers 416.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return { bytes: Buffer.alloc(0), size: 0 };
      throw explainS3Error(err, 'GetObject', this.url(rel));
    }
    const size = Number(range[3]);
    const want = Math.min(maxBytes, size);
    if (Number(range[1]) === size - want && Number(range[2]) === size - 1 && bytes.length === want) return { bytes, size };
    // A store that reads `bytes=-N` as the first N bytes (s3rver does): the tail by its offset, now that the size is known.
    const chunks: Buffer[] = [];
    if (!(await this.readRange(rel, size - want, want, (c) => chunks.push(c)))) return null;
    return { bytes: Buffer.concat(chunks), size };
  }

  writeRequests(bytes: number): Record<string, number> {
    if (bytes <= UPLOAD_PART_BYTES) return { 'io.s3.put': 1 };
    return { 'io.s3.multipart_create': 1, 'io.s3.multipart_parts': Math.ceil(bytes / UPLOAD_PART_BYTES), 'io.s3.multipart_complete': 1 };
  }

  async list(prefix: string): Promise<string[]> {
    const p = this.key(prefix);
    const full = p === '' || p.endsWith('/') ? p : `${p}/`;
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.send('ListObjectsV2', prefix, () =>
        this.io.s3Client().send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token, MaxKeys: this.opts.listPageSize })),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.root.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async upload(localFile: string, rel: string): Promise<void> {
    await this.send('Upload', rel, () => this.uploader(fs.createReadStream(localFile), rel).done());
  }

  async localCopy(rel: string, tmpDir: string): Promise<string> {
    await fsp.mkdir(tmpDir, { recursive: true });
    const target = path.join(tmpDir, rel.replace(/[/\\]/g, '__'));
    const res = await this.send('GetObject', rel, () => this.io.s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel) })));
    const body = res.Body;
    if (!(body instanceof Readable)) throw new Error(`S3 GetObject ${this.url(rel)} returned no readable body`);
    await this.send('GetObject', rel, () => pipeline(body, fs.createWriteStream(target)));
    this.io.counters.add('s3', 'bytes_in', res.ContentLength ?? 0);
    return target;
  }

  sweepTemporary(): Promise<number> {
    return Promise.resolve(0); // an upload is visible whole or not at all: nothing is left behind
  }

  async remove(rel: string): Promise<void> {
    await this.send('DeleteObject', rel, () => this.io.s3Client().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(rel) })));
  }

  async removePrefix(prefix: string): Promise<void> {
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((k) => ({ Key: this.root + k }));
      await this.send('DeleteObjects', prefix, () =>
        this.io.s3Client().send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } })),
      );
    }
  }
}
