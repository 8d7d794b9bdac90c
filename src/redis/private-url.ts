/**
 * Where a run's Redis URL with its password (its private redis-server's, or a shared one's given with a password to a
 * run without local workers) is kept while the run goes, for the commands that reach the run from another terminal
 * (`cancel --out`, `status`, a worker started by hand with WIKIREVERSE_REDIS_URL_FILE): a file only this user can read,
 * in a directory only this user can enter (privateDir); removed when the run's coordinator stops. Never in
 * the manifest or a log.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where this user's private files may go, best first: `$TMPDIR/wikireverse-<uid>` and, for when another user made that
 * one first (a name under a shared temp directory can be taken by anyone), `~/.cache/wikireverse-private`.
 */
function candidates(): string[] {
  return [path.join(os.tmpdir(), `wikireverse-${process.getuid?.() ?? 'user'}`), path.join(os.homedir(), '.cache', 'wikireverse-private')];
}

/** Whether `d` is a directory of this user that only this user can enter (not a symlink). */
async function isPrivate(d: string): Promise<boolean> {
  const st = await fsp.lstat(d).catch(() => null);
  return st !== null && st.isDirectory() && (!process.getuid || st.uid === process.getuid()) && (st.mode & 0o077) === 0;
}

/** The first candidate that is, or can be made, a private directory of this user (0700, ours, not a symlink). */
async function privateDir(): Promise<string> {
  const tried: string[] = [];
  for (const d of candidates()) {
    await fsp.mkdir(d, { mode: 0o700, recursive: true }).catch(() => undefined);
    if (await isPrivate(d)) return d;
    tried.push(d);
  }
  throw new Error(`no private directory of this user for the run's Redis URL (${tried.join(', ')}: not ours, a symlink, or open to others)`);
}

async function fileOf(runId: string): Promise<string> {
  return path.join(await privateDir(), `${runId}.redis-url`);
}

/** Saves the URL; returns the file it is in (a worker started by hand reads it with WIKIREVERSE_REDIS_URL_FILE). */
export async function savePrivateUrl(runId: string, url: string): Promise<string> {
  const file = await fileOf(runId);
  await fsp.rm(file, { force: true });
  // O_EXCL: never through a link someone placed there.
  await fsp.writeFile(file, url, { mode: 0o600, flag: fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY });
  return file;
}

/** The URL of the run's private redis-server, when its coordinator on this machine (this user) is running. */
export async function readPrivateUrl(runId: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(await fileOf(runId), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function removePrivateUrl(runId: string): Promise<void> {
  await fsp.rm(await fileOf(runId), { force: true }).catch(() => undefined);
}
