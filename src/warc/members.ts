/**
 * Gzip member by member, the way Common Crawl stores WARC/WAT/WET files (one record per member), so that damage stays
 * local: a member with a bad header or a broken deflate stream, and garbage between members, are skipped and reported
 * (the next member is found by its magic bytes and a successful inflate); only damage at the very end of the input
 * (a file cut short) is left to the caller as file-level damage. Runs of whole members are inflated at once by the
 * fast inflate (inflate.ts: libdeflate, else zlib); a member read alone is inflated with node's zlib in one call
 * (`inflateRawSync`, which also says how many input bytes the deflate stream used) and checked against its trailer.
 */
import zlib from 'node:zlib';
import { defaultInflate, type Inflate } from './inflate.js';

export interface Member<T = never> {
  /** Offset of the member's first byte in the input. */
  readonly offset: number;
  /**
   * Its inflated bytes (of several members, when `batch` is set). A batch's bytes are one of the reader's few reused
   * output buffers: valid until the member after the next one is read (what `readBatch` made of them, too); copy
   * what must outlive that.
   */
  readonly data: Buffer;
  /** What `readBatch` made of the inflated bytes of several members read at once. */
  readonly batch?: T;
}

export type MemberDamage =
  | { readonly kind: 'gzip_member'; readonly offset: number; readonly reason: string }
  | { readonly kind: 'garbage_bytes'; readonly offset: number; readonly bytes: number };

/** The input ends inside a member: the file was cut short. */
export class TruncatedInputError extends Error {
  override readonly name = 'TruncatedInputError';
  constructor(readonly offset: number) {
    super(`gzip member at byte offset ${offset} is cut short by the end of the input`);
  }
}

/**
 * A member inflates to more than `maxMemberBytes` (a whole file gzipped as one member, or a giant record): the caller
 * should stream the rest of the input, from this member's first byte, through a plain gunzip instead.
 */
export class MemberTooLargeError extends Error {
  override readonly name = 'MemberTooLargeError';
  constructor(
    readonly offset: number,
    /** The input's bytes from this member's first byte to its end. */
    readonly rest: AsyncGenerator<Uint8Array>,
  ) {
    super(`gzip member at byte offset ${offset} is too large to read whole`);
  }
}

export interface MemberOptions<T = never> {
  /**
   * Reads the inflated bytes of several members read at once (their records must be well framed end to end), or
   * returns null. When it returns null, or is absent, those members are read one by one, so that damage stays inside its member.
   */
  readonly readBatch?: (data: Buffer, offset: number) => T | null;
  /** Largest inflated member read whole; at a larger one, `MemberTooLargeError` hands over the rest of the input. */
  readonly maxMemberBytes: number;
  readonly onDamage: (d: MemberDamage) => void;
  /** What inflates runs of whole members. @default the process's (WIKIREVERSE_INFLATE) */
  readonly inflate?: Inflate;
}

const FTEXT_RESERVED = 0xe0;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Compressed bytes pulled from the source as needed. */
class Window {
  buf: Buffer = Buffer.alloc(0);
  /** Input offset of buf[0]. */
  base = 0;
  eof = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Makes sure `buf` holds `n` bytes from `pos` (fewer only at end of input). */
  async ensure(pos: number, n: number): Promise<void> {
    while (this.buf.length - pos < n && !this.eof) await this.pull();
  }

  async pull(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) {
      this.eof = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** The bytes from `pos` on, then the rest of the source. */
  async *rest(pos: number): AsyncGenerator<Uint8Array> {
    if (this.buf.length > pos) yield this.buf.subarray(pos);
    this.buf = Buffer.alloc(0);
    for (;;) {
      const r = await this.it.next();
      if (r.done) return;
      yield r.value;
    }
  }

  /** Drops the bytes before `pos`. */
  drop(pos: number): void {
    if (pos <= 0) return;
    this.base += pos;
    this.buf = this.buf.subarray(pos);
  }
}

/** Offset (within buf) where the gzip header's deflate data starts, or -1 if more bytes are needed; throws on a bad header. */
function headerLength(buf: Buffer, pos: number): number {
  if (buf.length - pos < 10) return -1;
  if (buf[pos + 2] !== 8) throw new Error(`compression method ${buf[pos + 2]} is not deflate`);
  const flags = buf[pos + 3] as number;
  if (flags & FTEXT_RESERVED) throw new Error('reserved header flags set');
  let p = pos + 10;
  if (flags & FEXTRA) {
    if (buf.length < p + 2) return -1;
    p += 2 + buf.readUInt16LE(p);
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (flags & f) {
      const z = buf.indexOf(0, p);
      if (z < 0) return -1;
      p = z + 1;
    }
  }
  if (flags & FHCRC) p += 2;
  return buf.length >= p ? p - pos : -1;
}

const isMagic = (buf: Buffer, i: number): boolean => buf[i] === 0x1f && buf[i + 1] === 0x8b && buf[i + 2] === 8;

/** Yields the inflated members of a gzip input, skipping and reporting damaged ones. */
export async function* gzipMembers<T = never>(source: AsyncIterable<Uint8Array>, opts: MemberOptions<T>): AsyncGenerator<Member<T>> {
  const w = new Window(source[Symbol.asyncIterator]());
  const ring = new OutputRing();
  try {
    yield* readMembers(w, ring, opts);
  } finally {
    ring.release();
  }
}

async function* readMembers<T>(w: Window, ring: OutputRing, opts: MemberOptions<T>): AsyncGenerator<Member<T>> {
  let pos = 0;
  let noBatchBefore = 0;
  for (;;) {
    // Forget what is consumed (a view, no copy), so that pulling more copies only the unread tail.
    if (pos > 0) {
      w.drop(pos);
      pos = 0;
    }
    await w.ensure(pos, 10);
    if (w.buf.length - pos === 0) return;
    if (!(w.buf[pos] === 0x1f && w.buf[pos + 1] === 0x8b)) {
      // Garbage: skip to the next member start.
      const start = w.base + pos;
      const next = await findMagic(w, pos + 1);
      pos = next.pos;
      opts.onDamage({ kind: 'garbage_bytes', offset: start, bytes: w.base + pos - start });
      continue;
    }
    if (w.base + pos >= noBatchBefore) {
      // A batch's worth of input at hand first (else the members before each pull would be read one by one).
      if (w.buf.length - pos < MAX_BATCH_BYTES && !w.eof) await w.ensure(pos, MAX_BATCH_BYTES);
      const batch = inflateBatch(w.buf, pos, w.base + pos, opts, ring);
      if ('data' in batch) {
        yield { offset: w.base + pos, data: batch.data, batch: batch.read };
        pos = batch.next;
        continue;
      }
      // No batch here: read one by one up to where this one would have ended (no retrying the same range).
      if (batch.tried) noBatchBefore = w.base + batch.end;
    }
    const memberOffset = w.base + pos;
    let damage: string | null = null;
    let hlen = -1;
    try {
      for (;;) {
        hlen = headerLength(w.buf, pos);
        if (hlen >= 0 || w.eof) break;
        await w.pull();
      }
      if (hlen < 0) throw new TruncatedInputError(memberOffset);
    } catch (err) {
      if (err instanceof TruncatedInputError) throw err;
      damage = `bad gzip header (${(err as Error).message})`;
    }
    if (damage === null) {
      const result = await inflateMember(w, pos, hlen, opts.maxMemberBytes, memberOffset);
      if ('tooLarge' in result) throw new MemberTooLargeError(memberOffset, w.rest(pos));
      if ('data' in result) {
        pos = result.next;
        yield { offset: memberOffset, data: result.data };
        continue;
      }
      damage = result.damage;
    }
    // A damaged member: report it and resume at the next member start after its first byte.
    opts.onDamage({ kind: 'gzip_member', offset: memberOffset, reason: damage });
    pos = (await findMagic(w, pos + 1)).pos;
  }
}

/** Members read at once must span at least this many compressed bytes (else one by one is as cheap). */
const MIN_BATCH_BYTES = 16 * 1024;
/** ... and at most this many: a damaged member sends only its own batch down the one-by-one path. */
const MAX_BATCH_BYTES = 128 * 1024;

/**
 * Output buffer size for inflating `compressed` bytes: large enough that zlib mostly fills one buffer (no copying of
 * pieces together afterwards), since web archive records inflate to 2-5 times their size.
 */
function inflateChunkBytes(compressed: number, maxBytes: number): number {
  return Math.max(64 * 1024, Math.min(compressed * 4, maxBytes));
}

/**
 * The fast path: all complete members buffered from `pos` inflated by one call (one engine instead of one per
 * member). The batch ends just before the last gzip magic in the buffer: if that is not a member start, or any
 * member in the batch is damaged, the inflate fails and the members are read one by one instead. Success means every member
 * in the range inflated and matched its trailer, and `readBatch` read the records they hold.
 */
function inflateBatch<T>(
  buf: Buffer,
  pos: number,
  offset: number,
  opts: MemberOptions<T>,
  ring: OutputRing,
): { data: Buffer; read: T; next: number } | { tried: boolean; end: number } {
  if (!opts.readBatch) return { tried: false, end: pos };
  const end = buf.lastIndexOf(MAGIC, Math.min(buf.length, pos + MAX_BATCH_BYTES) - 1);
  if (end <= pos || end - pos < MIN_BATCH_BYTES) return { tried: false, end: pos };
  const inflate = opts.inflate ?? defaultInflate().inflate;
  const into = ring.next();
  const data = inflate.gunzipMembers(buf.subarray(pos, end), opts.maxMemberBytes, inflateChunkBytes(end - pos, opts.maxMemberBytes), into);
  if (data === null) return { tried: true, end };
  if (data.buffer === into.buffer) ring.advance();
  const read = opts.readBatch(data, offset);
  return read === null ? { tried: true, end } : { data, read, next: end };
}

const MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** Output room of each reused buffer: a batch of MAX_BATCH_BYTES that inflates 16-fold (records inflate 2-5 fold). */
const RING_BUFFER_BYTES = 2 << 20;

/**
 * Ring buffers no input holds, for the next input of this thread: a worker reads file after file, and 4 MiB of new
 * buffers a file would again be external memory for V8 to account (on 190 KB files, a full GC every 15 files).
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 4;

/**
 * The output buffers one input's batches are inflated into, in turn: two, so that a batch's bytes stay as they are
 * while the next batch is read (its consumer is done with the one before). Taken from the spares (else allocated)
 * at the first batch; handed back when the input's members are all read (or the reader stops early), never while
 * the input is being read, so inputs read at once in one thread never share one.
 */
class OutputRing {
  private readonly buffers: Buffer[] = [];
  private i = 0;

  next(): Buffer {
    this.buffers[this.i] ??= spareBuffers.pop() ?? Buffer.allocUnsafeSlow(RING_BUFFER_BYTES);
    return this.buffers[this.i] as Buffer;
  }

  /** The buffer `next` gave holds a batch now: the following batch goes into the other one. */
  advance(): void {
    this.i = (this.i + 1) % 2;
  }

  /** The input is read (its consumer asked past its last member): its buffers become spares. */
  release(): void {
    for (const b of this.buffers.splice(0)) if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(b);
  }
}

/** Finds the next gzip magic at or after `from`, pulling input as needed; returns the end of input if none. */
async function findMagic(w: Window, from: number): Promise<{ pos: number }> {
  let i = from;
  for (;;) {
    const hit = w.buf.indexOf(0x1f, i);
    if (hit >= 0) {
      await w.ensure(hit, 3);
      if (isMagic(w.buf, hit)) return { pos: hit };
      if (w.buf.length - hit < 3) return { pos: w.buf.length }; // end of input
      i = hit + 1;
      continue;
    }
    i = w.buf.length;
    if (!(await w.pull())) return { pos: w.buf.length };
  }
}

type Inflated = { data: Buffer; next: number } | { damage: string } | { tooLarge: true };

async function inflateMember(w: Window, pos: number, hlen: number, maxBytes: number, memberOffset: number): Promise<Inflated> {
  // Start with what is buffered; on "unexpected end of file" pull (at least doubling the window) and try again.
  for (;;) {
    const deflate = w.buf.subarray(pos + hlen);
    let out: { buffer: Buffer; engine: zlib.InflateRaw };
    try {
      out = zlib.inflateRawSync(deflate, { info: true, maxOutputLength: maxBytes, chunkSize: 64 * 1024 }) as unknown as { buffer: Buffer; engine: zlib.InflateRaw };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/.test(e.message)) {
        if (w.eof) throw new TruncatedInputError(memberOffset);
        const want = Math.max(w.buf.length * 2 - pos, 1 << 16);
        await w.ensure(pos, want);
        continue;
      }
      if (e instanceof RangeError || e.code === 'ERR_BUFFER_TOO_LARGE') return { tooLarge: true };
      return { damage: `broken deflate data (${e.message})` };
    }
    const end = pos + hlen + out.engine.bytesWritten;
    await w.ensure(end, 8);
    if (w.buf.length - end < 8) throw new TruncatedInputError(memberOffset);
    const crc = w.buf.readUInt32LE(end);
    const isize = w.buf.readUInt32LE(end + 4);
    if (isize !== (out.buffer.length >>> 0) || crc !== zlib.crc32(out.buffer)) return { damage: 'gzip trailer does not match the data (CRC or length)' };
    return { data: out.buffer, next: end + 8 };
  }
}
