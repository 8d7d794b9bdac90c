/**
 * The fuzz harness's reader: a long-lived child process (forked by reader-process.ts) that reads input files one at a
 * time with the real reader (`scanInput` + the Wikipedia job, 1 MiB per record) and answers each with a ChildMessage.
 * Each input is read on both inflates (libdeflate through the addon, then node's zlib): rows, counters and errors must
 * be the same, else the answer is a mismatch. Without the addon, only zlib reads (the harness's report names it).
 * It enforces nothing: the parent owns the deadline and the memory limit, and kills this process to enforce them.
 *
 * WIKIREVERSE_FUZZ_SELFTEST=hang|crash|memory (a setting in src/config, for the harness's own tests) makes inputs that start with
 * `FUZZ-SELFTEST` spin forever, throw a TypeError, or allocate 2 GB, so that detection is proven without parser bugs.
 */
import fsp from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DEFAULT_JOB, jobRegistry } from '../../jobs/index.js';
import { createHash } from 'node:crypto';
import { InputError, scanInput } from '../extract/index.js';
import { nativeInflate, zlibInflate, type Inflate } from '../warc/index.js';
import { resolveJob } from '../job/index.js';
import { openLocalInput } from '../storage/index.js';
import { SELFTEST_MARKER, type ChildMessage, type ReadEnd, type ReadRequest, type SelfTestFault } from './protocol.js';
import { FuzzChildExitCode } from '../exit-codes.js';
import { loadConfig } from '../config/index.js';

const MAX_RECORD_BYTES = 1 << 20;
/** The Wikipedia job (the default), found as the runner finds a job: through the registry. */
const JOB = resolveJob(jobRegistry, DEFAULT_JOB);

/** Buffers the memory self-test holds on to (so that they stay resident). */
const held: Buffer[] = [];

async function startsWithMarker(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(SELFTEST_MARKER.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return head.toString('latin1', 0, bytesRead) === SELFTEST_MARKER;
  } finally {
    await fh.close();
  }
}

async function injectFault(fault: SelfTestFault): Promise<void> {
  if (fault === 'hang') for (;;); // a reader spinning on the event loop's thread, on purpose
  if (fault === 'crash') throw new TypeError('fuzz self-test: injected TypeError');
  for (let i = 0; i < 32; i++) {
    held.push(Buffer.alloc(64 << 20, 1)); // filled, so the pages are resident
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function errorEnd(err: unknown): ReadEnd {
  const e = err instanceof Error ? err : new Error(String(err));
  return { status: 'error', name: e.name, message: e.message, stack: e.stack ?? '' };
}

/** How one read ended, with a digest of its rows and counters (to compare the two inflates' reads). */
type Read = { readonly end: ReadEnd; readonly digest: string };

async function readWith(file: string, fault: SelfTestFault | undefined, inflate: Inflate): Promise<Read> {
  const source = await openLocalInput(file);
  const hash = createHash('sha256');
  try {
    if (fault !== undefined && (await startsWithMarker(file))) await injectFault(fault);
    let rows = 0;
    const result = await scanInput(source, JOB, { inputName: file, maxRecordBytes: MAX_RECORD_BYTES, inflate }, (row) => {
      rows++;
      hash.update(JSON.stringify(row));
    });
    const counters = JSON.stringify(result.counters);
    return { end: { status: 'ok', rows, countersBytes: Buffer.byteLength(counters) }, digest: hash.update(counters).digest('hex') };
  } catch (err) {
    if (err instanceof InputError) {
      return { end: { status: 'input-error', message: err.message, cause: err.cause instanceof Error ? err.cause.name : typeof err.cause }, digest: hash.digest('hex') };
    }
    return { end: errorEnd(err), digest: '' };
  } finally {
    source.destroy(); // scanInput leaves it open when it fails before the first record
  }
}

const native = nativeInflate();

async function readOne(file: string, fault: SelfTestFault | undefined): Promise<ReadEnd> {
  if (!('inflate' in native)) return (await readWith(file, fault, zlibInflate)).end;
  const fast = await readWith(file, fault, native.inflate);
  if (fast.end.status === 'error') return fast.end; // a crash is the finding, whatever zlib would do
  const fallback = await readWith(file, fault, zlibInflate);
  const what = (r: Read): string => `${r.end.status}${r.end.status === 'input-error' ? ` (${r.end.message})` : ''}${r.end.status === 'ok' ? ` ${r.end.rows} rows` : ''}, digest ${r.digest.slice(0, 12)}`;
  if (fast.digest !== fallback.digest || JSON.stringify(fast.end) !== JSON.stringify(fallback.end)) {
    return { status: 'mismatch', message: `${native.inflate.name}: ${what(fast)}; ${zlibInflate.name}: ${what(fallback)}` };
  }
  return fast.end;
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Ends this process when the harness is gone, on a thread of its own: a reader spinning on the main thread never sees
 * its IPC channel close, and would spin on as an orphan (after the harness is killed, or a test times out).
 */
function startLifeline(): void {
  const code = `
    const parent = process.ppid;
    setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL'); }, 500);
  `;
  new Worker(code, { eval: true }).unref();
}

/** Serves read requests until the parent disconnects. */
export function serve(fault: SelfTestFault | undefined): void {
  let current: number | null = null;
  const fatal = (origin: string) => (err: unknown): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    void send({ type: 'fatal', id: current, origin, name: e.name, message: e.message, stack: e.stack ?? '' }).finally(() => process.exit(FuzzChildExitCode.ReaderCrashed));
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
  process.on('disconnect', () => process.exit(FuzzChildExitCode.Done));
  startLifeline();
  process.on('message', (request: ReadRequest) => {
    current = request.id;
    void (async () => {
      const end = await readOne(request.path, fault).catch(errorEnd); // the file could not be opened
      // A rejection the reader left behind surfaces within a turn of the event loop: let it count against this input.
      await new Promise((resolve) => setImmediate(resolve));
      const rssMb = process.memoryUsage.rss() / (1 << 20);
      const maxRssMb = process.resourceUsage().maxRSS / 1024;
      held.length = 0;
      current = null;
      await send({ type: 'result', id: request.id, rssMb, maxRssMb, ...end });
    })();
  });
  void send({ type: 'ready' });
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invoked) {
  try {
    serve(loadConfig().fuzzSelftest); // the self-test fault, one of SELFTEST_FAULTS (loadConfig refuses any other)
  } catch (err) {
    process.stderr.write(`fuzz child: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(FuzzChildExitCode.Usage);
  }
}
