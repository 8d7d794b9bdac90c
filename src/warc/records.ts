/**
 * Iterates the records of plain WARC bytes, exposing each as a header-level view first and reading its payload
 * only on request, up to a byte limit.
 *
 * Two readers give the same records:
 * - the fast path (this file): frames records itself on the decompressed chunks, reads simple header blocks by
 *   hand (`headers.ts`) and slices payloads by Content-Length, with no copy and no per-chunk promise;
 * - warcio (`warcioRecords`), which reads anything the fast path does not take on: folded or non-ASCII headers,
 *   chunked or content-encoded HTTP payloads (that record only), and from the first damaged spot on (missing
 *   Content-Length, HTTP headers running past the block) the rest of the stream.
 * A record cut short by the end of the input fails with TruncatedRecordError (warcio would wait forever).
 * Between records, the bytes after a record's block are skipped exactly as warcio skips them (its CRLFs, and
 * leftover bytes when a Content-Length was too small), and reported through `onMisframed`.
 */
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';
import type { RecordHeader, RecordView } from '../job/types.js';
import { endOfHeaderBlock, endOfLine, headerNames, pickHeaders } from './headers.js';

export interface ParsedRecord {
  readonly header: RecordHeader;
  /** Uncompressed offset of the record in the input. */
  readonly offset: number;
  /** Reads the payload (decoded from chunked/content-encoding for HTTP records), at most `maxBytes`. */
  read(maxBytes: number): Promise<RecordView>;
  /** Present when the payload is at hand: `read` without a promise. */
  readSync?(maxBytes: number): RecordView;
}

export interface ParseOptions {
  /** Called when bytes other than CRLFs follow a record's block (its Content-Length was too small). */
  readonly onMisframed?: (offset: number, bytes: number) => void;
}

/** Header blocks longer than this are left to warcio. */
const MAX_HEADER_BYTES = 1 << 20;
/** Records longer than this are left to warcio (which streams them instead of holding them whole). */
const MAX_FAST_RECORD_BYTES = 64 << 20;
const WARC_SLASH = Buffer.from('WARC/', 'latin1');

function stripBrackets(uri: string): string {
  return uri.length >= 2 && uri.startsWith('<') && uri.endsWith('>') ? uri.slice(1, -1) : uri;
}

// ---- warcio ---------------------------------------------------------------------------------------------------

function headerOf(record: WARCRecord): RecordHeader {
  const warcType = record.warcType ?? '';
  const contentType =
    warcType === 'response' && record.httpHeaders
      ? (record.httpHeaders.headers.get('content-type') ?? '')
      : (record.warcContentType ?? '');
  return {
    warcType,
    targetUri: stripBrackets(record.warcTargetURI ?? ''),
    date: record.warcDate ?? '',
    contentType,
  };
}

async function readPayload(record: WARCRecord, header: RecordHeader, maxBytes: number): Promise<RecordView> {
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  const source = record.httpHeaders ? record.contentReader : record.reader;
  for await (const chunk of source) {
    const room = maxBytes - total;
    if (chunk.length > room) {
      if (room > 0) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, room));
      total += Math.max(room, 0);
      truncated = true;
      break;
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    total += chunk.length;
  }
  const payload = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
  return { ...header, payload, truncated };
}

/** The records of a byte stream, read by warcio; offsets are counted from `baseOffset`. */
export async function* warcioRecords(plain: AsyncIterable<Uint8Array>, baseOffset = 0): AsyncGenerator<ParsedRecord> {
  const parser = new WARCParser(new AsyncIterReader(plain, null), { parseHttp: true });
  for await (const record of parser) {
    const header = headerOf(record);
    yield { header, offset: baseOffset + parser.offset, read: (maxBytes) => readPayload(record, header, maxBytes) };
  }
}

/** One complete record's bytes, read by warcio alone. */
async function warcioRecord(bytes: Buffer): Promise<WARCRecord | null> {
  const parser = new WARCParser(new AsyncIterReader([bytes], null), { parseHttp: true });
  return parser.parse();
}

// ---- fast path ------------------------------------------------------------------------------------------------

/** The decompressed bytes not yet consumed, pulled from the source chunk by chunk. */
class ByteQueue {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Input offset of `buf[0]`. */
  base = 0;
  done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get avail(): number {
    return this.buf.length - this.pos;
  }

  /** Input offset of `buf[pos]`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Pulls one more chunk; false at the end of the source. */
  async more(): Promise<boolean> {
    return this.fill(this.avail + 1);
  }

  /** Makes at least `n` bytes available from `pos` (fewer only at the end of the source); false when short. */
  async fill(n: number): Promise<boolean> {
    if (this.avail >= n) return true;
    const parts: Buffer[] = this.avail > 0 ? [this.buf.subarray(this.pos)] : [];
    let have = this.avail;
    while (have < n && !this.done) {
      const next = await this.source.next();
      if (next.done === true) {
        this.done = true;
        break;
      }
      const v = next.value;
      const chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      parts.push(chunk);
      have += chunk.length;
    }
    this.base += this.pos;
    this.buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have); // [] -> empty
    this.pos = 0;
    return have >= n;
  }

  /** What is left: the unconsumed bytes, then the rest of the source. */
  async *rest(): AsyncGenerator<Uint8Array> {
    if (this.avail > 0) yield this.buf.subarray(this.pos);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    while (!this.done) {
      const next = await this.source.next();
      if (next.done === true) {
        this.done = true;
        return;
      }
      yield next.value;
    }
  }
}

/** The input ends inside a record: the file cannot be read to its end (warcio, given the same bytes, never returns). */
export class TruncatedRecordError extends Error {
  override readonly name = 'TruncatedRecordError';
}

/** A record whose payload is at hand (a slice of the decompressed bytes): read without a promise. */
class SlicedRecord implements ParsedRecord {
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
  const record = await warcioRecord(bytes);
  if (record === null) throw new Error(`WARC record at offset ${offset} could not be re-read`);
  const h = header ?? headerOf(record);
  return { header: h, offset, read: (maxBytes) => readPayload(record, h, maxBytes) };
}

/** A record whose header warcio must read first. */
type Deferred = () => Promise<ParsedRecord>;

/**
 * The record whose header block is `bytes[recordStart, blockStart)` (read into `f`) and whose block follows whole.
 * Null when warcio must read the stream from this record on; a `Deferred` when warcio reads this record alone
 * to learn its header (HTTP headers the fast path does not read).
 */
function recordOf(bytes: Buffer, recordStart: number, blockStart: number, f: WarcFields, offset: number): ParsedRecord | Deferred | null {
  const blockEnd = blockStart + f.contentLength;
  const header = (contentType: string): RecordHeader => ({ warcType: f.warcType, targetUri: f.targetUri, date: f.date, contentType });
  if (!isHttpRecord(f.warcType, f.contentLength)) return new SlicedRecord(header(f.contentType), offset, bytes.subarray(blockStart, blockEnd));

  // warcio reads the HTTP status line and headers from the stream, not from the block: they must end inside it.
  const statusEnd = endOfLine(bytes, blockStart, blockEnd);
  if (statusEnd === -1 || bytes.toString('latin1', blockStart, statusEnd).trimEnd() === '') return null;
  const httpEnd = endOfHeaderBlock(bytes, statusEnd, blockEnd);
  if (httpEnd === -1) return null;
  const http = pickHeaders(bytes, statusEnd, httpEnd, HTTP_FIELDS);
  const whole = bytes.subarray(recordStart, blockEnd);
  // The content type comes from HTTP headers the fast path does not read: warcio reads this record.
  if (http === null && f.warcType === 'response') return () => warcioWhole(whole, offset);
  const h = header(f.warcType === 'response' ? (http?.[0] ?? '') : f.contentType);
  // Chunked or content-encoded payload (or unusual HTTP headers): warcio decodes it.
  if (http === null || http[1] !== undefined || http[2] !== undefined) {
    return { header: h, offset, read: async (maxBytes) => (await warcioWhole(whole, offset, h)).read(maxBytes) };
  }
  return new SlicedRecord(h, offset, bytes.subarray(httpEnd, blockEnd));
}

/**
 * Reads the record at the queue's position, or returns null (nothing consumed) when warcio must take over
 * from here on. On success the queue is left just past the record's block.
 */
async function fastRecord(q: ByteQueue): Promise<ParsedRecord | null> {
  // As warcio: the first line, then the header lines up to the first CRLF CRLF after it.
  let firstLineEnd = -1;
  let headEnd = -1;
  for (;;) {
    firstLineEnd = endOfLine(q.buf, q.pos, q.buf.length);
    if (firstLineEnd !== -1) headEnd = endOfHeaderBlock(q.buf, firstLineEnd, q.buf.length);
    if (headEnd !== -1) break;
    if (q.avail > MAX_HEADER_BYTES) return null;
    if (!(await q.more())) {
      // The input ends inside what starts like a WARC header (warcio would wait forever for the rest).
      if (q.avail >= WARC_SLASH.length && q.buf.compare(WARC_SLASH, 0, WARC_SLASH.length, q.pos, q.pos + WARC_SLASH.length) === 0) {
        throw new TruncatedRecordError(`the WARC record at uncompressed offset ${q.offset} is truncated: the input ends inside its header`);
      }
      return null;
    }
  }
  if (!isWarcLine(q.buf, q.pos, firstLineEnd)) return null;
  const f = warcFields(q.buf, firstLineEnd, headEnd);
  if (f === null) return null;
  const headLength = headEnd - q.pos;
  if (headLength + f.contentLength > MAX_FAST_RECORD_BYTES) return null;
  if (!(await q.fill(headLength + f.contentLength))) {
    throw new TruncatedRecordError(
      `the WARC record at uncompressed offset ${q.offset} is truncated: Content-Length ${f.contentLength}, ` +
        `but the input ends ${Math.max(0, q.avail - headLength)} bytes into its block`,
    );
  }
  const record = recordOf(q.buf, q.pos, q.pos + headLength, f, q.offset);
  if (record === null) return null;
  q.pos += headLength + f.contentLength;
  return typeof record === 'function' ? record() : record;
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
    if (record === null) return null;
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

/** Length of the line at the queue's position (through its `\n`, or to the end of the input); 0 at the end. */
async function lineLength(q: ByteQueue): Promise<number> {
  for (;;) {
    const end = endOfLine(q.buf, q.pos, q.buf.length);
    if (end !== -1) return end - q.pos;
    if (!(await q.more())) return q.avail;
  }
}

/**
 * Skips what follows a record's block the way warcio does on plain input: one line (unless it is a 10-byte
 * `WARC/x.y` line: the next record), then every 2-byte line. Returns the bytes skipped that were not line ends.
 */
async function skipToNextRecord(q: ByteQueue): Promise<number> {
  const first = await lineLength(q);
  if (first === 0) return 0;
  if (first === 10 && q.buf.compare(WARC_SLASH, 0, WARC_SLASH.length, q.pos, q.pos + WARC_SLASH.length) === 0) return 0;
  let junk = first;
  while (junk > 0 && (q.buf[q.pos + junk - 1] === 0x0a || q.buf[q.pos + junk - 1] === 0x0d)) junk--;
  q.pos += first;
  while ((await lineLength(q)) === 2) q.pos += 2;
  return junk;
}

/** Yields the records of a plain WARC/WAT/WET byte stream. */
export async function* parseRecords(plain: AsyncIterable<Uint8Array>, opts: ParseOptions = {}): AsyncGenerator<ParsedRecord> {
  const q = new ByteQueue(plain[Symbol.asyncIterator]());
  await q.fill(1);
  while (q.avail > 0) {
    const record = await fastRecord(q);
    if (record === null) {
      yield* warcioRecords(q.rest(), q.offset);
      return;
    }
    yield record;
    const at = q.offset;
    const junk = await skipToNextRecord(q);
    if (junk > 0) opts.onMisframed?.(at, junk);
    if (q.avail === 0) await q.fill(1);
  }
}
