/**
 * Framing ARC records: a header line (arc-header.ts), Archive-length bytes of content, a LF. The same three ways in as
 * WARC (records.ts), with the same bounds:
 * - `arcFramedRecords`: the records of complete bytes (a batch of gzip members) when they are framed exactly, else null;
 * - `arcMemberFraming`: whether one gzip member's bytes are framed well enough to read (else it is skipped as damage);
 * - `parseArcRecords`: a plain stream. A header line over 1 MiB, a line that is not a header: skipped to the next
 *   line that is one, reported through `onSkipped`; bytes after a record's content other than CRs and LFs (an
 *   Archive-length too small): skipped the same way, reported through `onMisframed`; a record over 64 MiB is streamed,
 *   not held; a record cut short by the end of the input fails with TruncatedRecordError.
 */
import { isArcHeaderPrefix, parseArcHeader } from './arc-header.js';
import { arcRecord, streamedArcRecord } from './arc-record.js';
import { ByteQueue, TruncatedRecordError } from './byte-queue.js';
import { endOfLine } from './headers.js';
import { MAX_FAST_RECORD_BYTES, MAX_HEADER_BYTES, type ParsedRecord, type ParseOptions, type RecordDamage } from './records.js';

const LF = 0x0a;
const CR = 0x0d;

const isNewline = (c: number | undefined): boolean => c === LF || c === CR;

/** Index of the first byte at or after `pos` that is not a CR or LF. */
function skipNewlines(buf: Buffer, pos: number): number {
  let i = pos;
  while (i < buf.length && isNewline(buf[i])) i++;
  return i;
}

/** Whether a complete header line starts at `pos` of `buf` (the bytes up to `buf.length` are all there is). */
function headerAt(buf: Buffer, pos: number): boolean {
  const lineEnd = endOfLine(buf, pos, Math.min(buf.length, pos + MAX_HEADER_BYTES));
  return lineEnd !== -1 && parseArcHeader(buf, pos, lineEnd) !== null;
}

/**
 * The records of complete decompressed bytes when they are framed exactly: header line, content, CRs and LFs, then
 * the next record or the end. Otherwise null, and the caller reads the bytes another way. Every record's offset is `offset`.
 */
export function arcFramedRecords(buf: Buffer, offset: number): ParsedRecord[] | null {
  if (buf.length === 0) return null;
  const out: ParsedRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const lineEnd = endOfLine(buf, pos, Math.min(buf.length, pos + MAX_HEADER_BYTES));
    if (lineEnd === -1) return null;
    const h = parseArcHeader(buf, pos, lineEnd);
    if (h === null || lineEnd + h.length > buf.length) return null;
    out.push(arcRecord(buf, lineEnd, h, offset));
    pos = skipNewlines(buf, lineEnd + h.length);
  }
  return out;
}

/**
 * Whether one gzip member's bytes are framed well enough to read: its first record's content ends inside the member,
 * followed by CRs and LFs only, or by another record's header line.
 */
export function arcMemberFraming(data: Buffer): 'ok' | 'bad_length' | 'not_arc' {
  const start = skipNewlines(data, 0);
  const lineEnd = endOfLine(data, start, Math.min(data.length, start + MAX_HEADER_BYTES));
  const h = lineEnd === -1 ? null : parseArcHeader(data, start, lineEnd);
  if (h === null) return 'not_arc';
  const end = lineEnd + h.length;
  if (end > data.length) return 'bad_length';
  const next = skipNewlines(data, end);
  return next === data.length || headerAt(data, next) ? 'ok' : 'bad_length';
}

/** The outcome of reading at the queue's position: a record (and, for a streamed one, how to skip its rest), or damage. */
type Step = { readonly record: ParsedRecord; readonly rest?: () => Promise<void> } | { readonly damage: RecordDamage['kind'] };

/** Reads the record at the queue's position. On a record the queue is left past its content (for a streamed one, once `rest` has run); on damage, where it was. */
async function nextRecord(q: ByteQueue): Promise<Step> {
  let lineEnd: number;
  for (;;) {
    lineEnd = endOfLine(q.buf, q.pos, Math.min(q.buf.length, q.pos + MAX_HEADER_BYTES));
    if (lineEnd !== -1) break;
    if (q.avail >= MAX_HEADER_BYTES) return { damage: 'header_too_long' };
    if (!(await q.more())) {
      if (isArcHeaderPrefix(q.buf, q.pos, q.buf.length)) {
        throw new TruncatedRecordError(`the ARC record at uncompressed offset ${q.offset} is truncated: the input ends inside its header line`);
      }
      return { damage: 'not_arc' };
    }
  }
  const h = parseArcHeader(q.buf, q.pos, lineEnd);
  if (h === null) return { damage: 'not_arc' };
  const headLength = lineEnd - q.pos;
  const offset = q.offset;
  const truncated = (): string =>
    `the ARC record at uncompressed offset ${offset} is truncated: Archive-length ${h.length}, but the input ends ` +
    `${Math.max(0, q.offset - offset - headLength)} bytes into its content`;
  if (headLength + h.length > MAX_FAST_RECORD_BYTES) {
    q.pos += headLength;
    return streamedArcRecord(h, offset, q.take(h.length, truncated));
  }
  if (!(await q.fill(headLength + h.length))) {
    q.pos += q.avail; // for the message: how far into the content the input ends
    throw new TruncatedRecordError(truncated());
  }
  const record = arcRecord(q.buf, q.pos + headLength, h, offset);
  q.pos += headLength + h.length;
  return { record };
}

/** Moves past CRs and LFs, pulling input as needed. */
async function skipNewlinesIn(q: ByteQueue): Promise<void> {
  for (;;) {
    while (q.avail > 0 && isNewline(q.buf[q.pos])) q.pos++;
    if (q.avail > 0 || !(await q.more())) return;
  }
}

/**
 * Whether a header line starts at the queue's position (its line read whole, within MAX_HEADER_BYTES), or the start
 * of one that the end of the input cuts short (then reading it fails the input).
 */
async function headerNext(q: ByteQueue): Promise<boolean> {
  for (;;) {
    if (q.avail === 0 && !(await q.more())) return false;
    const c = q.buf[q.pos] as number;
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return false; // a URL's scheme starts with a letter
    const lineEnd = endOfLine(q.buf, q.pos, Math.min(q.buf.length, q.pos + MAX_HEADER_BYTES));
    if (lineEnd !== -1) return parseArcHeader(q.buf, q.pos, lineEnd) !== null;
    if (q.avail >= MAX_HEADER_BYTES) return false;
    if (!(await q.more())) return isArcHeaderPrefix(q.buf, q.pos, q.buf.length);
  }
}

/**
 * Skips to the start of the next line that is a header line, or to the end of the input, moving at least one byte.
 * Returns the bytes skipped that were not CRs or LFs.
 */
async function skipToHeader(q: ByteQueue): Promise<number> {
  let junk = 0;
  const skip = (to: number): void => {
    for (let k = q.pos; k < to; k++) if (!isNewline(q.buf[k])) junk++;
    q.pos = to;
  };
  skip(q.pos + 1);
  for (;;) {
    const lf = q.buf.indexOf(LF, q.pos);
    if (lf === -1) {
      skip(q.buf.length);
      if (!(await q.more())) return junk;
      continue;
    }
    skip(lf + 1);
    if (await headerNext(q)) return junk;
  }
}

/** Yields the records of a plain ARC byte stream. */
export async function* parseArcRecords(plain: AsyncIterable<Uint8Array>, opts: ParseOptions = {}): AsyncGenerator<ParsedRecord> {
  const q = new ByteQueue(plain[Symbol.asyncIterator]());
  await skipNewlinesIn(q);
  while (q.avail > 0) {
    const at = q.offset;
    const step = await nextRecord(q);
    if ('damage' in step) {
      const bytes = await skipToHeader(q);
      opts.onSkipped?.({ kind: step.damage, offset: at, bytes });
      continue;
    }
    yield step.record;
    if (step.rest) await step.rest();
    const end = q.offset;
    await skipNewlinesIn(q);
    if (q.avail > 0 && !(await headerNext(q))) {
      const junk = await skipToHeader(q);
      if (junk > 0) opts.onMisframed?.(end, junk);
    }
  }
}
