/**
 * The reduce tasks' input list: one committed file per line (`FileResult`, as its commit record says), written by the
 * coordinator once the map phase is settled. A reduce task reads it back and trusts nothing in it beyond its shape:
 * every line is checked (file id, partition numbers, byte ranges, each part's SHA-256) before a byte of any partial is
 * requested, and every part's bytes are merged only when they hash to what the file's worker wrote.
 */
import { createHash } from 'node:crypto';
import type { FileResult, PartRange } from '../storage/layout.js';

/** The part of a commit record a reduce task needs. */
export interface ReduceInputFile {
  readonly fileId: string;
  readonly parts: readonly PartRange[];
}

const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
/** No partial object is near this large (a file's rows, gzipped); anything past it is not the run's. */
const MAX_OFFSET = 2 ** 40;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The order-free digest of the list's lines: the 64-bit sum of a hash of each line. The reduce tasks' `inputsDigest`
 * (in their task data, from Redis, not from the store) ends with it, so a list rewritten in the store since the
 * coordinator wrote it (its parts' checksums changed along with the partials) is refused.
 */
export class LinesDigest {
  private sum = 0n;
  add(line: string): void {
    this.sum = (this.sum + createHash('sha256').update(line).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
  }
  toString(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** The LinesDigest of a whole list (its non-empty lines, each with its newline, as `inputLine` writes them). */
export function listDigest(list: string): string {
  const d = new LinesDigest();
  for (const line of list.split('\n')) if (line !== '') d.add(`${line}\n`);
  return d.toString();
}

export function inputLine(r: FileResult): string {
  const line: ReduceInputFile = { fileId: r.fileId, parts: r.parts };
  return JSON.stringify(line) + '\n';
}

const isCount = (n: unknown, max: number): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= max;

/** Parses and checks one line of the list; throws naming the line when it is not what the coordinator writes. */
export function parseInputLine(line: string, lineNo: number, partitions: number): ReduceInputFile {
  const bad = (why: string): Error => new Error(`reduce inputs line ${lineNo}: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  if (typeof v !== 'object' || v === null) throw bad('not an object');
  const { fileId, parts } = v as { fileId?: unknown; parts?: unknown };
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId)) throw bad('bad file id');
  return { fileId, parts: checkParts(parts, partitions, bad) };
}

/** A file's parts as its worker writes them: partitions in order, contiguous byte ranges, each with its SHA-256. */
function checkParts(parts: unknown, partitions: number, bad: (why: string) => Error): PartRange[] {
  if (!Array.isArray(parts) || parts.length > partitions) throw bad('bad parts');
  let end = 0;
  let last = -1;
  const checked: PartRange[] = [];
  for (const p of parts as unknown[]) {
    const { partition, offset, bytes, rows, sha256 } = (p ?? {}) as Record<string, unknown>;
    if (!isCount(partition, partitions - 1) || partition <= last) throw bad('partitions out of range or order');
    if (!isCount(offset, MAX_OFFSET) || !isCount(bytes, MAX_OFFSET) || !isCount(rows, Number.MAX_SAFE_INTEGER)) throw bad('bad byte range');
    if (offset !== end) throw bad('byte ranges not contiguous');
    end = offset + bytes;
    last = partition;
    checked.push({ partition, offset, bytes, rows, sha256: sha256 as string });
  }
  for (const p of parts as Array<Record<string, unknown>>) if (typeof p.sha256 !== 'string' || !SHA256.test(p.sha256)) throw bad('a part without its SHA-256');
  return checked;
}

/** Counters a commit record may hold at most (the job's counters are a few dozen). */
const MAX_COUNTERS = 10_000;
const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/**
 * A file's commit record read back from its partial (the coordinator's one way to read it, `readCommit`): the shape
 * its worker writes, for the file `fileId` of a run of `partitions` partitions, its parts ending where the record
 * begins (`rowsEnd`), or an error saying what is not.
 */
export function parseCommitRecord(commit: { readonly record: string; readonly rowsEnd: number }, fileId: string, partitions: number): FileResult {
  const buf = Buffer.from(commit.record);
  const bad = (why: string): Error => new Error(`commit record of ${fileId}: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not an object');
  const r = v as Record<string, unknown>;
  if (r.fileId !== fileId) throw bad('it names another file');
  if (typeof r.input !== 'string' || typeof r.kind !== 'string' || r.kind.length > 32) throw bad('bad input or kind');
  if (!isCount(r.rows, Number.MAX_SAFE_INTEGER) || !isCount(r.compressedBytes, Number.MAX_SAFE_INTEGER)) throw bad('bad rows or bytes');
  if (!isNumber(r.seconds) || !isCount(r.attempt, 1_000_000) || (r.cpuSeconds !== undefined && !isNumber(r.cpuSeconds))) throw bad('bad time or attempt');
  const counters = r.counters as Record<string, unknown> | null;
  if (typeof counters !== 'object' || counters === null || Array.isArray(counters)) throw bad('bad counters');
  const entries = Object.entries(counters);
  if (entries.length > MAX_COUNTERS || !entries.every(([, n]) => isNumber(n))) throw bad('bad counters');
  const parts = checkParts(r.parts, partitions, bad);
  const last = parts.at(-1);
  const end = last ? last.offset + last.bytes : 0;
  if (end !== commit.rowsEnd) throw bad(`its parts end at byte ${end}, its record starts at ${commit.rowsEnd}`);
  return {
    fileId, input: r.input, kind: r.kind, rows: r.rows, parts, counters: counters as Record<string, number>,
    compressedBytes: r.compressedBytes, seconds: r.seconds, attempt: r.attempt, ...(r.cpuSeconds !== undefined ? { cpuSeconds: r.cpuSeconds } : {}),
  };
}
