/**
 * Which web archive format decompressed bytes are, from their first bytes: WARC (and WAT/WET, which are WARC files)
 * starts with a `WARC/1.x` line, ARC with a header line (`filedesc://...` first, as ARC writers put the version
 * block, or any URL header line). For bytes that are neither, a short description of what they look like, for the
 * error that fails the file.
 */
import { parseArcHeader } from './arc-header.js';
import { endOfLine } from './headers.js';
import { MAX_HEADER_BYTES } from './records.js';

export type ArchiveFormat = 'warc' | 'arc';

const WARC_SLASH = Buffer.from('WARC/', 'latin1');
const FILEDESC = Buffer.from('filedesc://', 'latin1');

const startsWith = (buf: Buffer, at: number, prefix: Buffer): boolean =>
  buf.length - at >= prefix.length && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;

/** Index of the first byte that is not a CR or LF (writers differ on blank lines before the first record). */
function firstContent(head: Buffer): number {
  let i = 0;
  while (i < head.length && (head[i] === 0x0d || head[i] === 0x0a)) i++;
  return i;
}

/** Whether `head` holds anything but CRs and LFs. */
export const hasContent = (head: Buffer): boolean => firstContent(head) < head.length;

/**
 * The format of bytes that begin with `head` (at least its first line, or MAX_HEADER_BYTES of it, unless the input is
 * shorter), or null when it is neither (or holds nothing but CRs and LFs). Bytes that are only a start of `WARC/` (a
 * file of a few bytes) count as WARC.
 */
export function sniffFormat(head: Buffer): ArchiveFormat | null {
  const i = firstContent(head);
  if (i === head.length) return null;
  const n = Math.min(WARC_SLASH.length, head.length - i);
  if (head.compare(WARC_SLASH, 0, n, i, i + n) === 0) return 'warc';
  if (startsWith(head, i, FILEDESC)) return 'arc';
  const lineEnd = endOfLine(head, i, Math.min(head.length, i + MAX_HEADER_BYTES));
  return lineEnd !== -1 && parseArcHeader(head, i, lineEnd) !== null ? 'arc' : null;
}

/** Whether `head` holds enough to sniff: a first line (after blank lines), or MAX_HEADER_BYTES. */
export function enoughToSniff(head: Buffer): boolean {
  const i = firstContent(head);
  return head.length >= MAX_HEADER_BYTES || (i < head.length && head.indexOf(0x0a, i) !== -1);
}

const MAGIC: ReadonlyArray<readonly [Buffer, string]> = [
  [Buffer.from([0x1f, 0x8b]), 'gzip data (gzipped twice?)'],
  [Buffer.from('BZh', 'latin1'), 'bzip2 data'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz data'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd data'],
  [Buffer.from('PK\x03\x04', 'latin1'), 'a ZIP archive'],
  [Buffer.from('PAR1', 'latin1'), 'a Parquet file'],
  [Buffer.from('%PDF', 'latin1'), 'a PDF document'],
  [Buffer.from('HTTP/', 'latin1'), 'an HTTP message'],
];

/** What bytes that are neither WARC nor ARC look like: a known format's name, or their first bytes. */
export function describeBytes(head: Buffer): string {
  if (head.length === 0) return 'no bytes';
  for (const [magic, name] of MAGIC) if (startsWith(head, 0, magic)) return name;
  const text = head.toString('latin1', firstContent(head), Math.min(head.length, 512)).trimStart();
  if (/^<(!doctype html|html|head|body)\b/i.test(text)) return 'HTML';
  if (/^<\?xml\b/i.test(text)) return 'XML';
  if (/^[{[]/.test(text)) return 'JSON (or other text)';
  const first = head.subarray(0, 32);
  const printable = [...first].every((c) => (c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d);
  return printable
    ? `text beginning ${JSON.stringify(first.toString('latin1'))}`
    : `binary data beginning ${[...head.subarray(0, 8)].map((c) => c.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * The first bytes of `source` (chunks pulled until `enough` says so, or the source ends) and the whole source again,
 * those bytes first.
 */
export async function peekBytes(source: AsyncIterable<Uint8Array>, enough: (head: Buffer) => boolean): Promise<{ head: Buffer; stream: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let head: Buffer = Buffer.alloc(0);
  while (!enough(head)) {
    const r = await it.next();
    if (r.done === true) break;
    parts.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    head = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
  const stream = (async function* () {
    if (head.length > 0) yield head;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  })();
  return { head, stream };
}
