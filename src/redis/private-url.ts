/**
 * Where a run's Redis URL with its password (its private redis-server's, or a shared one's given with a password to a
 * run without local workers) is kept while the run goes, for the commands that reach the run from another terminal
 * (`cancel --out`, `status`, a worker started by hand with WIKIREVERSE_REDIS_URL_FILE): a file only this user can read,
 * in a directory only this user can enter, under the temp directory; removed when the run's coordinator stops. Never in
 * the manifest or a log.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

function dir(): string {
  return path.join(os.tmpdir(), `wikireverse-${process.getuid?.() ?? 'user'}`);
}

function fileOf(runId: string): string {
  return path.join(dir(), `${runId}.redis-url`);
}

/** The directory, made private (0700, ours, not a symlink) or refused. */
async function privateDir(): Promise<string> {
  const d = dir();
  await fsp.mkdir(d, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const st = await fsp.lstat(d);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
    throw new Error(`${d} is not a private directory of this user (a symlink, another owner, or open to others): remove it`);
  }
  return d;
}

/** Saves the URL; returns the file it is in (a worker started by hand reads it with WIKIREVERSE_REDIS_URL_FILE). */
export async function savePrivateUrl(runId: string, url: string): Promise<string> {
  await privateDir();
  const file = fileOf(runId);
  await fsp.rm(file, { force: true });
  // O_EXCL: never through a link someone placed there.
  await fsp.writeFile(file, url, { mode: 0o600, flag: fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY });
  return file;
}

/** The URL of the run's private redis-server, when its coordinator on this machine (this user) is running. */
export async function readPrivateUrl(runId: string): Promise<string | undefined> {
  try {
    await privateDir();
    return (await fsp.readFile(fileOf(runId), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function removePrivateUrl(runId: string): Promise<void> {
  await fsp.rm(fileOf(runId), { force: true });
}
