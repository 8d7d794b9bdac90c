/**
 * The pre-flight of a run's inputs, before anything is queued (`--no-preflight` skips it): every local entry must
 * exist and be readable (cheap: one access() each), and a sample of the remote ones must answer a one-byte Range GET
 * (one attempt each, under the connect and first-byte deadlines, at most PROBES of them at once). A listing naming
 * files that are not there (no such file, HTTP 404/410, NoSuchKey) fails here, in seconds, instead of as a run whose
 * files fail one by one; a probe that fails otherwise (a refused connection, a 503, a stall) is a warning: the run's
 * retries may get through.
 */
import fsp from 'node:fs/promises';
import { redactUrl } from '../log/index.js';
import { InputNotFoundError, IoSession, isRemote, localPathOf, openInput } from '../storage/index.js';
import { ListingError, type InputFile } from './listing.js';

/** Remote inputs probed: the first, the last and some between (spread evenly). */
const PROBES = 5;
/** Local entries checked at once. */
const LOCAL_BATCH = 64;
/** Entries named in the error. */
const SHOWN = 3;

function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))] as T);
}

async function localProblem(f: InputFile): Promise<string | null> {
  try {
    const st = await fsp.stat(localPathOf(f.input));
    if (!st.isFile()) return `${f.input}: not a file`;
    await fsp.access(localPathOf(f.input), fsp.constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `${f.input}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : (err as Error).message}`;
  }
}

async function probe(f: InputFile, io: IoSession): Promise<{ missing: boolean; message: string } | null> {
  try {
    const stream = await openInput(f.input, io, [0, 1]);
    stream.destroy();
    return null;
  } catch (err) {
    return { missing: err instanceof InputNotFoundError, message: (err as Error).message.replace(/^Cannot read input /, '') };
  }
}

/**
 * Checks the inputs as described above; throws a ListingError naming the first few that are not there, and returns
 * the warnings (probes that failed otherwise). `publicOnly`: the probes obey the run's address policy
 * (storage/address-policy.ts). Requests are counted in `io`.
 */
export async function preflight(inputs: readonly InputFile[], listing: string, io: IoSession, publicOnly: boolean): Promise<string[]> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const local = inputs.filter((f) => !isRemote(f.input));
  for (let i = 0; i < local.length; i += LOCAL_BATCH) {
    for (const p of await Promise.all(local.slice(i, i + LOCAL_BATCH).map(localProblem))) if (p !== null) problems.push(p);
  }
  const remote = spread(inputs.filter((f) => isRemote(f.input)), PROBES);
  if (remote.length > 0) {
    const probeIo = new IoSession({ ...io.settings, attempts: 1, resumes: 0, ...(publicOnly ? { publicAddressesOnly: true } : {}) }, io.counters);
    try {
      for (const p of await Promise.all(remote.map((f) => probe(f, probeIo)))) if (p !== null) (p.missing ? problems : warnings).push(p.message);
    } finally {
      probeIo.close();
    }
  }
  if (problems.length === 0) {
    return warnings.length === 0 ? [] : [`pre-flight: ${warnings.length} of ${remote.length} inputs probed did not answer (${warnings[0] ?? ''}); starting anyway, their retries may get through`];
  }
  const checked = local.length + remote.length;
  throw new ListingError(
    `${redactUrl(listing)}: ${problems.length} of ${checked} inputs checked cannot be read: ${problems.slice(0, SHOWN).join('; ')}` +
      `${problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : ''}. Fix the listing, or add --no-preflight to start anyway (those files will fail)`,
  );
}
