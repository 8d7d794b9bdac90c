/**
 * Resolving a run's inputs: a listing file (one location per line, as Common Crawl's `wat.paths.gz`,
 * gzipped or not; a local path, https:// or s3:// URL), a directory of WARC/WAT/WET files, or a glob of local files.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { isRemote, readAll, type IoSession } from '../storage/index.js';

export interface InputFile {
  /** Stable id within the run, also the BullMQ job id: `f<index>-<hash>`. */
  readonly fileId: string;
  /** Location as the worker opens it (absolute path or URL). */
  readonly input: string;
  /** The entry as listed. */
  readonly listed: string;
}

const ARCHIVE_RE = /\.(warc|wat|wet|arc)(\.gz)?$/i;

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** The entries of a listing (local file or URL), gunzipped when needed; blank lines and `#` comments dropped. */
export async function readListing(file: string, io?: IoSession): Promise<string[]> {
  let buf = isRemote(file) ? await readAll(file, io) : await fsp.readFile(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  return buf
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function resolveEntry(entry: string, base: string): string {
  if (isRemote(entry) || entry.startsWith('file://') || path.isAbsolute(entry)) return entry;
  if (isRemote(base)) return new URL(entry, base.endsWith('/') ? base : `${base}/`).toString();
  return path.resolve(base, entry);
}

/** Lists the entries of `--paths` and resolves relative ones against `inputBase` (default: the listing's directory). */
export async function resolveInputs(paths: string, inputBase?: string, io?: IoSession): Promise<InputFile[]> {
  const { entries, base } = await listEntries(paths, io);
  const out = toInputFiles(entries, inputBase ?? base);
  if (out.length === 0) throw new Error(`--paths ${paths}: no input files found`);
  return out;
}

/** The entries of `--paths` as listed, and the base relative ones resolve against. */
export async function listEntries(paths: string, io?: IoSession): Promise<{ entries: string[]; base: string }> {
  let entries: string[];
  let base: string;
  if (isRemote(paths)) {
    entries = await readListing(paths, io);
    base = new URL('.', paths).toString();
  } else if (/[*?]/.test(path.basename(paths))) {
    const dir = path.resolve(path.dirname(paths));
    const re = globToRegExp(path.basename(paths));
    entries = (await fsp.readdir(dir)).filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
    base = dir;
  } else {
    const stat = await fsp.stat(paths).catch(() => {
      throw new Error(`--paths ${paths}: no such file or directory`);
    });
    if (stat.isDirectory()) {
      const dir = path.resolve(paths);
      entries = (await fsp.readdir(dir)).filter((n) => ARCHIVE_RE.test(n)).sort().map((n) => path.join(dir, n));
      base = dir;
    } else {
      entries = await readListing(paths);
      base = path.dirname(path.resolve(paths));
    }
  }
  return { entries, base };
}

/** Input files for listed entries, relative ones resolved against `base`; a file listed twice is kept once. */
export function toInputFiles(entries: readonly string[], base: string): InputFile[] {
  const b = base;
  const seen = new Set<string>();
  const out: InputFile[] = [];
  for (const listed of entries) {
    const input = resolveEntry(listed, b);
    if (seen.has(input)) continue; // a file listed twice is processed once
    seen.add(input);
    const hash = createHash('sha1').update(input).digest('hex').slice(0, 10);
    out.push({ fileId: `f${String(out.length).padStart(6, '0')}-${hash}`, input, listed });
  }
  return out;
}
