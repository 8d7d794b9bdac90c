/**
 * Reading "Name: value" header blocks by hand, for the common case only: ASCII lines ending in CRLF, token names,
 * no folded lines. For such blocks the values equal what warcio's StatusAndHeadersParser + WHATWG `Headers`
 * return (names case-insensitive, values trimmed, empty values dropped, repeated headers joined with ", ").
 * Anything else returns null, and the caller lets warcio read the record.
 */

const LF = 0x0a;
const TAB = 0x09;

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

/** Header names to pick from a block with `pickHeaders` (lower-cased). */
export function headerNames(...names: string[]): readonly string[] {
  return names.map((n) => n.toLowerCase());
}

/**
 * A block of simple header lines: each a token name, a colon and a value of TABs and printable ASCII, ending in
 * CRLF; empty lines anywhere. (One regular expression over the block is faster than a byte loop in JavaScript.)
 */
const SIMPLE_BLOCK = /^(?:(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e]*)?\r\n)*$/;

/** Larger blocks are left to warcio (V8's regular expressions keep a backtrack entry per line: ~8 MiB of lines overflow its stack). */
const MAX_PICK_BYTES = 1 << 20;

/**
 * The values of the `names` headers (lower-case) in `buf[start, end)`, in the order of `names`: undefined when
 * absent or empty, trimmed, repeated ones joined with ", ". Null when any line is not of the simple form
 * (`SIMPLE_BLOCK`: then warcio reads the record).
 */
export function pickHeaders(buf: Buffer, start: number, end: number, names: readonly string[]): (string | undefined)[] | null {
  if (end - start > MAX_PICK_BYTES) return null;
  const text = buf.toString('latin1', start, end);
  if (!SIMPLE_BLOCK.test(text)) return null;
  const values: (string | undefined)[] = names.map(() => undefined);
  let i = 0;
  while (i < text.length) {
    const eol = text.indexOf('\r\n', i);
    if (eol === i) {
      i += 2; // an empty line (the one that ends the block)
      continue;
    }
    // A name ends at the line's first colon, and names hold no colon: `names[k]` matches when it is followed by one.
    const k = nameAt(text, i, eol, names);
    if (k !== -1) {
      // String.prototype.trim on these characters (no controls but TAB): spaces and tabs.
      let a = i + (names[k] as string).length + 1;
      let b = eol;
      while (a < b && (text.charCodeAt(a) === 0x20 || text.charCodeAt(a) === TAB)) a++;
      while (b > a && (text.charCodeAt(b - 1) === 0x20 || text.charCodeAt(b - 1) === TAB)) b--;
      if (b > a) {
        const value = text.slice(a, b);
        const prev = values[k];
        values[k] = prev === undefined ? value : `${prev}, ${value}`;
      }
    }
    i = eol + 2;
  }
  return values;
}

/**
 * Which of `names` the line `text[from, eol)` starts with, ASCII case-insensitively and followed by a colon; -1 for
 * none. Only names as long as the line's name are compared (most lines name a header nobody asked for).
 */
function nameAt(text: string, from: number, eol: number, names: readonly string[]): number {
  const colon = text.indexOf(':', from);
  if (colon === -1 || colon > eol) return -1;
  const len = colon - from;
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as string;
    if (name.length !== len) continue;
    let m = 0;
    for (; m < len; m++) {
      let c = text.charCodeAt(from + m);
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== name.charCodeAt(m)) break;
    }
    if (m === len) return k;
  }
  return -1;
}
