/**
 * The records of one input, whatever its form: gzip with one member per record (Common Crawl's layout) is read member
 * by member so damage stays inside its member (see members.ts); from a member too large to hold whole (a whole file
 * gzipped as one member) on, and for plain WARC, the input is read as one stream. Input that is neither gzip nor WARC fails at once, at offset 0.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { decodeInput, peekFirstChunk } from './decompress.js';
import { gzipMembers, MemberTooLargeError, TruncatedInputError, type MemberDamage } from './members.js';
import { framedRecords, parseRecords, type BatchRecord, type ParsedRecord, type ParseOptions } from './records.js';

export interface InputRecordsOptions extends ParseOptions {
  /** Largest inflated gzip member read (larger ones are skipped as damage). */
  readonly maxMemberBytes: number;
  /** Record-level damage that was skipped. */
  readonly onDamage: (d: MemberDamage | { kind: 'bad_length' | 'not_warc'; offset: number; /** A member's first bytes (to name the format). */ head?: string }) => void;
}

export interface InputRecords {
  readonly gzipped: boolean;
  /**
   * The records in input order, a batch at a time: the records of a run of gzip members read at once (framed
   * without a promise per record), or a single record. A record warcio is still reading comes as a promise.
   */
  readonly batches: AsyncGenerator<readonly BatchRecord[]>;
  /** Input bytes consumed so far (an offset to name in errors). */
  compressedOffset(): number;
  destroy(): void;
}

/** An input that cannot be read on (not a WARC, cut short): the file fails, naming the offset. */
export class InputFramingError extends Error {
  override readonly name = 'InputFramingError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WARC_SLASH = Buffer.from('WARC/');

/**
 * Whether a member's bytes are well framed: one record whose Content-Length ends exactly at the member's end (give or
 * take the CRLFs), or several records back to back (then the record reader frames them).
 */
function framingOf(data: Buffer): 'ok' | 'bad_length' | 'not_warc' {
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

/** The record with another offset (records may be class instances: their methods are not own properties to spread). */
function atOffset(rec: ParsedRecord, offset: number): ParsedRecord {
  const { readSync } = rec;
  return {
    header: rec.header,
    offset,
    read: (maxBytes) => rec.read(maxBytes),
    ...(readSync ? { readSync: (maxBytes: number) => readSync.call(rec, maxBytes) } : {}),
  };
}

async function* memberRecords(source: AsyncIterable<Uint8Array>, opts: InputRecordsOptions): AsyncGenerator<readonly BatchRecord[]> {
  try {
    yield* eachMember(source, opts);
  } catch (err) {
    if (!(err instanceof MemberTooLargeError)) throw err;
    // A member too large to hold (e.g. a whole file gzipped as one member): stream the rest through one gunzip.
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    const fed = pipeline(Readable.from(err.rest), gunzip);
    fed.catch(() => undefined); // its error surfaces on `gunzip`, which the parser reads
    for await (const rec of parseRecords(gunzip, opts)) yield [atOffset(rec, err.offset + rec.offset)];
  }
}

async function* eachMember(source: AsyncIterable<Uint8Array>, opts: InputRecordsOptions): AsyncGenerator<readonly BatchRecord[]> {
  for await (const member of gzipMembers(source, { ...opts, readBatch: framedRecords })) {
    if (member.batch !== undefined) {
      yield member.batch;
      continue;
    }
    const framing = framingOf(member.data);
    if (framing !== 'ok') {
      opts.onDamage({ kind: framing, offset: member.offset, head: member.data.subarray(0, 16).toString('latin1') });
      continue;
    }
    const framed = framedRecords(member.data, member.offset);
    if (framed !== null) {
      yield framed;
      continue;
    }
    const one = (async function* () {
      yield member.data;
    })();
    for await (const rec of parseRecords(one, opts)) yield [atOffset(rec, member.offset)];
  }
}

export async function inputRecords(source: Readable, opts: InputRecordsOptions): Promise<InputRecords> {
  const head = await peekFirstChunk(source);
  if (head !== null && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    let bytesRead = 0;
    const counted = (async function* () {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytesRead += chunk.length;
        yield chunk;
      }
    })();
    return {
      gzipped: true,
      batches: (async function* () {
        try {
          yield* memberRecords(counted, opts);
        } catch (err) {
          if (err instanceof TruncatedInputError) throw new InputFramingError(err.message, err.offset);
          throw err;
        }
      })(),
      compressedOffset: () => bytesRead,
      destroy: () => source.destroy(),
    };
  }
  const decoded = await decodeInput(source);
  let first = true;
  const plain = decoded.stream;
  return {
    gzipped: false,
    batches: (async function* () {
      for await (const rec of parseRecords(checkWarcStart(plain, () => first, () => (first = false)), opts)) yield [rec];
    })(),
    compressedOffset: () => decoded.compressedOffset(),
    destroy: () => {
      plain.destroy();
      source.destroy();
    },
  };
}

/** Passes chunks through, failing at offset 0 when the input does not begin like a WARC file. */
async function* checkWarcStart(src: AsyncIterable<Uint8Array>, isFirst: () => boolean, seen: () => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of src) {
    if (isFirst() && chunk.length > 0) {
      seen();
      const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let i = 0;
      while (i < b.length && (b[i] === 0x0d || b[i] === 0x0a)) i++;
      if (i < b.length && !b.subarray(i, i + 5).equals(WARC_SLASH.subarray(0, Math.min(5, b.length - i)))) {
        throw new InputFramingError(`not a WARC/WAT/WET file (neither gzip nor a WARC record at its start)`, 0);
      }
    }
    yield chunk;
  }
}
