/**
 * warcio, for what the hand-written framing does not read itself (folded or non-ASCII headers, chunked or
 * content-encoded HTTP payloads, records too large to hold). The record reader gives it ONE record's bytes at a time,
 * never the rest of a stream: warcio's skip between records loops forever at an early end of input, and its line
 * reader holds a line of any length.
 */
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';
import type { RecordHeader, RecordView } from '../job/types.js';

export function stripBrackets(uri: string): string {
  return uri.length >= 2 && uri.startsWith('<') && uri.endsWith('>') ? uri.slice(1, -1) : uri;
}

export function headerOf(record: WARCRecord): RecordHeader {
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

/** The record's payload (decoded for HTTP records), at most `maxBytes` of it. */
export async function readPayload(record: WARCRecord, header: RecordHeader, maxBytes: number): Promise<RecordView> {
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

/** Calls of `next()` after the end that a normal end of parsing makes (warcio asks again a few times); more is a loop. */
const CALLS_AFTER_END = 64;

/**
 * The source as warcio reads it, ending its endless loops: once the source has ended, warcio asking for more again and
 * again (its skip of a record cut short awaits an empty read in a loop, starving the event loop) fails instead.
 */
export function endGuarded(source: AsyncIterable<Uint8Array>, what: () => string): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let afterEnd = -1;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (afterEnd >= 0) {
            if (++afterEnd > CALLS_AFTER_END) throw new Error(`${what()}: warcio kept reading past the end of the input`);
            return { done: true, value: undefined };
          }
          const r = await it.next();
          if (r.done === true) afterEnd = 0;
          return r;
        },
      };
    },
  };
}

/** One record read by warcio from a stream holding exactly its bytes; null when warcio finds no record there. */
export async function warcioOne(bytes: AsyncIterable<Uint8Array>, offset: number): Promise<{ record: WARCRecord; header: RecordHeader } | null> {
  const guarded = endGuarded(bytes, () => `the WARC record at uncompressed offset ${offset}`);
  const record = await new WARCParser(new AsyncIterReader(guarded, null), { parseHttp: true }).parse();
  return record === null ? null : { record, header: headerOf(record) };
}

/**
 * The payload of an HTTP response given as its `length` bytes (an ARC record's content, its head in CRLF lines),
 * decoded by warcio (chunked transfer coding, content encodings): warcio reads it as the block of a WARC response
 * record made around it, whose header is ours (`header`).
 */
export async function decodedHttpPayload(http: AsyncIterable<Uint8Array>, length: number, header: RecordHeader, offset: number, maxBytes: number): Promise<RecordView> {
  const head = Buffer.from(`WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: ${length}\r\n\r\n`, 'latin1');
  const one = await warcioOne((async function* () {
    yield head;
    yield* http;
  })(), offset);
  if (one === null) throw new Error(`the HTTP response of the record at offset ${offset} could not be decoded`);
  return readPayload(one.record, header, maxBytes);
}

/**
 * The records of a whole byte stream, as warcio alone reads them (the reference the hand-written framing is tested
 * against; the pipeline does not use it); offsets are counted from `baseOffset`.
 */
export async function* warcioRecords(plain: AsyncIterable<Uint8Array>, baseOffset = 0): AsyncGenerator<{ header: RecordHeader; offset: number; read(maxBytes: number): Promise<RecordView> }> {
  const parser = new WARCParser(new AsyncIterReader(endGuarded(plain, () => 'warcio'), null), { parseHttp: true });
  for await (const record of parser) {
    const header = headerOf(record);
    yield { header, offset: baseOffset + parser.offset, read: (maxBytes) => readPayload(record, header, maxBytes) };
  }
}
