/**
 * Turns a byte stream into plain WARC bytes: gzip (one member per record, as Common Crawl stores them,
 * or a single member) is detected from the magic bytes and inflated with node's zlib; plain input passes through.
 */
import { Readable, PassThrough } from 'node:stream';
import zlib from 'node:zlib';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export interface DecodedInput {
  /** Plain (uncompressed) WARC bytes. */
  readonly stream: Readable;
  /** Whether the input was gzip-compressed. */
  readonly gzipped: boolean;
  /** Input (compressed) bytes consumed so far: the offset to name in errors. */
  compressedOffset(): number;
}

/** Reads the first chunk of `source` without losing it. */
export async function peekFirstChunk(source: Readable): Promise<Buffer | null> {
  for (;;) {
    const chunk = source.read() as Buffer | null;
    if (chunk !== null) {
      source.unshift(chunk);
      return chunk;
    }
    if (source.readableEnded || source.destroyed) return null;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        source.off('readable', done);
        source.off('end', done);
        source.off('error', fail);
        resolve();
      };
      const fail = (err: Error): void => {
        source.off('readable', done);
        source.off('end', done);
        reject(err);
      };
      source.once('readable', done);
      source.once('end', done);
      source.once('error', fail);
    });
    if (source.readableEnded) return null;
  }
}

/** Detects gzip and returns the plain byte stream. Errors of the source or of inflation surface on `stream`. */
export async function decodeInput(source: Readable, chunkBytes = 1 << 20): Promise<DecodedInput> {
  const first = await peekFirstChunk(source);
  const gzipped = first !== null && first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;
  if (!gzipped) {
    let consumed = 0;
    const pass = new PassThrough({ highWaterMark: chunkBytes });
    source.on('data', (c: Buffer) => { consumed += c.length; });
    source.on('error', (err) => pass.destroy(err));
    source.pipe(pass);
    return { stream: pass, gzipped: false, compressedOffset: () => consumed };
  }
  const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  return { stream: gunzip, gzipped: true, compressedOffset: () => gunzip.bytesWritten };
}
