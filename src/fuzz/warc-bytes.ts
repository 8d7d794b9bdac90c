/**
 * Finding the parts of plain WARC bytes that mutations aim at (record starts, header lines, Content-Length values,
 * HTTP header blocks; ARC record starts), and splicing bytes. Read independently of src/warc: the harness must not share the reader's
 * idea of the format it tests. Offsets are into the buffer given; only splitGzipMembers (for intact seeds) throws on damage.
 */
import zlib from 'node:zlib';

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');
const LF_WARC = Buffer.from('\nWARC/', 'latin1');
const WARC_SLASH = Buffer.from('WARC/', 'latin1');

/** A copy of `buf` with `deleteCount` bytes at `at` replaced by `insert`. */
export function splice(buf: Buffer, at: number, deleteCount: number, insert: Buffer = Buffer.alloc(0)): Buffer {
  const a = Math.max(0, Math.min(at, buf.length));
  const b = Math.max(a, Math.min(a + deleteCount, buf.length));
  return Buffer.concat([buf.subarray(0, a), insert, buf.subarray(b)]);
}

/** Offsets of the lines that start with `WARC/` (the record starts, as far as the bytes tell). */
export function recordStarts(buf: Buffer): number[] {
  const out: number[] = buf.subarray(0, WARC_SLASH.length).equals(WARC_SLASH) ? [0] : [];
  for (let i = buf.indexOf(LF_WARC); i !== -1; i = buf.indexOf(LF_WARC, i + 1)) out.push(i + 1);
  return out;
}

/** The offset just past the first CRLF CRLF at or after `from`, or -1. */
export function blockStartAfter(buf: Buffer, from: number): number {
  const i = buf.indexOf(CRLF_CRLF, from);
  return i === -1 ? -1 : i + 4;
}

/** Offsets of the lines that start in `[from, to)` after the line at `from` (header lines of a block). */
export function lineStarts(buf: Buffer, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = buf.indexOf(0x0a, from); i !== -1 && i + 1 < to; i = buf.indexOf(0x0a, i + 1)) out.push(i + 1);
  return out;
}

/** Where a `Content-Length:` header's value is (WARC and HTTP headers alike). */
export interface LengthSpan {
  readonly lineStart: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export function contentLengthSpans(buf: Buffer): LengthSpan[] {
  const text = buf.toString('latin1');
  const re = /(^|\n)content-length[ \t]*:[ \t]*([^\r\n]*)/gi;
  const out: LengthSpan[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const lineStart = m.index + (m[1] ?? '').length;
    const valueEnd = m.index + m[0].length;
    out.push({ lineStart, valueStart: valueEnd - (m[2] ?? '').length, valueEnd });
  }
  return out;
}

/** The WARC Content-Length of the record at `recordStart` changed by `delta` (to keep its framing after an edit inside its block). */
export function withLengthDelta(buf: Buffer, recordStart: number, delta: number): Buffer {
  const blockStart = blockStartAfter(buf, recordStart);
  if (blockStart === -1) return buf;
  const head = buf.toString('latin1', recordStart, blockStart);
  const m = /\r\nContent-Length:[ \t]*(\d+)/i.exec(head);
  if (m === null) return buf;
  const digits = m[1] ?? '';
  const at = recordStart + m.index + m[0].length - digits.length;
  return splice(buf, at, digits.length, Buffer.from(String(Math.max(0, Number(digits) + delta)), 'latin1'));
}

/** The HTTP status line and header block at the start of a record's block, when there is one. */
export interface HttpHead {
  readonly recordStart: number;
  /** Offset just past the status line. */
  readonly statusEnd: number;
  /** Offset of the CRLF CRLF ending the HTTP headers. */
  readonly headersEnd: number;
}

export function httpHeads(buf: Buffer): HttpHead[] {
  const out: HttpHead[] = [];
  for (const recordStart of recordStarts(buf)) {
    const blockStart = blockStartAfter(buf, recordStart);
    if (blockStart === -1 || buf.toString('latin1', blockStart, blockStart + 5) !== 'HTTP/') continue;
    const statusEnd = buf.indexOf(0x0a, blockStart) + 1;
    const end = buf.indexOf(CRLF_CRLF, blockStart);
    if (statusEnd > 0 && end !== -1 && end >= statusEnd - 2) out.push({ recordStart, statusEnd, headersEnd: end });
  }
  return out;
}

/** An ARC header line (`URL IP-address 14-digit-date Content-type ... Archive-length`), as far as a pattern tells. */
const ARC_LINE = /(?:^|\n)(?=[A-Za-z][A-Za-z0-9+.-]*:[^ \n]* [^ \n]* \d{14} [^\n]* \d+\n)/g;

/** Offsets of the lines shaped like ARC record headers. */
export function arcRecordStarts(buf: Buffer): number[] {
  const text = buf.toString('latin1');
  const out: number[] = [];
  for (const m of text.matchAll(ARC_LINE)) out.push(m.index + m[0].length);
  return out;
}

/**
 * Splits plain bytes before every line that starts with `WARC/` (or, when there is none, every ARC header line): one
 * piece per record, as far as the bytes tell.
 */
export function splitAtRecords(buf: Buffer): Buffer[] {
  const warc = recordStarts(buf);
  const starts = warc.length > 0 ? warc : arcRecordStarts(buf);
  if (starts[0] !== 0) starts.unshift(0);
  return starts.map((s, i) => buf.subarray(s, starts[i + 1] ?? buf.length)).filter((b) => b.length > 0);
}

/** One gzip member (fast compression: mutants are read once). */
export const gzip = (buf: Buffer): Buffer => zlib.gzipSync(buf, { level: 1 });

/** The gzip members of a well-formed multi-member file, each with its inflated bytes; throws on damage. */
export function splitGzipMembers(buf: Buffer): { readonly compressed: Buffer; readonly plain: Buffer }[] {
  const out: { compressed: Buffer; plain: Buffer }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] !== 0x1f || buf[pos + 1] !== 0x8b || buf[pos + 2] !== 8) throw new Error(`no gzip member at byte offset ${pos}`);
    const flags = buf[pos + 3] ?? 0;
    let p = pos + 10;
    if (flags & 0x04) p += 2 + buf.readUInt16LE(p);
    for (const f of [0x08, 0x10]) if (flags & f) p = buf.indexOf(0, p) + 1;
    if (flags & 0x02) p += 2;
    const inflated = zlib.inflateRawSync(buf.subarray(p), { info: true }) as unknown as { buffer: Buffer; engine: zlib.InflateRaw };
    const end = p + inflated.engine.bytesWritten + 8;
    out.push({ compressed: buf.subarray(pos, end), plain: inflated.buffer });
    pos = end;
  }
  return out;
}
