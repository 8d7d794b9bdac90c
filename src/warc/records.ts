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
import { endOfHeaderBlock, endOfLine, parseSimpleHeaders, type SimpleHeaders } from './headers.js';

export interface ParsedRecord {
  readonly header: RecordHeader;
  /** Uncompressed offset of the record in the input. */
  readonly offset: number;
  /** Reads the payload (decoded from chunked/content-encoding for HTTP records), at most `maxBytes`. */
  read(maxBytes: number): Promise<RecordView>;
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

function sliceView(header: RecordHeader, payload: Buffer, maxBytes: number): RecordView {
  const truncated = payload.length > maxBytes;
  return { ...header, payload: truncated ? payload.subarray(0, maxBytes) : payload, truncated };
}

const isHttpRecord = (warcType: string, contentLength: number): boolean =>
  warcType === 'response' || warcType === 'request' || (warcType === 'revisit' && contentLength > 0);

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
  const start = q.pos;
  const buf = q.buf;
  if (firstLineEnd - start < WARC_SLASH.length + 2 || buf[firstLineEnd - 2] !== 0x0d) return null;
  if (buf.compare(WARC_SLASH, 0, WARC_SLASH.length, start, start + WARC_SLASH.length) !== 0) return null;
  const warc = parseSimpleHeaders(buf, firstLineEnd, headEnd);
  if (warc === null) return null;
  const lengthText = warc.get('content-length');
  if (lengthText === undefined || !/^[0-9]{1,15}$/.test(lengthText)) return null;
  const contentLength = Number(lengthText);
  const headLength = headEnd - start;
  if (headLength + contentLength > MAX_FAST_RECORD_BYTES) return null;
  if (!(await q.fill(headLength + contentLength))) {
    throw new TruncatedRecordError(
      `the WARC record at uncompressed offset ${q.offset} is truncated: Content-Length ${contentLength}, ` +
        `but the input ends ${Math.max(0, q.avail - headLength)} bytes into its block`,
    );
  }
  const offset = q.offset;
  const recordStart = q.pos;
  const blockStart = recordStart + headLength;
  const blockEnd = blockStart + contentLength;
  const bytes = q.buf; // q.buf may be replaced by later reads; slices of this one stay valid
  const warcType = warc.get('warc-type') ?? '';
  const header = (contentType: string): RecordHeader => ({
    warcType,
    targetUri: stripBrackets(warc.get('warc-target-uri') ?? ''),
    date: warc.get('warc-date') ?? '',
    contentType,
  });

  if (!isHttpRecord(warcType, contentLength)) {
    q.pos = blockEnd;
    const h = header(warc.get('content-type') ?? '');
    const payload = bytes.subarray(blockStart, blockEnd);
    return { header: h, offset, read: async (maxBytes) => sliceView(h, payload, maxBytes) };
  }

  // warcio reads the HTTP status line and headers from the stream, not from the block: they must end inside it.
  const statusEnd = endOfLine(bytes, blockStart, blockEnd);
  if (statusEnd === -1 || bytes.toString('latin1', blockStart, statusEnd).trimEnd() === '') return null;
  const httpEnd = endOfHeaderBlock(bytes, statusEnd, blockEnd);
  if (httpEnd === -1) return null;
  q.pos = blockEnd;
  const http: SimpleHeaders | null = parseSimpleHeaders(bytes, statusEnd, httpEnd);
  const whole = (): Buffer => bytes.subarray(recordStart, blockEnd);

  if (http === null && warcType === 'response') {
    // The content type comes from HTTP headers the fast path does not read: warcio reads this record.
    const record = await warcioRecord(whole());
    if (record === null) throw new Error(`WARC record at offset ${offset} could not be re-read`);
    const h = headerOf(record);
    return { header: h, offset, read: (maxBytes) => readPayload(record, h, maxBytes) };
  }
  const h = header(warcType === 'response' ? (http?.get('content-type') ?? '') : (warc.get('content-type') ?? ''));
  const encoded = http === null || http.has('content-encoding') || http.has('transfer-encoding');
  if (encoded) {
    // Chunked or content-encoded payload (or unusual HTTP headers): warcio decodes it.
    return {
      header: h,
      offset,
      read: async (maxBytes) => {
        const record = await warcioRecord(whole());
        if (record === null) throw new Error(`WARC record at offset ${offset} could not be re-read`);
        return readPayload(record, h, maxBytes);
      },
    };
  }
  const payload = bytes.subarray(httpEnd, blockEnd);
  return { header: h, offset, read: async (maxBytes) => sliceView(h, payload, maxBytes) };
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
