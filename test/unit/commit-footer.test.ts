/**
 * A partial's commit record as its last gzip member (issue 25: one PUT per file): the object stays one gzip stream,
 * the record is found from the object's tail alone (one suffix-range read; a second for a record past 64 kB), and a
 * footer that is not byte for byte what a worker writes is `invalid`, never a record.
 */
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOOTER_TAIL_BYTES, footerBytes, footerMember, readFooter } from '../../src/storage/commit-footer.js';
import { LocalStore, readCommit, type OutputStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/fixtures.js';

let work = '';
beforeAll(async () => {
  work = await tempDir('commit-footer');
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const rows = zlib.gzipSync('{"a":1}\n{"a":2}\n');

/** A store that counts its reads. */
function counting(store: OutputStore): { store: OutputStore; reads: string[] } {
  const reads: string[] = [];
  const wrapped = Object.create(store) as OutputStore;
  wrapped.readTail = (p, n) => (reads.push(`tail ${n}`), store.readTail(p, n));
  wrapped.readRange = (p, o, l, sink) => (reads.push(`range ${o}+${l}`), store.readRange(p, o, l, sink));
  return { store: wrapped, reads };
}

describe('the commit footer', () => {
  it('keeps the object one gzip stream: the rows, then the record as the last line', () => {
    const record = JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: 0, bytes: rows.length }] });
    const footer = footerMember(record);
    expect(footer.length).toBe(footerBytes(Buffer.byteLength(record)));
    expect(zlib.gunzipSync(Buffer.concat([rows, footer])).toString('utf8')).toBe(`{"a":1}\n{"a":2}\n${record}`);
    expect(readFooter(footer)).toBe(record);
  });

  it('spans several stored blocks for a record past 64 kB, and is read with one more ranged request', async () => {
    const record = JSON.stringify({ fileId: 'f2', pad: 'é'.repeat(100_000) });
    const footer = footerMember(record);
    expect(footer.length).toBe(10 + 5 * 4 + Buffer.byteLength(record) + 8); // 200,023 bytes: 4 blocks of at most 65,535
    expect(zlib.gunzipSync(footer).toString('utf8')).toBe(record);
    const base = new LocalStore(work);
    await base.put('big.jsonl.gz', Buffer.concat([rows, footer]));
    const { store, reads } = counting(base);
    expect(await readCommit(store, 'big.jsonl.gz')).toEqual({ record, rowsEnd: rows.length });
    expect(reads).toEqual([`tail ${FOOTER_TAIL_BYTES}`, `range ${rows.length}+${footer.length}`]);
  });

  it('reads a small record with one request, and tells a missing object from one that is not a worker\'s', async () => {
    const base = new LocalStore(work);
    const record = JSON.stringify({ fileId: 'f3' });
    await base.put('small.jsonl.gz', Buffer.concat([rows, footerMember(record)]));
    const { store, reads } = counting(base);
    expect(await readCommit(store, 'small.jsonl.gz')).toEqual({ record, rowsEnd: rows.length });
    expect(reads).toEqual([`tail ${FOOTER_TAIL_BYTES}`]);
    expect(await readCommit(store, 'none.jsonl.gz')).toBeNull();

    const cases: Array<[string, Buffer, RegExp]> = [
      ['rows only, no footer', rows, /larger than the object|more than a commit record has|not a commit record/],
      ['an empty object', Buffer.alloc(0), /too short/],
      ['a record byte changed', (() => { const b = Buffer.concat([rows, footerMember(record)]); b[b.length - 12] = b[b.length - 12]! ^ 1; return b; })(), /fails its CRC/],
      ['a block header changed', (() => { const b = Buffer.concat([rows, footerMember(record)]); const at = b.length - footerBytes(record.length) + 10; b[at + 3] = b[at + 3]! ^ 0xff; return b; })(), /block headers/],
      ['a compressed last member', Buffer.concat([rows, zlib.gzipSync(record)]), /not a commit record|wrong length|larger than the object/],
    ];
    for (const [what, bytes, why] of cases) {
      await base.put('bad.jsonl.gz', bytes);
      const got = await readCommit(base, 'bad.jsonl.gz');
      expect(got, what).toHaveProperty('invalid');
      expect((got as { invalid: string }).invalid, what).toMatch(why);
    }
  });
});
