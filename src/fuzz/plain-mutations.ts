/**
 * Mutations of plain (decompressed) WARC bytes. Each takes the bytes and a seeded PRNG and returns new bytes and a
 * one-line description; same PRNG state -> same result. Most aim at header blocks, where the reader's decisions are.
 */
import type { Rng } from '../fixtures/rng.js';
import { deepMarkup } from './markup-mutations.js';
import { blockStartAfter, contentLengthSpans, httpHeads, lineStarts, recordStarts, splice, withLengthDelta } from './warc-bytes.js';

export const PLAIN_KINDS = [
  'bit-flip', 'byte-insert', 'byte-delete', 'length-number', 'length-huge', 'length-garbage', 'warc-version',
  'header-name', 'crlf-to-lf', 'non-ascii-header', 'long-header-line', 'chunked-encoding', 'truncate', 'duplicate-range',
  'deep-markup', 'stacked',
] as const;
export type PlainKind = (typeof PLAIN_KINDS)[number];

export interface Mutated {
  readonly bytes: Buffer;
  readonly detail: string;
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** An integer in [lo, hi], log-uniform (small sizes as likely as large ones, per order of magnitude). */
export function logSize(rng: Rng, lo: number, hi: number): number {
  return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + rng.next() * (Math.log(hi + 1) - Math.log(lo)))));
}

/** A position to damage: anywhere, or (more often) inside a record's header block or the start of its block. */
function target(buf: Buffer, rng: Rng): number {
  const starts = recordStarts(buf);
  if (buf.length === 0) return 0;
  if (starts.length === 0 || rng.chance(0.4)) return rng.int(buf.length);
  const start = rng.pick(starts);
  const blockStart = blockStartAfter(buf, start);
  const end = Math.min(buf.length, (blockStart === -1 ? start + 512 : blockStart) + 256);
  return start + rng.int(Math.max(1, end - start));
}

/** A header line (not the first line) of a random record, WARC or HTTP header block. */
function headerLine(buf: Buffer, rng: Rng): { recordStart: number; lineStart: number; inBlock: boolean } | null {
  const starts = recordStarts(buf);
  if (starts.length === 0) return null;
  const heads = httpHeads(buf);
  if (heads.length > 0 && rng.chance(0.3)) {
    const h = rng.pick(heads);
    const lines = lineStarts(buf, h.statusEnd - 1, h.headersEnd);
    if (lines.length > 0) return { recordStart: h.recordStart, lineStart: rng.pick(lines), inBlock: true };
  }
  const recordStart = rng.pick(starts);
  const blockStart = blockStartAfter(buf, recordStart);
  const lines = lineStarts(buf, recordStart, blockStart === -1 ? Math.min(buf.length, recordStart + 4096) : blockStart - 2);
  return lines.length === 0 ? null : { recordStart, lineStart: rng.pick(lines), inBlock: false };
}

const endOfLine = (buf: Buffer, from: number): number => {
  const i = buf.indexOf(0x0a, from);
  return i === -1 ? buf.length : buf[i - 1] === 0x0d ? i - 1 : i;
};

function replaceLength(buf: Buffer, rng: Rng, values: (old: string) => string, what: string): Mutated {
  const spans = contentLengthSpans(buf);
  if (spans.length === 0) return { bytes: buf, detail: `${what}: no Content-Length to replace` };
  const s = rng.pick(spans);
  const old = buf.toString('latin1', s.valueStart, s.valueEnd);
  const value = values(old);
  return { bytes: splice(buf, s.valueStart, s.valueEnd - s.valueStart, latin1(value)), detail: `Content-Length at ${s.lineStart}: ${old} -> ${JSON.stringify(value)}` };
}

const HUGE = ['2147483647', '2147483648', '4294967296', '9007199254740993', '999999999999999', '99999999999999999999', '1' + '0'.repeat(100), '1073741824', '68719476736'];
const GARBAGE = ['', '-1', 'abc', '12abc', '0x1F', '1e3', '1 2', '+5', '\xd9\xa1\xd9\xa2', '1.5', 'NaN', 'Infinity', '00000000000000000000000012', ' '];
const VERSIONS = ['WARC/9', 'WARC/1.1', 'WARC/0.17', 'WARC/', 'WARC/1.0 extra', 'warc/1.0', 'XARC/1.0', 'WARC/1.0\r\nWARC/1.0', 'WARC/\xc3\xa9'];
const NAMES = ['WARC-Type', 'Content-Type', 'Content-Length', 'WARC-Target-URI', 'content-length', 'CONTENT-LENGTH', 'Content Length', '', 'X(y)', 'WARC-Type WARC-Type', ' WARC-Type', '\tContinued'];
const NON_ASCII = ['caf\xc3\xa9', '\xe9', '\xff\xfe\xfd', '\xe2\x80\x8b', '\x00', '\x1b[31m', '\xe6\x97\xa5\xe6\x9c\xac', '\xc3'];

export const PLAIN_MUTATIONS: Record<PlainKind, (buf: Buffer, rng: Rng) => Mutated> = {
  'bit-flip': (buf, rng) => {
    const out = Buffer.from(buf);
    const at: number[] = [];
    for (let n = rng.range(1, 8); n > 0 && out.length > 0; n--) {
      const p = Math.min(target(out, rng), out.length - 1);
      out[p] = (out[p] ?? 0) ^ (1 << rng.int(8));
      at.push(p);
    }
    return { bytes: out, detail: `bits flipped at ${at.join(',')}` };
  },
  'byte-insert': (buf, rng) => {
    const len = rng.chance(0.9) ? rng.range(1, 16) : logSize(rng, 17, 4096);
    const palette = [0x0d, 0x0a, 0x3a, 0x20, 0x00, 0xff, 0x57, 0x1f, 0x8b];
    const bytes = Buffer.from(Array.from({ length: len }, () => (rng.chance(0.5) ? rng.pick(palette) : rng.int(256))));
    const at = target(buf, rng);
    return { bytes: splice(buf, at, 0, bytes), detail: `${len} bytes inserted at ${at}` };
  },
  'byte-delete': (buf, rng) => {
    const len = rng.chance(0.9) ? rng.range(1, 16) : logSize(rng, 17, 4096);
    const at = target(buf, rng);
    return { bytes: splice(buf, at, len), detail: `${len} bytes deleted at ${at}` };
  },
  'length-number': (buf, rng) =>
    replaceLength(buf, rng, (old) => {
      const v = Number(old) || 0;
      const choices = [v + rng.range(1, 10), Math.max(0, v - rng.range(1, 10)), 0, v * 2, Math.floor(v / 2), rng.int(1_000_000)];
      return String(rng.pick(choices));
    }, 'length-number'),
  'length-huge': (buf, rng) => replaceLength(buf, rng, () => rng.pick(HUGE), 'length-huge'),
  'length-garbage': (buf, rng) => {
    if (rng.chance(0.2)) {
      // A repeated Content-Length with another value, or none at all.
      const spans = contentLengthSpans(buf);
      if (spans.length === 0) return { bytes: buf, detail: 'length-garbage: no Content-Length' };
      const s = rng.pick(spans);
      const lineEnd = buf.indexOf(0x0a, s.valueEnd) + 1 || buf.length;
      if (rng.chance(0.5)) return { bytes: splice(buf, s.lineStart, lineEnd - s.lineStart), detail: `Content-Length line at ${s.lineStart} removed` };
      return { bytes: splice(buf, s.lineStart, 0, latin1(`Content-Length: ${rng.int(5000)}\r\n`)), detail: `second Content-Length at ${s.lineStart}` };
    }
    return replaceLength(buf, rng, () => rng.pick(GARBAGE), 'length-garbage');
  },
  'warc-version': (buf, rng) => {
    const starts = recordStarts(buf);
    if (starts.length === 0) return { bytes: buf, detail: 'warc-version: no WARC/ line' };
    const all = rng.chance(0.1);
    const version = rng.pick(VERSIONS);
    let out = buf;
    for (const s of all ? [...starts].reverse() : [rng.pick(starts)]) out = splice(out, s, Math.max(0, endOfLine(out, s) - s), latin1(version));
    return { bytes: out, detail: `${all ? 'every' : 'one'} WARC/ line -> ${JSON.stringify(version)}` };
  },
  'header-name': (buf, rng) => {
    const line = headerLine(buf, rng);
    if (line === null) return { bytes: buf, detail: 'header-name: no header line' };
    const colon = buf.indexOf(0x3a, line.lineStart);
    const eol = endOfLine(buf, line.lineStart);
    if (colon === -1 || colon > eol) return { bytes: buf, detail: 'header-name: no colon' };
    const old = buf.toString('latin1', line.lineStart, colon);
    if (rng.chance(0.15)) return { bytes: splice(buf, colon, 1), detail: `colon of ${JSON.stringify(old)} at ${colon} removed` };
    const name = rng.pick(NAMES);
    return { bytes: splice(buf, line.lineStart, colon - line.lineStart, latin1(name)), detail: `header name at ${line.lineStart}: ${JSON.stringify(old)} -> ${JSON.stringify(name)}` };
  },
  'crlf-to-lf': (buf, rng) => {
    const starts = recordStarts(buf);
    const scope = rng.pick(['some', 'header-end', 'record-header', 'file'] as const);
    const start = starts.length > 0 ? rng.pick(starts) : 0;
    const blockStart = blockStartAfter(buf, start);
    const headerEnd = blockStart === -1 ? buf.length : blockStart;
    const [from, to] = scope === 'file' ? [0, buf.length] : scope === 'some' ? [start, buf.length] : [start, headerEnd];
    const parts: Buffer[] = [];
    let last = from;
    let n = 0;
    for (let i = buf.indexOf('\r\n', from, 'latin1'); i !== -1 && i < to; i = buf.indexOf('\r\n', i + 2, 'latin1')) {
      if (scope === 'header-end' && i !== blockStart - 4 && i !== blockStart - 2) continue;
      parts.push(buf.subarray(last, i));
      last = i + 1;
      n++;
      if (scope === 'some' && rng.chance(0.5)) break;
    }
    return { bytes: Buffer.concat([buf.subarray(0, from), ...parts, buf.subarray(last)]), detail: `${n} CRLF -> LF (${scope}, record at ${start})` };
  },
  'non-ascii-header': (buf, rng) => {
    const line = headerLine(buf, rng);
    const text = latin1(rng.pick(NON_ASCII));
    if (line === null || rng.chance(0.3)) {
      const starts = recordStarts(buf);
      const s = starts.length > 0 ? rng.pick(starts) : 0;
      const at = endOfLine(buf, s) + 2;
      const added = Buffer.concat([latin1('X-Note: '), text, latin1('\r\n')]);
      return { bytes: splice(buf, at, 0, added), detail: `line X-Note: ${JSON.stringify(text.toString('latin1'))} added to the record at ${s}` };
    }
    const at = rng.chance(0.5) ? endOfLine(buf, line.lineStart) : line.lineStart + rng.int(Math.max(1, endOfLine(buf, line.lineStart) - line.lineStart));
    const out = splice(buf, at, 0, text);
    const framed = line.inBlock && rng.chance(0.7);
    return { bytes: framed ? withLengthDelta(out, line.recordStart, text.length) : out, detail: `${JSON.stringify(text.toString('latin1'))} inserted at ${at}${line.inBlock ? ' (HTTP headers)' : ''}${framed ? ', Content-Length adjusted' : ''}` };
  },
  'long-header-line': (buf, rng) => {
    const size = logSize(rng, 1024, 4 << 20);
    const pattern = rng.chance(0.5) ? latin1('a') : Buffer.from(Array.from({ length: 4096 }, () => rng.range(0x21, 0x7e)));
    const body = Buffer.alloc(size, pattern);
    if (rng.chance(0.35)) {
      // An existing value made long: WARC-Type (which names a counter) half of the time.
      const types = [...buf.toString('latin1').matchAll(/(?:^|\n)WARC-Type:[^\r\n]*/gi)].map((m) => m.index + m[0].length);
      const line = headerLine(buf, rng);
      const at = types.length > 0 && rng.chance(0.5) ? rng.pick(types) : line === null ? -1 : endOfLine(buf, line.lineStart);
      if (at !== -1) {
        const out = splice(buf, at, 0, body);
        return { bytes: line?.inBlock && at === endOfLine(buf, line.lineStart) ? withLengthDelta(out, line.recordStart, size) : out, detail: `header value at ${at} made ${size} bytes longer` };
      }
    }
    const ending = rng.pick(['crlf', 'crlf', 'crlf', 'end-of-input', 'none'] as const);
    const line = headerLine(buf, rng);
    const at = line?.lineStart ?? target(buf, rng);
    const inserted = Buffer.concat([latin1('X-Long: '), body, ending === 'crlf' ? latin1('\r\n') : Buffer.alloc(0)]);
    let out = ending === 'end-of-input' ? Buffer.concat([buf.subarray(0, at), inserted]) : splice(buf, at, 0, inserted);
    if (line?.inBlock && ending !== 'end-of-input') out = withLengthDelta(out, line.recordStart, inserted.length);
    return { bytes: out, detail: `${size}-byte header line at ${at}, ${ending}` };
  },
  'chunked-encoding': (buf, rng) => {
    const te = latin1('Transfer-Encoding: chunked\r\n');
    const heads = httpHeads(buf);
    if (heads.length === 0) {
      const starts = recordStarts(buf);
      const s = starts.length > 0 ? rng.pick(starts) : 0;
      const at = endOfLine(buf, s) + 2;
      return { bytes: splice(buf, at, 0, te), detail: `Transfer-Encoding: chunked in the WARC headers of the record at ${s}` };
    }
    const h = rng.pick(heads);
    const bodyStart = h.headersEnd + 4;
    const blockStart = blockStartAfter(buf, h.recordStart);
    const m = /\r\nContent-Length:[ \t]*(\d+)/i.exec(buf.toString('latin1', h.recordStart, blockStart));
    const bodyEnd = Math.min(buf.length, blockStart + Number(m?.[1] ?? 0));
    const body = buf.subarray(bodyStart, Math.max(bodyStart, bodyEnd));
    const style = rng.pick(['unchunked', 'valid', 'huge-size', 'bad-size', 'no-last-chunk'] as const);
    const chunk = (b: Buffer, size: string, last: string): Buffer => Buffer.concat([latin1(`${size}\r\n`), b, latin1(`\r\n${last}`)]);
    const hex = body.length.toString(16);
    const newBody =
      style === 'unchunked' ? body
      : style === 'valid' ? chunk(body, hex, '0\r\n\r\n')
      : style === 'huge-size' ? chunk(body, 'fffffffffffff', '0\r\n\r\n')
      : style === 'bad-size' ? chunk(body, rng.pick(['zz', '-1', '', '1;ext', '0x10']), '0\r\n\r\n')
      : chunk(body, hex, '');
    let out: Buffer = Buffer.concat([buf.subarray(0, h.statusEnd), te, buf.subarray(h.statusEnd, bodyStart), newBody, buf.subarray(bodyStart + body.length)]);
    const framed = rng.chance(0.8);
    if (framed) out = withLengthDelta(out, h.recordStart, te.length + newBody.length - body.length);
    return { bytes: out, detail: `chunked response at ${h.recordStart}, body ${style}${framed ? ', Content-Length adjusted' : ''}` };
  },
  truncate: (buf, rng) => {
    const starts = recordStarts(buf);
    const where = rng.pick(['anywhere', 'header', 'record-end'] as const);
    let at = rng.int(buf.length + 1);
    if (where === 'header' && starts.length > 0) at = target(buf, rng);
    if (where === 'record-end' && starts.length > 1) at = Math.max(0, rng.pick(starts.slice(1)) - rng.int(9));
    return { bytes: buf.subarray(0, at), detail: `cut at ${at} of ${buf.length} (${where})` };
  },
  'duplicate-range': (buf, rng) => {
    const starts = recordStarts(buf);
    let from = rng.int(buf.length);
    let len = logSize(rng, 1, 64 * 1024);
    if (starts.length > 1 && rng.chance(0.4)) {
      const i = rng.int(starts.length - 1);
      from = starts[i] ?? 0;
      len = (starts[i + 1] ?? buf.length) - from;
    }
    const range = Buffer.from(buf.subarray(from, from + len));
    const to = rng.chance(0.5) ? from + range.length : starts.length > 0 && rng.chance(0.5) ? rng.pick(starts) : rng.int(buf.length + 1);
    return { bytes: splice(buf, to, 0, range), detail: `${range.length} bytes from ${from} copied to ${to}` };
  },
  'deep-markup': deepMarkup,
  stacked: (buf, rng) => {
    let out = buf;
    const done: string[] = [];
    for (let n = rng.range(2, 4); n > 0; n--) {
      const kind = rng.pick(PLAIN_KINDS.filter((k) => k !== 'stacked'));
      const m = PLAIN_MUTATIONS[kind](out, rng);
      out = m.bytes;
      done.push(`${kind}: ${m.detail}`);
    }
    return { bytes: out, detail: done.join(' | ') };
  },
};
