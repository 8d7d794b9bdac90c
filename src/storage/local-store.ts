/** Output store on the local file system: writes go to a temporary name and are renamed into place. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { ObjectTooLargeError } from './errors.js';
import type { OutputStore, PendingObject } from './types.js';

/** Read size of `readRange`. */
const RANGE_CHUNK_BYTES = 256 * 1024;

/**
 * Mode of every directory a local store creates inside its output directory (`<out>/<runId>` and below), set explicitly
 * so the umask does not narrow it: a coordinator and workers running as different users (a root coordinator and the
 * container image's uid 1000 workers on one host) all create, rename and remove files there. The output directory
 * itself keeps the mode it was given (or the umask's, when the store creates it): it is the place to restrict access.
 */
export const RUN_DIR_MODE = 0o777;

/** `mkdir -p dir`, the directories it creates getting RUN_DIR_MODE. */
async function makeRunDirs(dir: string): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    await fsp.chmod(d, RUN_DIR_MODE);
    if (d === first || d === path.dirname(d)) break;
  }
}

function tmpName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export class LocalStore implements OutputStore {
  readonly location: string;
  readonly protocol = null;

  constructor(private readonly root: string) {
    this.location = path.resolve(root);
  }

  private resolve(rel: string): string {
    const full = path.resolve(this.location, rel);
    if (full !== this.location && !full.startsWith(this.location + path.sep)) {
      throw new Error(`Path ${JSON.stringify(rel)} escapes the output directory ${this.location}`);
    }
    return full;
  }

  /**
   * Makes the directory of `target` and checks that it is inside the output directory once links are followed: a
   * symbolic link placed in the output directory (say at `<out>/<runId>`) must not steer the run's writes elsewhere.
   */
  private async directoryFor(target: string): Promise<void> {
    const dir = path.dirname(target);
    await fsp.mkdir(this.location, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new Error(`The output directory ${this.location} is a file (or under one), not a directory`, { cause: err });
      throw err;
    });
    const root = await fsp.realpath(this.location);
    const check = async (d: string): Promise<void> => {
      const real = await fsp.realpath(d);
      if (real !== root && !real.startsWith(root + path.sep)) {
        throw new Error(`${dir} leads outside the output directory ${this.location} (through a symbolic link): refusing to write there`);
      }
    };
    // The deepest directory that exists already first (mkdir would create the rest wherever a link points), then the whole.
    let existing = dir;
    while (existing !== this.location && !(await fsp.stat(existing).then(() => true, () => false))) existing = path.dirname(existing);
    await check(existing);
    await makeRunDirs(dir);
    await check(dir);
  }

  /** Writes `rel` through a temporary file renamed into place, so readers see the whole object or none. */
  private async atomically(rel: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.resolve(rel);
    await this.directoryFor(target);
    const tmp = tmpName(target);
    await write(tmp);
    await fsp.rename(tmp, target);
  }

  async put(rel: string, body: string | Buffer): Promise<void> {
    await this.atomically(rel, (tmp) => fsp.writeFile(tmp, body));
  }

  async openWrite(rel: string): Promise<PendingObject> {
    const target = this.resolve(rel);
    await this.directoryFor(target);
    const tmp = tmpName(target);
    const stream = fs.createWriteStream(tmp);
    return {
      stream,
      async commit() {
        if (!stream.writableEnded) stream.end();
        await finished(stream);
        await fsp.rename(tmp, target);
      },
      async abort() {
        stream.destroy();
        await fsp.rm(tmp, { force: true });
      },
    };
  }

  async get(rel: string, maxBytes?: number): Promise<Buffer | null> {
    try {
      if (maxBytes === undefined) return await fsp.readFile(this.resolve(rel));
      const fh = await fsp.open(this.resolve(rel), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size > maxBytes) throw new ObjectTooLargeError(this.resolve(rel), maxBytes);
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async readRange(rel: string, offset: number, length: number, sink: (chunk: Buffer) => void): Promise<boolean> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.resolve(rel), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
    let read = 0;
    try {
      if (length > 0) {
        for await (const chunk of fh.createReadStream({ start: offset, end: offset + length - 1, highWaterMark: RANGE_CHUNK_BYTES, autoClose: false })) {
          read += (chunk as Buffer).length;
          sink(chunk as Buffer);
        }
      }
    } finally {
      await fh.close();
    }
    if (read !== length) throw new Error(`${this.resolve(rel)} is shorter than its commit record says (${offset + read} < ${offset + length} bytes)`);
    return true;
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.resolve(prefix);
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((e) => e.isFile() && !e.name.includes('.tmp-'))
      .map((e) => path.relative(this.location, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

  async upload(localFile: string, rel: string): Promise<void> {
    await this.atomically(rel, (tmp) => fsp.copyFile(localFile, tmp));
  }

  async localCopy(rel: string): Promise<string> {
    return this.resolve(rel);
  }

  async removePrefix(prefix: string): Promise<void> {
    await fsp.rm(this.resolve(prefix), { recursive: true, force: true });
  }
}
