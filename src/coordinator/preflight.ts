/**
 * The pre-flight of a run's inputs, before anything is queued (`--no-preflight` skips it): every local entry must
 * exist and be readable (cheap: one access() each), and a sample of the remote ones must answer a one-byte Range GET
 * (one attempt each, under the connect and first-byte deadlines, at most PROBES of them at once). A listing naming
 * files that are not there (no such file, HTTP 404/410, NoSuchKey) fails here, in seconds, instead of as a run whose
 * files fail one by one; a probe that fails otherwise (a refused connection, a 503, a stall) is a warning: the run's
 * retries may get through. The sizes it sees on the way (every local file's, each probed object's from its
 * Content-Range) are returned, for `estimate`'s projection of the selection's bytes.
 */
import fsp from 'node:fs/promises';
import { redactUrl } from '../log/index.js';
import { InputNotFoundError, IoSession, isRemote, localPathOf, openInput } from '../storage/index.js';
import type { ResumableReadable } from '../storage/resumable.js';
import { ListingError, type InputFile } from './listing.js';

/** Remote inputs probed by default: the first, the last and some between (spread evenly). */
export const PREFLIGHT_PROBES = 5;
/** Local entries checked at once. */
const LOCAL_BATCH = 64;
/** Entries named in the error. */
const SHOWN = 3;

function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))] as T);
}

/** The file's size, or what is wrong with it. */
async function checkLocal(f: InputFile): Promise<{ problem: string } | { bytes: number }> {
  try {
    const st = await fsp.stat(localPathOf(f.input));
    if (!st.isFile()) return { problem: `${f.input}: not a file` };
    await fsp.access(localPathOf(f.input), fsp.constants.R_OK);
    return { bytes: st.size };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: `${f.input}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : (err as Error).message}` };
  }
}

/** The object's size (undefined when its server does not say), or why it did not answer. */
async function probe(f: InputFile, io: IoSession): Promise<{ missing: boolean; message: string } | { bytes: number | undefined }> {
  try {
    const stream = (await openInput(f.input, io, [0, 1])) as ResumableReadable;
    stream.destroy();
    return { bytes: stream.objectBytes };
  } catch (err) {
    return { missing: err instanceof InputNotFoundError, message: (err as Error).message.replace(/^Cannot read input /, '') };
  }
}

/** What the pre-flight found that does not stop the run, and the sizes it saw. */
export interface PreflightResult {
  /** One line each. */
  readonly warnings: string[];
  /** Sizes in bytes of the inputs it looked at (every local one, the remote ones probed that said). */
  readonly sizes: number[];
}

/**
 * Checks the inputs as described above; throws a ListingError naming the first few that are not there, and returns
 * the warnings (probes that failed otherwise). `publicOnly`: the probes obey the run's address policy
 * (storage/address-policy.ts). Requests are counted in `io`.
 */
export async function preflight(inputs: readonly InputFile[], listing: string, io: IoSession, publicOnly: boolean, probes = PREFLIGHT_PROBES): Promise<PreflightResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sizes: number[] = [];
  const local = inputs.filter((f) => !isRemote(f.input));
  for (let i = 0; i < local.length; i += LOCAL_BATCH) {
    for (const p of await Promise.all(local.slice(i, i + LOCAL_BATCH).map(checkLocal))) {
      if ('problem' in p) problems.push(p.problem);
      else sizes.push(p.bytes);
    }
  }
  const remote = spread(inputs.filter((f) => isRemote(f.input)), probes);
  if (remote.length > 0) {
    const probeIo = new IoSession({ ...io.settings, attempts: 1, resumes: 0, ...(publicOnly ? { publicAddressesOnly: true } : {}) }, io.counters);
    try {
      for (const p of await Promise.all(remote.map((f) => probe(f, probeIo)))) {
        if ('message' in p) (p.missing ? problems : warnings).push(p.message);
        else if (p.bytes !== undefined) sizes.push(p.bytes);
      }
    } finally {
      probeIo.close();
    }
  }
  if (problems.length === 0) {
    return {
      warnings: warnings.length === 0 ? [] : [`pre-flight: ${warnings.length} of ${remote.length} inputs probed did not answer (${warnings[0] ?? ''}); starting anyway, their retries may get through`],
      sizes,
    };
  }
  const checked = local.length + remote.length;
  throw new ListingError(
    `${redactUrl(listing)}: ${problems.length} of ${checked} inputs checked cannot be read: ${problems.slice(0, SHOWN).join('; ')}` +
      `${problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : ''}. Fix the listing, or add --no-preflight to start anyway (those files will fail)`,
  );
}
