/**
 * The records of one input, whatever its form and format. Gzip with one member per record (Common Crawl's layout, and
 * ARC's) is read member by member so damage stays inside its member (see members.ts); from a member too large to hold
 * whole (a whole file gzipped as one member) on, and for plain input, the input is read as one stream.
 *
 * The format (WARC, or ARC: format.ts) is decided once per input, by its first bytes, or for gzip by the first member
 * that is either; its framing (records.ts, arc.ts) then reads every record. Plain input that is neither fails at once,
 * at offset 0, naming what it looks like; so does a member too large to hold when no member before it was either.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { arcFramedRecords, arcMemberFraming, parseArcRecords } from './arc.js';
import { decodeInput, peekFirstChunk } from './decompress.js';
import { describeBytes, enoughToSniff, hasContent, peekBytes, sniffFormat, type ArchiveFormat } from './format.js';
import type { Inflate } from './inflate.js';
import { gzipMembers, MemberTooLargeError, TruncatedInputError, type MemberDamage } from './members.js';
import { framedRecords, parseRecords, warcMemberFraming, type BatchRecord, type ParsedRecord, type ParseOptions } from './records.js';

/** A member that is not a readable record of the input's format (or of either format, before the format is known). */
export interface MemberFramingDamage {
  readonly kind: 'bad_length' | 'not_warc' | 'not_arc';
  readonly offset: number;
  /** The member's first bytes (to name the format). */
  readonly head?: Buffer;
}

export interface InputRecordsOptions extends ParseOptions {
  /** Largest inflated gzip member read (larger ones are skipped as damage). */
  readonly maxMemberBytes: number;
  /** Record-level damage that was skipped. */
  readonly onDamage: (d: MemberDamage | MemberFramingDamage) => void;
  /** What inflates runs of whole gzip members. @default the process's (WIKIREVERSE_INFLATE) */
  readonly inflate?: Inflate;
}

export interface InputRecords {
  readonly gzipped: boolean;
  /**
   * The records in input order, a batch at a time: the records of a run of gzip members read at once (framed
   * without a promise per record), or a single record. A record warcio is still reading comes as a promise.
   */
  readonly batches: AsyncGenerator<readonly BatchRecord[]>;
  /** The input's format, once its first bytes (or first good member) said it; undefined before. */
  format(): ArchiveFormat | undefined;
  /** Input bytes consumed so far (an offset to name in errors). */
  compressedOffset(): number;
  destroy(): void;
}

/** An input that cannot be read on (not a WARC or ARC file, cut short): the file fails, naming the offset. */
export class InputFramingError extends Error {
  override readonly name = 'InputFramingError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** How one format's records are framed: exactly framed bytes at once, one gzip member's bytes, a plain stream. */
interface Framing {
  readonly format: ArchiveFormat;
  /** The records of complete bytes framed exactly, or null (the caller reads them another way). */
  batch(buf: Buffer, offset: number): BatchRecord[] | null;
  /** Whether one member's bytes are framed well enough to read. */
  member(data: Buffer): 'ok' | MemberFramingDamage['kind'];
  stream(plain: AsyncIterable<Uint8Array>, opts: ParseOptions): AsyncGenerator<ParsedRecord>;
}

const FRAMINGS: Readonly<Record<ArchiveFormat, Framing>> = {
  warc: { format: 'warc', batch: framedRecords, member: warcMemberFraming, stream: parseRecords },
  arc: { format: 'arc', batch: arcFramedRecords, member: arcMemberFraming, stream: parseArcRecords },
};

/** The input's framing: decided by the first bytes that are one format's, then kept. */
class FormatChoice {
  framing: Framing | undefined;

  /** The framing for `data` (bytes that start a member, or the input): the one decided, or the one `data` starts like. */
  of(data: Buffer): Framing | undefined {
    if (this.framing === undefined) {
      const format = sniffFormat(data);
      if (format !== null) this.framing = FRAMINGS[format];
    }
    return this.framing;
  }
}

/** Bytes to keep of a member that is not a record, to name the format. */
const HEAD_BYTES = 64;

/** The record with another offset (records may be class instances: their methods are not own properties to spread). */
function atOffset(rec: ParsedRecord, offset: number): ParsedRecord {
  const readSync = rec.readSync?.bind(rec);
  return {
    header: rec.header,
    offset,
    read: (maxBytes) => rec.read(maxBytes),
    ...(readSync ? { readSync: (maxBytes: number) => readSync(maxBytes) } : {}),
  };
}

async function* memberRecords(source: AsyncIterable<Uint8Array>, opts: InputRecordsOptions, choice: FormatChoice): AsyncGenerator<readonly BatchRecord[]> {
  try {
    yield* eachMember(source, opts, choice);
  } catch (err) {
    if (!(err instanceof MemberTooLargeError)) throw err;
    // A member too large to hold (e.g. a whole file gzipped as one member): stream the rest through one gunzip.
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    const fed = pipeline(Readable.from(err.rest), gunzip);
    fed.catch(() => undefined); // its error surfaces on `gunzip`, which the parser reads
    const { head, stream } = await peekBytes(gunzip, enoughToSniff);
    const framing = choice.of(head);
    if (framing === undefined) {
      throw new InputFramingError(`neither a WARC/WAT/WET nor an ARC file: the gzip member at byte offset ${err.offset} holds ${describeBytes(head)}`, err.offset);
    }
    for await (const rec of framing.stream(stream, opts)) yield [atOffset(rec, err.offset + rec.offset)];
  }
}

async function* eachMember(source: AsyncIterable<Uint8Array>, opts: InputRecordsOptions, choice: FormatChoice): AsyncGenerator<readonly BatchRecord[]> {
  const readBatch = (data: Buffer, offset: number): BatchRecord[] | null => choice.of(data)?.batch(data, offset) ?? null;
  for await (const member of gzipMembers(source, { ...opts, readBatch })) {
    if (member.batch !== undefined) {
      yield member.batch;
      continue;
    }
    const damage = (kind: MemberFramingDamage['kind']): void => opts.onDamage({ kind, offset: member.offset, head: member.data.subarray(0, HEAD_BYTES) });
    const framing = choice.of(member.data);
    if (framing === undefined) {
      damage('not_warc'); // neither format (and none decided yet)
      continue;
    }
    const verdict = framing.member(member.data);
    if (verdict !== 'ok') {
      damage(verdict);
      continue;
    }
    const framed = framing.batch(member.data, member.offset);
    if (framed !== null) {
      yield framed;
      continue;
    }
    const one = (async function* () {
      yield member.data;
    })();
    for await (const rec of framing.stream(one, opts)) yield [atOffset(rec, member.offset)];
  }
}

export async function inputRecords(source: Readable, opts: InputRecordsOptions): Promise<InputRecords> {
  const head = await peekFirstChunk(source);
  const choice = new FormatChoice();
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
          yield* memberRecords(counted, opts, choice);
        } catch (err) {
          if (err instanceof TruncatedInputError) throw new InputFramingError(err.message, err.offset);
          throw err;
        }
      })(),
      format: () => choice.framing?.format,
      compressedOffset: () => bytesRead,
      destroy: () => source.destroy(),
    };
  }
  const decoded = await decodeInput(source);
  const plain = decoded.stream;
  return {
    gzipped: false,
    batches: (async function* () {
      const { head: first, stream } = await peekBytes(plain, enoughToSniff);
      // Nothing but blank lines: the WARC reader skips them (an empty input has no records).
      const framing = hasContent(first) ? choice.of(first) : FRAMINGS.warc;
      if (framing === undefined) throw new InputFramingError(`neither a WARC/WAT/WET nor an ARC file (nor gzip): it starts with ${describeBytes(first)}`, 0);
      for await (const rec of framing.stream(stream, opts)) yield [rec];
    })(),
    format: () => choice.framing?.format,
    compressedOffset: () => decoded.compressedOffset(),
    destroy: () => {
      plain.destroy();
      source.destroy();
    },
  };
}
