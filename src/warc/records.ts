/**
 * Iterates the records of plain WARC bytes, exposing each as a header-level view first and reading its payload
 * only on request, up to a byte limit.
 *
 * The framing is ours: records are found by their header block and Content-Length, headers of the common form are
 * read by hand (`headers.ts`) and payloads sliced with no copy and no per-chunk promise. warcio (`warcio-reader.ts`)
 * reads what the hand-written reader does not take on (folded or non-ASCII headers, chunked or content-encoded HTTP
 * payloads, records over 64 MiB), always ONE record's bytes at a time.
 *
 * Every record costs bounded memory, and damage costs only itself:
 * - a header block over 1 MiB, a record with no Content-Length, bytes that are not a record: skipped to the next line
 *   that starts with `WARC/`, and reported through `onSkipped`;
 * - bytes after a record's block other than CRLFs (a Content-Length too small): skipped the same way, reported
 *   through `onMisframed`;
 * - a record cut short by the end of the input fails with TruncatedRecordError (warcio would wait forever).
 */
import type { RecordHeader, RecordView } from '../job/types.js';
import { ByteQueue, TruncatedRecordError } from './byte-queue.js';
import { endOfHeaderBlock, endOfLine, headerNames, pickHeaders } from './headers.js';
import { readPayload, stripBrackets, warcioOne } from './warcio-reader.js';

export { TruncatedRecordError } from './byte-queue.js';
export { warcioRecords } from './warcio-reader.js';

export interface ParsedRecord {
  readonly header: RecordHeader;
  /** Uncompressed offset of the record in the input. */
  readonly offset: number;
  /** Reads the payload (decoded from chunked/content-encoding for HTTP records), at most `maxBytes`. */
  read(maxBytes: number): Promise<RecordView>;
  /** Present when the payload is at hand: `read` without a promise. */
  readSync?(maxBytes: number): RecordView;
}

/** Bytes skipped because they were not a readable record (see the file's comment). */
export interface RecordDamage {
  readonly kind: 'header_too_long' | 'bad_length' | 'not_warc' | 'not_arc';
  /** Uncompressed offset where the skipped bytes start. */
  readonly offset: number;
  /** Bytes skipped, CRs and LFs not counted. */
  readonly bytes: number;
}

export interface ParseOptions {
  /** Called when bytes other than CRLFs follow a record's block (its Content-Length was too small). */
  readonly onMisframed?: (offset: number, bytes: number) => void;
  /** Called when bytes that are not a readable record are skipped up to the next record. */
  readonly onSkipped?: (d: RecordDamage) => void;
}

/** Largest header block read; a longer one is damage (real ones are under 4 KiB). */
export const MAX_HEADER_BYTES = 1 << 20;
/** Records longer than this are streamed instead of held whole. */
export const MAX_FAST_RECORD_BYTES = 64 << 20;
const WARC_SLASH = Buffer.from('WARC/', 'latin1');

// ---- fast path ------------------------------------------------------------------------------------------------

/** A record whose payload is at hand (a slice of the decompressed bytes): read without a promise. */
export class SlicedRecord implements ParsedRecord {
  constructor(
    readonly header: RecordHeader,
    readonly offset: number,
    private readonly payload: Buffer,
  ) {}

  readSync(maxBytes: number): RecordView {
    const h = this.header;
    const truncated = this.payload.length > maxBytes;
    return {
      warcType: h.warcType,
      targetUri: h.targetUri,
      date: h.date,
      contentType: h.contentType,
      payload: truncated ? this.payload.subarray(0, maxBytes) : this.payload,
      truncated,
    };
  }

  read(maxBytes: number): Promise<RecordView> {
    return Promise.resolve(this.readSync(maxBytes));
  }
}

const isHttpRecord = (warcType: string, contentLength: number): boolean =>
  warcType === 'response' || warcType === 'request' || (warcType === 'revisit' && contentLength > 0);

const WARC_FIELDS = headerNames('warc-type', 'warc-target-uri', 'warc-date', 'content-type', 'content-length');
const HTTP_FIELDS = headerNames('content-type', 'content-encoding', 'transfer-encoding');

/** What the fast path reads of a WARC header block. */
interface WarcFields {
  readonly warcType: string;
  readonly targetUri: string;
  readonly date: string;
  readonly contentType: string;
  readonly contentLength: number;
}

/** Whether the line `buf[start, firstLineEnd)` is a `WARC/x.y` line ending in CRLF. */
function isWarcLine(buf: Buffer, start: number, firstLineEnd: number): boolean {
  return (
    firstLineEnd - start >= WARC_SLASH.length + 2 &&
    buf[firstLineEnd - 2] === 0x0d &&
    buf.compare(WARC_SLASH, 0, WARC_SLASH.length, start, start + WARC_SLASH.length) === 0
  );
}

/** The fields of the header lines `buf[firstLineEnd, headEnd)`, or null when warcio must read the record. */
function warcFields(buf: Buffer, firstLineEnd: number, headEnd: number): WarcFields | null {
  const v = pickHeaders(buf, firstLineEnd, headEnd, WARC_FIELDS);
  if (v === null) return null;
  const lengthText = v[4];
  if (lengthText === undefined || !/^[0-9]{1,15}$/.test(lengthText)) return null;
  return { warcType: v[0] ?? '', targetUri: stripBrackets(v[1] ?? ''), date: v[2] ?? '', contentType: v[3] ?? '', contentLength: Number(lengthText) };
}

/** A record warcio reads (its header included), from its complete bytes. */
async function warcioWhole(bytes: Buffer, offset: number, header?: RecordHeader): Promise<ParsedRecord> {
  const one = await warcioOne((async function* () {
    yield bytes;
  })(), offset);
  if (one === null) throw new Error(`WARC record at offset ${offset} could not be re-read`);
  const h = header ?? one.header;
  return { header: h, offset, read: (maxBytes) => readPayload(one.record, h, maxBytes) };
}

/** A record whose header warcio must read first. */
type Deferred = () => Promise<ParsedRecord>;

/**
 * The record whose header block is `bytes[recordStart, blockStart)` (read into `f`) and whose block follows whole;
 * a `Deferred` when warcio reads this record to learn its header (HTTP headers the fast path does not read, or that
 * do not end inside the block).
 */
function recordOf(bytes: Buffer, recordStart: number, blockStart: number, f: WarcFields, offset: number): ParsedRecord | Deferred {
  const blockEnd = blockStart + f.contentLength;
  const header = (contentType: string): RecordHeader => ({ warcType: f.warcType, targetUri: f.targetUri, date: f.date, contentType });
  if (!isHttpRecord(f.warcType, f.contentLength)) return new SlicedRecord(header(f.contentType), offset, bytes.subarray(blockStart, blockEnd));

  const whole = bytes.subarray(recordStart, blockEnd);
  // HTTP headers that do not end inside the block (or an empty status line): warcio reads this record's bytes.
  const statusEnd = endOfLine(bytes, blockStart, blockEnd);
  if (statusEnd === -1 || bytes.toString('latin1', blockStart, statusEnd).trimEnd() === '') return () => warcioWhole(whole, offset);
  const httpEnd = endOfHeaderBlock(bytes, statusEnd, blockEnd);
  if (httpEnd === -1) return () => warcioWhole(whole, offset);
  const http = pickHeaders(bytes, statusEnd, httpEnd, HTTP_FIELDS);
  // The content type comes from HTTP headers the fast path does not read: warcio reads this record.
  if (http === null && f.warcType === 'response') return () => warcioWhole(whole, offset);
  const h = header(f.warcType === 'response' ? (http?.[0] ?? '') : f.contentType);
  // Chunked or content-encoded payload (or unusual HTTP headers): warcio decodes it.
  if (http === null || http[1] !== undefined || http[2] !== undefined) {
    return { header: h, offset, read: async (maxBytes) => (await warcioWhole(whole, offset, h)).read(maxBytes) };
  }
  return new SlicedRecord(h, offset, bytes.subarray(httpEnd, blockEnd));
}

/** The Content-Length of a header block the fast path does not read (folded or non-ASCII lines), or null. */
function lenientLength(buf: Buffer, firstLineEnd: number, headEnd: number): number | null {
  const m = /(?:^|\n)content-length[ \t]*:[ \t]*([0-9]{1,15})[ \t]*\r?\n/i.exec(buf.toString('latin1', firstLineEnd, headEnd));
  return m ? Number(m[1]) : null;
}

/** The outcome of reading at the queue's position: a record (and, for one streamed through warcio, how to skip its rest), or damage. */
type Step = { readonly record: ParsedRecord; readonly rest?: () => Promise<void> } | { readonly damage: RecordDamage['kind'] };

const startsWithWarc = (q: ByteQueue): boolean =>
  q.avail >= WARC_SLASH.length && q.buf.compare(WARC_SLASH, 0, WARC_SLASH.length, q.pos, q.pos + WARC_SLASH.length) === 0;

/**
 * Reads the record at the queue's position. On a record the queue is left just past its block (for a streamed one,
 * once `rest` has run); on damage, where it was.
 */
async function nextRecord(q: ByteQueue): Promise<Step> {
  // The first line, then the header lines up to the first CRLF CRLF after it, within MAX_HEADER_BYTES.
  let firstLineEnd: number;
  let headEnd: number;
  for (;;) {
    const limit = Math.min(q.buf.length, q.pos + MAX_HEADER_BYTES);
    firstLineEnd = endOfLine(q.buf, q.pos, limit);
    if (firstLineEnd !== -1 && !isWarcLine(q.buf, q.pos, firstLineEnd)) return { damage: 'not_warc' };
    if (firstLineEnd === -1 && q.avail >= WARC_SLASH.length && !startsWithWarc(q)) return { damage: 'not_warc' };
    headEnd = firstLineEnd === -1 ? -1 : endOfHeaderBlock(q.buf, firstLineEnd, limit);
    if (headEnd !== -1) break;
    if (q.avail >= MAX_HEADER_BYTES) return { damage: 'header_too_long' };
    if (!(await q.more())) {
      if (startsWithWarc(q)) throw new TruncatedRecordError(`the WARC record at uncompressed offset ${q.offset} is truncated: the input ends inside its header`);
      return { damage: 'not_warc' };
    }
  }
  const f = warcFields(q.buf, firstLineEnd, headEnd);
  const contentLength = f?.contentLength ?? lenientLength(q.buf, firstLineEnd, headEnd);
  if (contentLength === null) return { damage: 'bad_length' };
  const headLength = headEnd - q.pos;
  const total = headLength + contentLength;
  const offset = q.offset;
  const truncated = (): string =>
    `the WARC record at uncompressed offset ${offset} is truncated: Content-Length ${contentLength}, but the input ends ` +
    `${Math.max(0, q.offset - offset - headLength)} bytes into its block`;
  if (total > MAX_FAST_RECORD_BYTES) {
    // Too large to hold: warcio reads it from a stream of exactly its bytes; what the reader leaves is skipped.
    const bytes = q.take(total, truncated);
    const one = await warcioOne(bytes, offset);
    if (one === null) return { damage: 'bad_length' };
    const rest = async (): Promise<void> => {
      for await (const chunk of bytes) void chunk;
    };
    return { record: { header: one.header, offset, read: (maxBytes) => readPayload(one.record, one.header, maxBytes) }, rest };
  }
  if (!(await q.fill(total))) {
    q.pos += q.avail; // for the message: how far into the block the input ends
    throw new TruncatedRecordError(truncated());
  }
  const whole = q.buf.subarray(q.pos, q.pos + total);
  const record = f !== null ? recordOf(q.buf, q.pos, q.pos + headLength, f, offset) : () => warcioWhole(whole, offset);
  q.pos += total;
  return { record: typeof record === 'function' ? await record() : record };
}

/** A record of a batch: at hand, or still being read by warcio. */
export type BatchRecord = ParsedRecord | Promise<ParsedRecord>;

/**
 * The records of complete decompressed bytes (the members of one gzip batch) when they are framed exactly:
 * records back to back, each block followed by CRLF CRLF and then the next record or the end, every header
 * block one the fast path reads. Otherwise null, and the caller reads the bytes another way (nothing is lost).
 * Read synchronously, with no promise per record; every record's offset is `offset`.
 */
export function framedRecords(buf: Buffer, offset: number): BatchRecord[] | null {
  if (buf.length === 0) return null;
  const out: (ParsedRecord | Deferred)[] = [];
  let deferred = false;
  let pos = 0;
  while (pos < buf.length) {
    const firstLineEnd = endOfLine(buf, pos, buf.length);
    if (firstLineEnd === -1 || !isWarcLine(buf, pos, firstLineEnd)) return null;
    const headEnd = endOfHeaderBlock(buf, firstLineEnd, buf.length);
    if (headEnd === -1 || headEnd - pos > MAX_HEADER_BYTES) return null;
    const f = warcFields(buf, firstLineEnd, headEnd);
    if (f === null) return null;
    const blockEnd = headEnd + f.contentLength;
    if (blockEnd + 4 > buf.length || buf[blockEnd] !== 0x0d || buf[blockEnd + 1] !== 0x0a || buf[blockEnd + 2] !== 0x0d || buf[blockEnd + 3] !== 0x0a) {
      return null;
    }
    const record = recordOf(buf, pos, headEnd, f, offset);
    if (typeof record === 'function') deferred = true;
    out.push(record);
    pos = blockEnd + 4;
  }
  if (!deferred) return out as ParsedRecord[];
  return out.map((r) => {
    if (typeof r !== 'function') return r;
    const p = r();
    p.catch(() => undefined); // its error surfaces where the reader awaits it (or nowhere, if an earlier record fails the file)
    return p;
  });
}

/**
 * Whether one gzip member's bytes are framed well enough to read: one record whose Content-Length ends exactly at the
 * member's end (give or take the CRLFs), or several records back to back (then the record reader frames them).
 */
export function warcMemberFraming(data: Buffer): 'ok' | 'bad_length' | 'not_warc' {
  if (data.length === 0 || !data.subarray(0, 5).equals(WARC_SLASH)) return 'not_warc';
  const headEnd = data.indexOf('\r\n\r\n', 0, 'latin1');
  if (headEnd < 0) return 'bad_length';
  const m = /\r\nContent-Length:[ \t]*(\d+)/i.exec(data.toString('latin1', 0, headEnd));
  if (!m) return 'bad_length';
  const end = headEnd + 4 + Number(m[1]);
  if (end > data.length) return 'bad_length';
  for (let i = end; i < data.length; i++) {
    const c = data[i];
    if (c === 0x0d || c === 0x0a) continue;
    return data.subarray(i, i + 5).equals(WARC_SLASH) ? 'ok' : 'bad_length';
  }
  return 'ok';
}

/**
 * Skips what follows a record's block: CRs and LFs, then, unless the next record starts there, everything up to the
 * next line that starts with `WARC/`. Returns the bytes skipped that were not CRs or LFs.
 */
async function skipBetweenRecords(q: ByteQueue): Promise<number> {
  for (;;) {
    while (q.avail > 0 && (q.buf[q.pos] === 0x0d || q.buf[q.pos] === 0x0a)) q.pos++;
    if (q.avail > 0 || !(await q.more())) break;
  }
  if (q.avail === 0) return 0;
  await q.fill(WARC_SLASH.length);
  return startsWithWarc(q) ? 0 : q.skipToRecordStart();
}

/** Yields the records of a plain WARC/WAT/WET byte stream. */
export async function* parseRecords(plain: AsyncIterable<Uint8Array>, opts: ParseOptions = {}): AsyncGenerator<ParsedRecord> {
  const q = new ByteQueue(plain[Symbol.asyncIterator]());
  await q.fill(1);
  while (q.avail > 0) {
    const at = q.offset;
    const step = await nextRecord(q);
    if ('damage' in step) {
      const bytes = await q.skipToRecordStart(); // moves at least one byte: the loop always ends
      opts.onSkipped?.({ kind: step.damage, offset: at, bytes });
    } else {
      yield step.record;
      if (step.rest) await step.rest();
      const end = q.offset;
      const junk = await skipBetweenRecords(q);
      if (junk > 0) opts.onMisframed?.(end, junk);
    }
    if (q.avail === 0) await q.fill(1);
  }
}
