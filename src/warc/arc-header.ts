/**
 * The one-line header of an ARC record (Internet Archive's format before WARC, Common Crawl's up to 2012):
 *   v1: `URL IP-address Archive-date Content-type Archive-length`
 *   v2: `URL IP-address Archive-date Content-type Result-code Checksum Location Offset Filename Archive-length`
 * The length is always the last field, and counts the bytes of the content that follows the header's LF. A line is
 * taken as a header only when it is shaped like one (a URL with a scheme, a 14-digit date, a decimal length): what
 * the reader resynchronises on after damage, and how an input is told to be ARC.
 */

import { MAX_HEADER_BYTES } from './records.js';

const LF = 0x0a;
const CR = 0x0d;

export interface ArcHeader {
  readonly url: string;
  /** The Archive-date as ISO 8601 UTC, `YYYY-MM-DDThh:mm:ssZ`. */
  readonly date: string;
  /** The Content-type field as written (the crawler's view of the HTTP Content-Type; `no-type` when none). */
  readonly contentType: string;
  /** Archive-length: bytes of content after the header line. */
  readonly length: number;
  /** `filedesc`: the file's version block; `http`: an http(s) capture; `other`: dns:, ftp:, ... */
  readonly kind: 'filedesc' | 'http' | 'other';
}

const DATE14 = /^[0-9]{14}$/;
const LENGTH = /^[0-9]{1,15}$/;
const URL_START = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:/;
const HTTP = /^https?:/i;

/** `YYYYMMDDhhmmss` as `YYYY-MM-DDThh:mm:ssZ` (a date that does not exist stays as written: the job checks dates). */
export function arcDateToIso(d: string): string {
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}Z`;
}

/** The fields of a header line, or null when the line is not one. `line` has no line end. */
export function parseArcLine(line: string): ArcHeader | null {
  const f = line.split(' ');
  const n = f.length;
  if (n < 5) return null;
  const length = f[n - 1] as string;
  if (!LENGTH.test(length)) return null;
  let url: string;
  let date: string;
  let contentType: string;
  if (DATE14.test(f[2] as string)) {
    // v1 and v2 alike: URL, IP address, date, content type first.
    [url, , date, contentType] = f as [string, string, string, string];
  } else if (n > 5 && DATE14.test(f[n - 3] as string)) {
    // v1 with spaces in the URL (some crawlers wrote them unescaped): the four fields after it are counted from the end.
    url = f.slice(0, n - 4).join(' ');
    date = f[n - 3] as string;
    contentType = f[n - 2] as string;
  } else {
    return null;
  }
  if (!URL_START.test(url)) return null;
  const kind = url.startsWith('filedesc:') ? 'filedesc' : HTTP.test(url) ? 'http' : 'other';
  return { url, date: arcDateToIso(date), contentType, length: Number(length), kind };
}

/**
 * The header whose line is `buf[start, lineEnd)` (`lineEnd` just past its LF; a CR before the LF is dropped), or null
 * when the line is not a header. Non-ASCII bytes in the URL are read as UTF-8.
 */
export function parseArcHeader(buf: Buffer, start: number, lineEnd: number): ArcHeader | null {
  let end = lineEnd;
  if (end > start && buf[end - 1] === LF) end--;
  if (end > start && buf[end - 1] === CR) end--;
  if (end - start > MAX_HEADER_BYTES || end - start < 10) return null;
  // Cheap rejections first: resynchronising tries every line of a damaged stretch.
  const c = buf[start] as number;
  if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return null;
  return parseArcLine(buf.toString('utf8', start, end));
}

/**
 * Whether `buf[start, end)`, the input's last bytes with no LF, begin like a header line (a URL with a scheme, then at
 * most nine more fields): a header cut short by the end of the input, rather than junk.
 */
export function isArcHeaderPrefix(buf: Buffer, start: number, end: number): boolean {
  if (end - start > MAX_HEADER_BYTES) return false;
  const text = buf.toString('latin1', start, end);
  return URL_START.test(text) && text.split(' ').length <= 10;
}
