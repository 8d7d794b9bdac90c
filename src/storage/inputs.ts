/**
 * Opening input files (WARC/WAT/WET) for streaming: local paths and file:// URLs, http(s):// URLs and s3:// objects
 * (remote ones retried and resumed with Range requests; see resumable.ts).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { redactUrl } from '../log/index.js';
import { openHttpInput } from './http-input.js';
import { openS3Input } from './s3-input.js';
import type { IoSession } from './io-session.js';
import { InputNotFoundError } from './errors.js';
import type { ResumableReadable } from './resumable.js';
import { HttpStatusError } from './retry.js';
import { isNotFound } from './s3-client.js';

export const INPUT_CHUNK_BYTES = 1 << 20;

/** HTTP 404/410 or S3 NoSuchKey, possibly wrapped. */
function isNotFoundError(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof HttpStatusError && (e.status === 404 || e.status === 410)) return true;
    if (isNotFound(e)) return true;
  }
  return false;
}

export function isRemote(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://');
}

export function localPathOf(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}

/**
 * Opens an input (or `range` of it: [offset, length], one Range request) as a byte stream. Errors name the input.
 * Remote inputs are read through `io` (its settings, sockets and S3 client) and count their requests and bytes there.
 */
export async function openInput(location: string, io: IoSession, range?: readonly [number, number]): Promise<Readable> {
  if (!isRemote(location)) return openLocalInput(location, range);
  let stream: ResumableReadable;
  if (/^https?:\/\//i.test(location)) stream = openHttpInput(location, io, range);
  else if (/^s3:\/\//i.test(location)) stream = openS3Input(location, io, range);
  else throw new Error(`Cannot read ${redactUrl(location)}: unsupported scheme (use a local path, file://, https://, http:// or s3://)`);
  try {
    await stream.ready();
  } catch (err) {
    const message = `Cannot read input ${redactUrl(location)}: ${err instanceof Error ? err.message : String(err)}`;
    if (isNotFoundError(err)) throw new InputNotFoundError(message, { cause: err });
    throw new Error(message, { cause: err });
  }
  return stream;
}

/** Opens a local input (a path or file:// URL), as `openInput` does: for the tools that read only local files. */
export async function openLocalInput(location: string, range?: readonly [number, number]): Promise<Readable> {
  const file = localPathOf(location);
  await fs.promises.access(file, fs.constants.R_OK).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new InputNotFoundError(`Cannot read input ${location}: no such file`);
    throw new Error(`Cannot read input ${location}: ${err.message}`);
  });
  return fs.createReadStream(file, { highWaterMark: INPUT_CHUNK_BYTES, ...(range ? { start: range[0], end: range[0] + range[1] - 1 } : {}) });
}
