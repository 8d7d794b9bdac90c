/**
 * A partial object's commit record, carried as its last gzip member (one PUT commits a file: the object is written
 * whole or not at all, so its presence is what "committed" means, and its footer says what it holds).
 *
 * The footer is a gzip member of stored (uncompressed) deflate blocks, so the whole object stays one valid gzip
 * stream (`zcat` shows the rows, then the record as a last line), and its size follows from its own last four bytes
 * (ISIZE, the record's length): 10 header bytes, 5 per block of at most 65,535 bytes, the record, 8 trailer bytes.
 * A reader fetches the object's tail with one suffix-range request, then checks the member byte by byte and its CRC.
 */
import zlib from 'node:zlib';
import type { OutputStore } from './types.js';

/** The fixed header of a footer member: gzip, deflate, no flags, no time, no extra flags, OS unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
const BLOCK = 65_535;
/** A record larger than this is not one a worker writes (its counters and at most 256 parts: tens of kB). */
export const MAX_FOOTER_RECORD_BYTES = 1 << 20;
/** Bytes of the object's tail read first: a footer of a record up to about 64 kB is in them, larger ones take a second read. */
export const FOOTER_TAIL_BYTES = 64 * 1024;

/** Bytes of the footer member of a record of `n` bytes. */
export function footerBytes(n: number): number {
  return HEADER.length + 5 * Math.max(1, Math.ceil(n / BLOCK)) + n + 8;
}

/** The footer member holding `record` (UTF-8 JSON, one line). */
export function footerMember(record: string): Buffer {
  const body = Buffer.from(record, 'utf8');
  const out = Buffer.alloc(footerBytes(body.length));
  HEADER.copy(out, 0);
  let at = HEADER.length;
  for (let from = 0; from < body.length || from === 0; from += BLOCK) {
    const len = Math.min(BLOCK, body.length - from);
    out[at] = from + len >= body.length ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    body.copy(out, at + 5, from, from + len);
    at += 5 + len;
    if (len === 0) break;
  }
  out.writeUInt32LE(zlib.crc32(body) >>> 0, at);
  out.writeUInt32LE(body.length, at + 4);
  return out;
}

/** Where a footer is in an object of `objectBytes`, from the last 8 bytes of its tail: its member's offset and length. */
export function footerSpan(tail: Buffer, objectBytes: number): { offset: number; bytes: number } {
  if (tail.length < 8 + HEADER.length + 5) throw new Error('too short to end with a commit record');
  const n = tail.readUInt32LE(tail.length - 4);
  if (n > MAX_FOOTER_RECORD_BYTES) throw new Error(`its last member says ${n} bytes, more than a commit record has`);
  const bytes = footerBytes(n);
  if (bytes > objectBytes) throw new Error('its last member is larger than the object');
  return { offset: objectBytes - bytes, bytes };
}

/** The record in `member` (a footer's bytes exactly), or an error saying what is not as a worker writes it. */
export function readFooter(member: Buffer): string {
  const n = member.readUInt32LE(member.length - 4);
  if (member.length !== footerBytes(n)) throw new Error('its last member has the wrong length');
  if (!member.subarray(0, HEADER.length).equals(HEADER)) throw new Error('its last member is not a commit record');
  const parts: Buffer[] = [];
  let at = HEADER.length;
  for (let left = n, first = true; left > 0 || first; first = false) {
    const len = member.readUInt16LE(at + 1);
    const last = left - len === 0;
    if (member[at] !== (last ? 1 : 0) || member.readUInt16LE(at + 3) !== (~len & 0xffff) || len > left || (!last && len !== BLOCK)) {
      throw new Error('its last member is not a commit record (block headers)');
    }
    parts.push(member.subarray(at + 5, at + 5 + len));
    at += 5 + len;
    left -= len;
    if (last) break;
  }
  const body = Buffer.concat(parts);
  if (at !== member.length - 8 || body.length !== n) throw new Error('its last member is not a commit record (length)');
  if ((zlib.crc32(body) >>> 0) !== member.readUInt32LE(member.length - 8)) throw new Error('its commit record fails its CRC');
  return body.toString('utf8');
}

/** A partial's commit record as read back: its text and where its footer starts (where the file's rows end). */
export type ReadCommit = { readonly record: string; readonly rowsEnd: number } | { readonly invalid: string };

/**
 * The commit record of the partial at `rel`: one suffix-range request for its tail (a second, ranged, only for a
 * record larger than FOOTER_TAIL_BYTES); null when there is no such object; `invalid` when its end is not a footer
 * as a worker writes it (not the run's object).
 */
export async function readCommit(store: OutputStore, rel: string): Promise<ReadCommit | null> {
  const tail = await store.readTail(rel, FOOTER_TAIL_BYTES);
  if (tail === null) return null;
  let span: { offset: number; bytes: number };
  try {
    span = footerSpan(tail.bytes, tail.size);
  } catch (err) {
    return { invalid: (err as Error).message };
  }
  let member: Buffer;
  if (span.bytes <= tail.bytes.length) member = tail.bytes.subarray(tail.bytes.length - span.bytes);
  else {
    // A store error here propagates (a transient failure is not a tampered object).
    const chunks: Buffer[] = [];
    if (!(await store.readRange(rel, span.offset, span.bytes, (c) => chunks.push(c)))) return null;
    member = Buffer.concat(chunks);
  }
  try {
    return { record: readFooter(member), rowsEnd: span.offset };
  } catch (err) {
    return { invalid: (err as Error).message };
  }
}
