/**
 * Reading "Name: value" header blocks by hand, for the common case only: ASCII lines ending in CRLF, token names,
 * no folded lines. For such blocks the values equal what warcio's StatusAndHeadersParser + WHATWG `Headers`
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

/** The index just past the first CRLF CRLF at or after `from` and before `end`, or -1. */
export function endOfHeaderBlock(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(CRLF_CRLF, from);
  return i !== -1 && i + 3 < end ? i + 4 : -1;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

/** Index just past the `\n` ending the line at `from`, or -1 when there is none before `end`. */
export function endOfLine(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(LF, from);
  return i === -1 || i >= end ? -1 : i + 1;
}

/** Lower-case header names to pick from a block with `pickHeaders`, as bytes. */
export function headerNames(...names: string[]): readonly Buffer[] {
  return names.map((n) => Buffer.from(n.toLowerCase(), 'latin1'));
}

/**
 * The values of the `names` headers in `buf[start, end)`, in the order of `names`, by the same rules as
 * `parseSimpleHeaders` (undefined when absent or empty, repeated ones joined with ", "), or null when any line is
 * not of the simple form. Only the picked values become strings: the other lines are checked, not copied.
 */
export function pickHeaders(buf: Buffer, start: number, end: number, names: readonly Buffer[]): (string | undefined)[] | null {
  const values: (string | undefined)[] = names.map(() => undefined);
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
        if (c >= 128 || TCHAR[c] !== 1) return null;
      } else if ((c < 0x20 && c !== TAB) || c > 0x7e) {
        return null;
      }
    }
    if (colon <= i || j >= end || buf[j + 1] !== LF) return null;
    const k = nameIndex(buf, i, colon, names);
    if (k !== -1) {
      // String.prototype.trim on these bytes (no controls but TAB, all ASCII): spaces and tabs.
      let a = colon + 1;
      let b = j;
      while (a < b && (buf[a] === 0x20 || buf[a] === TAB)) a++;
      while (b > a && (buf[b - 1] === 0x20 || buf[b - 1] === TAB)) b--;
      if (b > a) {
        const value = buf.toString('latin1', a, b);
        const prev = values[k];
        values[k] = prev === undefined ? value : `${prev}, ${value}`;
      }
    }
    i = j + 2;
  }
  return values;
}

/** Which of `names` the token `buf[from, to)` is, ASCII case-insensitively; -1 for none. */
function nameIndex(buf: Buffer, from: number, to: number, names: readonly Buffer[]): number {
  const len = to - from;
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as Buffer;
    if (name.length !== len) continue;
    let m = 0;
    for (; m < len; m++) {
      let c = buf[from + m] as number;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== name[m]) break;
    }
    if (m === len) return k;
  }
  return -1;
}
