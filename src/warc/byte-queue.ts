/**
 * The decompressed bytes of a plain WARC stream not yet consumed, pulled from the source chunk by chunk: what the
 * record reader (records.ts) frames records on. It holds at most what the reader asks it to (one header block, one
 * record up to the fast path's limit, a window while skipping), never the rest of the stream.
 */

/** How a record starts (WARC 1.0 and 1.1), looked for anywhere when skipping damage: a gzip member's record follows the bytes of the one before with no line end. */
const RECORD_START = Buffer.from('WARC/1.', 'latin1');

/** The input ends inside a record: the file cannot be read to its end (warcio, given the same bytes, never returns). */
export class TruncatedRecordError extends Error {
  override readonly name = 'TruncatedRecordError';
}

export class ByteQueue {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Input offset of `buf[0]`. */
  base = 0;
  done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get avail(): number {
    return this.buf.length - this.pos;
  }

  /** Input offset of `buf[pos]`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Pulls one more chunk; false at the end of the source. */
  async more(): Promise<boolean> {
    return this.fill(this.avail + 1);
  }

  private async pull(): Promise<Buffer | null> {
    if (this.done) return null;
    const next = await this.source.next();
    if (next.done === true) {
      this.done = true;
      return null;
    }
    const v = next.value;
    return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }

  /** Makes at least `n` bytes available from `pos` (fewer only at the end of the source); false when short. */
  async fill(n: number): Promise<boolean> {
    if (this.avail >= n) return true;
    const parts: Buffer[] = this.avail > 0 ? [this.buf.subarray(this.pos)] : [];
    let have = this.avail;
    while (have < n) {
      const chunk = await this.pull();
      if (chunk === null) break;
      parts.push(chunk);
      have += chunk.length;
    }
    this.base += this.pos;
    this.buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, have); // [] -> empty
    this.pos = 0;
    return have >= n;
  }

  /** Consumes `n` bytes without holding them; false when the input ends first (everything up to it consumed). */
  async drop(n: number): Promise<boolean> {
    let left = n;
    for (;;) {
      if (this.avail >= left) {
        this.pos += left;
        return true;
      }
      left -= this.avail;
      this.base += this.buf.length;
      this.buf = Buffer.alloc(0);
      this.pos = 0;
      const chunk = await this.pull();
      if (chunk === null) return false;
      this.buf = chunk;
    }
  }

  /** The next `n` bytes as a stream, consumed as they are read; fails with TruncatedRecordError when the input ends first. */
  async *take(n: number, what: () => string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.avail === 0 && !(await this.more())) throw new TruncatedRecordError(what());
      const k = Math.min(left, this.avail);
      const out = this.buf.subarray(this.pos, this.pos + k);
      this.pos += k;
      left -= k;
      yield out;
    }
  }

  /**
   * Skips to the next `WARC/1.` (a record's first line), or to the end of the input, moving at least one byte. Holds
   * a few bytes of window at a time. Returns the bytes skipped that were not CR or LF.
   */
  async skipToRecordStart(): Promise<number> {
    let junk = 0;
    const after = this.offset + 1; // the input offset the next record may start at, at the earliest
    for (;;) {
      const from = Math.max(this.pos, after - this.base);
      const i = this.buf.indexOf(RECORD_START, Math.min(from, this.buf.length));
      const end = i === -1 ? Math.max(this.pos, this.buf.length - (RECORD_START.length - 1)) : i;
      for (let k = this.pos; k < end; k++) if (this.buf[k] !== 0x0a && this.buf[k] !== 0x0d) junk++;
      this.pos = end;
      if (i !== -1) return junk;
      if (!(await this.more())) {
        for (let k = this.pos; k < this.buf.length; k++) if (this.buf[k] !== 0x0a && this.buf[k] !== 0x0d) junk++;
        this.pos = this.buf.length;
        return junk;
      }
    }
  }
}
