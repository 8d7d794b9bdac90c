/**
 * Reading "Name: value" header blocks by hand, for the common case only: ASCII lines ending in CRLF, token names,
 * no folded lines. For such blocks the result equals what warcio's StatusAndHeadersParser + WHATWG `Headers`
 * return (names case-insensitive, values trimmed, empty values dropped, repeated headers joined with ", ").
 * Anything else returns null, and the caller lets warcio read the record.
 */

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const TAB = 0x09;

/** RFC 7230 tchar: the characters WHATWG `Headers` accepts in a header name. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Lower-case header name -> value. */
export type SimpleHeaders = Map<string, string>;

/**
 * Parses the header lines in `buf[start, end)`: `end` is just past the block's final empty line (CRLF CRLF).
 * Returns null when any line is not of the simple form.
 */
export function parseSimpleHeaders(buf: Buffer, start: number, end: number): SimpleHeaders | null {
  const headers: SimpleHeaders = new Map();
  let i = start;
  while (i < end) {
    if (buf[i] === CR && buf[i + 1] === LF) {
      i += 2; // the empty line that ends the block
      continue;
    }
    let colon = -1;
    let j = i;
    for (; j < end; j++) {
      const c = buf[j] as number;
      if (c === CR) break;
      if (colon === -1) {
        if (c === COLON) {
          colon = j;
          continue;
        }
        if (c >= 128 || TCHAR[c] !== 1) return null; // a non-token name (or a folded line)
      } else if ((c < 0x20 && c !== TAB) || c > 0x7e) {
        return null; // control or non-ASCII byte in a value
      }
    }
    if (colon <= i || j >= end || buf[j + 1] !== LF) return null;
    const name = buf.toString('latin1', i, colon).toLowerCase();
    const value = buf.toString('latin1', colon + 1, j).trim();
    if (value !== '') {
      const prev = headers.get(name);
      headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
    }
    i = j + 2;
  }
  return headers;
}

/** The index just past the first CRLF CRLF at or after `from` and before `end`, or -1. */
export function endOfHeaderBlock(buf: Buffer, from: number, end: number): number {
  for (let i = buf.indexOf(CR, from); i !== -1 && i + 3 < end; i = buf.indexOf(CR, i + 1)) {
    if (buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i + 4;
  }
  return -1;
}

/** Index just past the `\n` ending the line at `from`, or -1 when there is none before `end`. */
export function endOfLine(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(LF, from);
  return i === -1 || i >= end ? -1 : i + 1;
}
