/**
 * Iterates the records of plain WARC bytes with warcio (record framing and headers), exposing each as a
 * header-level view first and reading its payload only on request, up to a byte limit.
 */
import type { Readable } from 'node:stream';
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';
import type { RecordHeader, RecordView } from '../job/types.js';

export interface ParsedRecord {
  readonly header: RecordHeader;
  /** Uncompressed offset of the record in the input. */
  readonly offset: number;
  /** Reads the payload (decoded from chunked/content-encoding for HTTP records), at most `maxBytes`. */
  read(maxBytes: number): Promise<RecordView>;
}

function stripBrackets(uri: string): string {
  return uri.length >= 2 && uri.startsWith('<') && uri.endsWith('>') ? uri.slice(1, -1) : uri;
}

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

/** Yields the records of a plain WARC/WAT/WET byte stream. */
export async function* parseRecords(plain: Readable): AsyncGenerator<ParsedRecord> {
  const parser = new WARCParser(new AsyncIterReader(plain, null), { parseHttp: true });
  for await (const record of parser) {
    const header = headerOf(record);
    yield { header, offset: parser.offset, read: (maxBytes) => readPayload(record, header, maxBytes) };
  }
}
