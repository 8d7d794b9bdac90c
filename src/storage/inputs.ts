/** Opening input files (WARC/WAT/WET) for streaming. Local paths and file:// URLs. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

export const INPUT_CHUNK_BYTES = 1 << 20;

export function isRemote(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://');
}

export function localPathOf(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}

/** Opens an input as a byte stream. Errors name the input. */
export async function openInput(location: string): Promise<Readable> {
  if (isRemote(location)) {
    throw new Error(`Cannot read ${location}: only local files are supported by this build (s3:// and https:// inputs are not yet implemented)`);
  }
  const file = localPathOf(location);
  await fs.promises.access(file, fs.constants.R_OK).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`Cannot read input ${location}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  return fs.createReadStream(file, { highWaterMark: INPUT_CHUNK_BYTES });
}
