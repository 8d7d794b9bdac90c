/** Output store on the local file system: writes go to a temporary name and are renamed into place. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { OutputStore, PendingObject } from './types.js';

function tmpName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export class LocalStore implements OutputStore {
  readonly location: string;

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

  /** Writes `rel` through a temporary file renamed into place, so readers see the whole object or none. */
  private async atomically(rel: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.resolve(rel);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const tmp = tmpName(target);
    await write(tmp);
    await fsp.rename(tmp, target);
  }

  async put(rel: string, body: string | Buffer): Promise<void> {
    await this.atomically(rel, (tmp) => fsp.writeFile(tmp, body));
  }

  async openWrite(rel: string): Promise<PendingObject> {
    const target = this.resolve(rel);
    await fsp.mkdir(path.dirname(target), { recursive: true });
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

  async get(rel: string): Promise<Buffer | null> {
    try {
      return await fsp.readFile(this.resolve(rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async getRange(rel: string, offset: number, length: number): Promise<Buffer | null> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.resolve(rel), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead !== length) throw new Error(`${this.resolve(rel)} is shorter than its commit record says (${offset + bytesRead} < ${offset + length} bytes)`);
      return buf;
    } finally {
      await fh.close();
    }
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
