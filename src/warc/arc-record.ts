/**
 * An ARC record's content as the records the job reads from WARC: an http(s) capture is a `response` (the HTTP body
 * as payload, the HTTP Content-Type as content type, the URL as target and the Archive-date as date); the version
 * block (`filedesc://`) is a `warcinfo`; any other capture (dns:, ftp:, ...) a `resource`, which the job skips.
 * HTTP heads are read leniently (LF or CRLF lines, as old servers and ARC writers left them); a chunked or
 * content-encoded body is decoded by warcio, from this record's bytes alone.
 */
import type { RecordHeader, RecordView } from '../job/types.js';
import type { ArcHeader } from './arc-header.js';
import { MAX_HEADER_BYTES, SlicedRecord, type ParsedRecord } from './records.js';
import { decodedHttpPayload } from './warcio-reader.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const HTTP_SLASH = Buffer.from('HTTP/', 'latin1');
/** Header names longer than this are not among those read. */
const MAX_NAME = 20;

export interface HttpHead {
  /** Where the body starts (just past the empty line ending the head); -1 when no empty line ends it within the content and MAX_HEADER_BYTES. */
  readonly bodyStart: number;
  /** The Content-Type header ('' when absent; repeated ones joined with ", "). */
  readonly contentType: string;
  /** Whether the body is chunked or content-encoded (warcio decodes it). */
  readonly encoded: boolean;
}

/** The head of the HTTP response in `buf[start, end)`, or null when the bytes do not start with a status line. */
export function httpHead(buf: Buffer, start: number, end: number): HttpHead | null {
  if (end - start < HTTP_SLASH.length || buf.compare(HTTP_SLASH, 0, HTTP_SLASH.length, start, start + HTTP_SLASH.length) !== 0) return null;
  const limit = Math.min(end, start + MAX_HEADER_BYTES);
  let contentType: string | undefined;
  let encoded = false;
  let pos = start;
  for (let first = true; ; first = false) {
    const lf = buf.indexOf(LF, pos);
    if (lf === -1 || lf >= limit) return { bodyStart: -1, contentType: contentType ?? '', encoded };
    const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    if (!first) {
      if (lineEnd === pos) return { bodyStart: lf + 1, contentType: contentType ?? '', encoded };
      const colon = buf.subarray(pos, Math.min(lineEnd, pos + MAX_NAME + 1)).indexOf(COLON);
      if (colon > 0) {
        const name = buf.toString('latin1', pos, pos + colon).trim().toLowerCase();
        if (name === 'content-type' || name === 'content-encoding' || name === 'transfer-encoding') {
          const value = buf.toString('latin1', pos + colon + 1, lineEnd).trim();
          if (name === 'content-type') {
            if (value !== '') contentType = contentType === undefined ? value : `${contentType}, ${value}`;
          } else if (value !== '' && value.toLowerCase() !== 'identity') {
            encoded = true;
          }
        }
      }
    }
    pos = lf + 1;
  }
}

/** The record header of an ARC record; `contentType` for `response` records is the HTTP one. */
function headerOf(h: ArcHeader, httpContentType?: string): RecordHeader {
  const warcType = h.kind === 'http' ? 'response' : h.kind === 'filedesc' ? 'warcinfo' : 'resource';
  return { warcType, targetUri: h.url, date: h.date, contentType: httpContentType ?? h.contentType };
}

/** The head `buf[start, end)` with every line ending in CRLF, as warcio reads heads. */
function crlfHead(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.toString('latin1', start, end).replace(/\r?\n/g, '\r\n'), 'latin1');
}

async function* bytesOf(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) if (p.length > 0) yield p;
}

/** The record whose content is `buf[contentStart, contentStart + h.length)` (all at hand). */
export function arcRecord(buf: Buffer, contentStart: number, h: ArcHeader, offset: number): ParsedRecord {
  const contentEnd = contentStart + h.length;
  const content = buf.subarray(contentStart, contentEnd);
  if (h.kind !== 'http') return new SlicedRecord(headerOf(h), offset, content);
  const head = httpHead(buf, contentStart, contentEnd);
  // No status line: the content is the payload, typed by the ARC header.
  if (head === null) return new SlicedRecord(headerOf(h), offset, content);
  const header = headerOf(h, head.contentType);
  if (head.bodyStart === -1) return new SlicedRecord(header, offset, content.subarray(content.length));
  if (!head.encoded) return new SlicedRecord(header, offset, buf.subarray(head.bodyStart, contentEnd));
  const http = Buffer.concat([crlfHead(buf, contentStart, head.bodyStart), buf.subarray(head.bodyStart, contentEnd)]);
  return { header, offset, read: (maxBytes) => decodedHttpPayload(bytesOf(http), http.length, header, offset, maxBytes) };
}

/** Pulls from `it` until `n` bytes are held (fewer at its end); never closes it. */
async function gather(it: AsyncIterator<Uint8Array>, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done === true) break;
    parts.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    have += r.value.byteLength;
  }
  return Buffer.concat(parts, have);
}

/** `first`, then what `it` yields, up to `maxBytes`; never closes `it` (the caller skips what is left). */
async function readUpTo(header: RecordHeader, first: Buffer, it: AsyncIterator<Uint8Array>, maxBytes: number): Promise<RecordView> {
  const parts: Buffer[] = [];
  let total = 0;
  let truncated = false;
  let next: Buffer | null = first;
  while (next !== null) {
    const room = maxBytes - total;
    if (next.length > room) {
      parts.push(next.subarray(0, room));
      total += room;
      truncated = true;
      break;
    }
    parts.push(next);
    total += next.length;
    const r = await it.next();
    next = r.done === true ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
  }
  return { ...header, payload: Buffer.concat(parts, total), truncated };
}

/**
 * A record too large to hold, whose content `content` yields (exactly `h.length` bytes): its HTTP head is read from
 * the first MAX_HEADER_BYTES, its payload up to the byte limit on `read`; `rest` skips what is left unread.
 */
export async function streamedArcRecord(h: ArcHeader, offset: number, content: AsyncGenerator<Uint8Array>): Promise<{ record: ParsedRecord; rest: () => Promise<void> }> {
  const rest = async (): Promise<void> => {
    while ((await content.next()).done !== true);
  };
  const none = Buffer.alloc(0);
  if (h.kind !== 'http') {
    const header = headerOf(h);
    return { record: { header, offset, read: (maxBytes) => readUpTo(header, none, content, maxBytes) }, rest };
  }
  const first = await gather(content, Math.min(h.length, MAX_HEADER_BYTES));
  const head = httpHead(first, 0, first.length);
  if (head === null) {
    const header = headerOf(h);
    return { record: { header, offset, read: (maxBytes) => readUpTo(header, first, content, maxBytes) }, rest };
  }
  const header = headerOf(h, head.contentType);
  if (head.bodyStart === -1) return { record: new SlicedRecord(header, offset, none), rest };
  const body = first.subarray(head.bodyStart);
  if (!head.encoded) return { record: { header, offset, read: (maxBytes) => readUpTo(header, body, content, maxBytes) }, rest };
  const crlf = crlfHead(first, 0, head.bodyStart);
  const http = (async function* () {
    yield crlf;
    if (body.length > 0) yield body;
    for (let r = await content.next(); r.done !== true; r = await content.next()) yield r.value;
  })();
  const length = crlf.length + h.length - head.bodyStart;
  return { record: { header, offset, read: (maxBytes) => decodedHttpPayload(http, length, header, offset, maxBytes) }, rest };
}
