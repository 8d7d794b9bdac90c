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
 * container image's uid 1000 workers on one host) all create and rename files there. Sticky, as /tmp is: another user
 * may add entries but cannot rename or remove this user's (so cannot swap a run's directory for a link). The output
 * directory itself keeps the mode it was given (or the umask's, when the store creates it): it is the place to restrict
 * access.
 */
export const RUN_DIR_MODE = 0o1777;

/**
 * Where the kernel names an open directory (Linux): a file named through it is looked up in that directory, never by its
 * path again, so a component swapped for a link after the directory was opened steers nothing (openat without openat).
 */
const PROC_FD = fs.existsSync('/proc/self/fd') ? '/proc/self/fd' : null;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

/** A directory of the store, opened: its entries named through the open handle (or its checked path without /proc). */
class OpenDir {
  constructor(readonly handle: fsp.FileHandle, readonly shown: string) {}

  /** `name` in this directory. */
  at(name: string): string {
    return PROC_FD ? `${PROC_FD}/${this.handle.fd}/${name}` : path.join(this.shown, name);
  }

  /**
   * `err` with this directory's path where the kernel's name for it would show; a full disk (ENOSPC, EDQUOT: the
   * kernel's message names no file) says which object it was writing.
   */
  named(err: unknown, writing?: string): unknown {
    if (writing !== undefined && err instanceof Error && /^(ENOSPC|EDQUOT)$/.test((err as NodeJS.ErrnoException).code ?? '')) {
      err.message = `${(err as NodeJS.ErrnoException).code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on device'} writing ${path.join(this.shown, writing)} (${(err as NodeJS.ErrnoException).code})`;
    }
    if (PROC_FD && err instanceof Error) {
      const own = `${PROC_FD}/${this.handle.fd}`;
      err.message = err.message.split(own).join(this.shown);
      const e = err as NodeJS.ErrnoException & { dest?: string };
      if (e.path) e.path = e.path.split(own).join(this.shown);
      if (e.dest) e.dest = e.dest.split(own).join(this.shown);
    }
    return err;
  }

  private closed = false;

  /** Closes the handle (once: a later call does nothing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** A temporary file's name (tmpName): `<name>.tmp-<pid>-<8 hex>`. */
const TMP_RE = /\.tmp-\d+-[0-9a-f]{8}$/;

function tmpName(target: string): string {
  return `${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
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
   * Opens the directory of `target`, making what is missing of it: one component at a time, each looked up in its
   * parent as opened (never by path again), no component a symbolic link (O_NOFOLLOW), and only directories this store
   * created, still its own, made RUN_DIR_MODE through their handle (fchmod follows nothing). The output directory itself
   * may be a link (the operator's choice); one that every user may write without the sticky bit is refused, as anyone
   * could swap a run's directory there.
   */
  private async directoryFor(target: string): Promise<OpenDir> {
    const dir = path.dirname(target);
    await fsp.mkdir(this.location, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new Error(`The output directory ${this.location} is a file (or under one), not a directory`, { cause: err });
      throw err;
    });
    let current = new OpenDir(await fsp.open(this.location, O_RDONLY | O_DIRECTORY), this.location);
    try {
      const st = await current.handle.stat();
      if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
        throw new Error(`The output directory ${this.location} is writable by every user and not sticky: another user could swap a run's directory there for a link (chmod +t it, as /tmp is, or chmod o-w it)`);
      }
      const uid = process.geteuid?.();
      for (const name of path.relative(this.location, dir).split(path.sep).filter(Boolean)) {
        const shown = path.join(current.shown, name);
        const created = await fsp.mkdir(current.at(name), { mode: 0o700 }).then(() => true, (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw current.named(err);
        });
        const parent = current;
        const handle = await fsp.open(parent.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(async (err: NodeJS.ErrnoException) => {
          // A link as the last component: ELOOP, or ENOTDIR (O_DIRECTORY is checked first); lstat tells it from a file.
          if (err.code === 'ELOOP' || (err.code === 'ENOTDIR' && (await fsp.lstat(parent.at(name)).then((st) => st.isSymbolicLink(), () => false)))) throw new Error(`${dir} leads outside the output directory ${this.location} (through a symbolic link): refusing to write there`);
          throw parent.named(err);
        });
        const next = new OpenDir(handle, shown);
        await current.close();
        current = next;
        if (created) {
          if (uid !== undefined && (await handle.stat()).uid !== uid) throw new Error(`${shown} was replaced by another user's directory while this store made it: refusing to write there`);
          await handle.chmod(RUN_DIR_MODE);
        }
      }
      return current;
    } catch (err) {
      await current.close().catch(() => undefined);
      throw err;
    }
  }

  /** Writes `rel` through a temporary file (created, never followed) renamed into place, so readers see the whole object or none. */
  private async atomically(rel: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.resolve(rel);
    const dir = await this.directoryFor(target);
    try {
      const tmp = dir.at(tmpName(target));
      try {
        await write(tmp);
        await fsp.rename(tmp, dir.at(path.basename(target)));
      } catch (err) {
        await fsp.rm(tmp, { force: true }).catch(() => undefined); // a half-written temporary goes (it holds space a full disk needs)
        throw err;
      }
    } catch (err) {
      throw dir.named(err, path.basename(target));
    } finally {
      await dir.close();
    }
  }

  async put(rel: string, body: string | Buffer): Promise<void> {
    await this.atomically(rel, (tmp) => fsp.writeFile(tmp, body, { flag: 'wx' }));
  }

  async openWrite(rel: string): Promise<PendingObject> {
    const target = this.resolve(rel);
    const dir = await this.directoryFor(target);
    const tmp = dir.at(tmpName(target));
    const stream = fs.createWriteStream(tmp, { flags: 'wx' });
    return {
      stream,
      async commit() {
        try {
          if (!stream.writableEnded) stream.end();
          await finished(stream);
          await fsp.rename(tmp, dir.at(path.basename(target)));
        } catch (err) {
          stream.destroy();
          await fsp.rm(tmp, { force: true }).catch(() => undefined);
          throw dir.named(err, path.basename(target));
        } finally {
          await dir.close();
        }
      },
      async abort() {
        stream.destroy();
        try {
          await fsp.rm(tmp, { force: true });
        } finally {
          await dir.close();
        }
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

  async readTail(rel: string, maxBytes: number): Promise<{ bytes: Buffer; size: number } | null> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.resolve(rel), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error(`${this.resolve(rel)} is not a file`);
      const n = Math.min(maxBytes, st.size);
      const bytes = Buffer.alloc(n);
      const { bytesRead } = await fh.read(bytes, 0, n, st.size - n);
      if (bytesRead !== n) throw new Error(`${this.resolve(rel)} changed while it was read`);
      return { bytes, size: st.size };
    } finally {
      await fh.close();
    }
  }

  writeRequests(): Record<string, number> {
    return {};
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
    await this.atomically(rel, (tmp) => fsp.copyFile(localFile, tmp, fs.constants.COPYFILE_EXCL));
  }

  async localCopy(rel: string): Promise<string> {
    return this.resolve(rel);
  }

  async remove(rel: string): Promise<void> {
    await fsp.rm(this.resolve(rel), { force: true });
  }

  async removePrefix(prefix: string): Promise<void> {
    await fsp.rm(this.resolve(prefix), { recursive: true, force: true });
  }

  async sweepTemporary(prefix: string, olderThanMillis: number): Promise<number> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(this.resolve(prefix), { withFileTypes: true, recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    const before = Date.now() - olderThanMillis;
    for (const e of entries) {
      if (!e.isFile() || !TMP_RE.test(e.name)) continue;
      const file = path.join(e.parentPath, e.name);
      const st = await fsp.lstat(file).catch(() => null);
      if (!st?.isFile() || st.mtimeMs > before) continue;
      await fsp.rm(file, { force: true });
      removed++;
    }
    return removed;
  }
}
