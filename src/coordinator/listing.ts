/**
 * Resolving a run's inputs: a listing file (one location per line, as Common Crawl's `wat.paths.gz`,
 * gzipped or not; a local path, https:// or s3:// URL), a directory of WARC/WAT/WET files, or a glob of local files.
 */
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { redactUrl } from '../log/index.js';
import { isPrivateHost, isRemote, readAll, systemResolver, type IoSession, type Resolver } from '../storage/index.js';
import { UsageError } from '../exit-codes.js';

export interface InputFile {
  /** Stable id within the run, also the BullMQ job id: `f<index>-<hash>`. */
  readonly fileId: string;
  /** Location as the worker opens it (absolute path or URL). */
  readonly input: string;
  /** The entry as listed. */
  readonly listed: string;
}

/** A location a listing names, as the checks see it. */
type Listed = Pick<InputFile, 'input' | 'listed'>;

const ARCHIVE_RE = /\.(warc|wat|wet|arc)(\.gz)?$/i;

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** The run's inputs cannot be taken from what was given (not a listing, entries it may not name): exit 2, one line. */
export class ListingError extends UsageError {
  override name = 'ListingError';
}

/** A listing entry: one location, no spaces, quotes, angle brackets or control characters. */
const ENTRY_RE = /^[^\s"'<>\x00-\x1f\x7f]+$/;
/** Inflated listings larger than this are refused (Common Crawl's largest, 100,000 entries, is ~15 MB). */
const MAX_LISTING_BYTES = 256 << 20;

/** The entries of a listing (local file or URL), gunzipped when needed; blank lines and `#` comments dropped. */
export async function readListing(file: string, io: IoSession): Promise<string[]> {
  let buf = isRemote(file) ? await readAll(file, io) : await fsp.readFile(file);
  const label = redactUrl(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf, { maxOutputLength: MAX_LISTING_BYTES });
    } catch (err) {
      throw new ListingError(`${label} is not a listing: ${(err as Error).message}`);
    }
  }
  if (buf.subarray(0, 5).toString('latin1') === 'WARC/') {
    throw new ListingError(`${label} is a WARC/WAT/WET file, not a listing of inputs: give its directory or a glob instead (--paths 'dir/*.warc.gz')`);
  }
  const entries: string[] = [];
  const lines = buf.toString('utf8').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).trim();
    if (l === '' || l.startsWith('#')) continue;
    if (!ENTRY_RE.test(l)) {
      throw new ListingError(
        `${label} is not a listing of inputs: line ${i + 1} is not one path or URL. A listing has one location per line ` +
          `(a path, https:// or s3:// URL); for files, give a directory or a glob (--paths 'dir/*.warc.gz')`,
      );
    }
    entries.push(l);
  }
  return entries;
}

/**
 * What a listing fetched over the network may name: remote objects only (https, s3; no local path or file://), and,
 * when the listing itself is on a public host, no private or local address (it could reach this machine's services or
 * the instance metadata). A local listing is the operator's own: it may name anything. `trust` lifts the checks.
 */
export function checkListedInputs(inputs: readonly Listed[], listing: string, trust: boolean): void {
  if (trust || !isRemote(listing)) return;
  const listingPrivate = !listingIsPublic(listing, trust);
  for (const f of inputs) {
    const why = !isRemote(f.input)
      ? 'a local file'
      : !listingPrivate && /^https?:/i.test(f.input) && isPrivateHost(new URL(f.input).hostname)
        ? 'a private or local address'
        : null;
    if (why !== null) {
      throw new ListingError(`${redactUrl(listing)} names ${redactUrl(f.listed)}, ${why}: a listing fetched over the network may name only remote objects ` +
        '(https, s3) on public hosts. If you trust this listing, add --trust-listing');
    }
  }
}

/** A resolver that does not answer within this is taken as no answer (the file then fails on its own, if it must). */
const RESOLVE_TIMEOUT_MILLIS = 10_000;
async function resolveWithin(resolve: Resolver, hostname: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer for ${hostname}`)), RESOLVE_TIMEOUT_MILLIS); });
  try {
    return await Promise.race([resolve(hostname), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the inputs a listing names are read from public addresses only: a listing fetched over the network from a public host, not trusted. */
export function listingIsPublic(listing: string, trust: boolean): boolean {
  return !trust && isRemote(listing) && !(/^https?:/i.test(listing) && isPrivateHost(new URL(listing).hostname));
}

/**
 * The names a public listing gives, resolved and held to the rules of literal addresses (checkListedInputs): a name
 * that resolves to a private or local address (a public name pointed at 127.0.0.1 or the metadata service) is refused
 * like the address itself. One lookup per distinct host; a name that does not resolve is left to fail its file.
 */
export async function checkListedNames(inputs: readonly Listed[], listing: string, trust: boolean, resolve: Resolver = systemResolver): Promise<void> {
  if (!listingIsPublic(listing, trust)) return;
  const hosts = new Map<string, string>(); // hostname -> an entry naming it
  for (const f of inputs) {
    if (!/^https?:/i.test(f.input)) continue;
    const h = new URL(f.input).hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(h) === 0 && !hosts.has(h)) hosts.set(h, f.listed);
  }
  for (const [h, listed] of hosts) {
    const addresses = await resolveWithin(resolve, h).catch(() => [] as string[]);
    const bad = addresses.find((a) => isPrivateHost(a));
    if (bad !== undefined) {
      throw new ListingError(`${redactUrl(listing)} names ${redactUrl(listed)}, whose host ${h} resolves to ${bad}, a private or local address: a listing fetched ` +
        'over the network may name only remote objects (https, s3) on public hosts. If you trust this listing, add --trust-listing');
    }
  }
}

/** A listed entry as a location: absolute ones as they are, relative ones against `base` (a URL or a directory). */
export function resolveEntry(entry: string, base: string): string {
  if (isRemote(entry) || entry.startsWith('file://') || path.isAbsolute(entry)) return entry;
  if (isRemote(base)) return new URL(entry, base.endsWith('/') ? base : `${base}/`).toString();
  return path.resolve(base, entry);
}

/** The entries of `--paths` as listed, and the base relative ones resolve against. */
export async function listEntries(paths: string, io: IoSession): Promise<{ entries: string[]; base: string }> {
  let entries: string[];
  let base: string;
  if (isRemote(paths)) {
    entries = await readListing(paths, io);
    base = new URL('.', paths).toString();
  } else if (/[*?]/.test(path.basename(paths))) {
    const dir = path.resolve(path.dirname(paths));
    const re = globToRegExp(path.basename(paths));
    const names = await fsp.readdir(dir).catch(() => {
      throw new ListingError(`--paths ${paths}: no such directory ${dir}`);
    });
    entries = names.filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
    base = dir;
  } else {
    const stat = await fsp.stat(paths).catch(() => {
      throw new ListingError(`--paths ${paths}: no such file or directory`);
    });
    if (stat.isDirectory()) {
      const dir = path.resolve(paths);
      entries = (await fsp.readdir(dir)).filter((n) => ARCHIVE_RE.test(n)).sort().map((n) => path.join(dir, n));
      base = dir;
    } else {
      entries = await readListing(paths, io);
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
