/** gzipMembers: member-by-member inflation with local recovery, fed in chunks of every size; on both inflates (libdeflate, zlib). */
import { beforeAll, describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipMembers, MemberTooLargeError, TruncatedInputError, type MemberDamage } from '../../src/warc/members.js';
import { inputRecords } from '../../src/warc/input.js';
import { nativeInflate, zlibInflate, type Inflate } from '../../src/warc/inflate.js';
import { badHeaderMember, garbage, gzipMember, truncatedMember } from '../../src/fixtures/corrupt.js';

const native = nativeInflate();
if (!('inflate' in native)) throw new Error(`the suite runs on both inflates: ${native.error}`);
/** The inflate the tests below use (each describe block sets its own). */
let inflate: Inflate = zlibInflate;

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function read(buf: Buffer, size: number, maxMemberBytes = 1 << 20): Promise<{ data: string[]; offsets: number[]; damage: MemberDamage[] }> {
  const damage: MemberDamage[] = [];
  const data: string[] = [];
  const offsets: number[] = [];
  for await (const m of gzipMembers(chunks(buf, size), { maxMemberBytes, inflate, onDamage: (d) => damage.push(d) })) {
    data.push(m.data.toString());
    offsets.push(m.offset);
  }
  return { data, offsets, damage };
}

const texts = ['alpha '.repeat(50), 'beta '.repeat(3000), 'gamma', 'delta '.repeat(10)];
const members = texts.map((t) => gzipMember(Buffer.from(t)));

/** The records inputRecords gives for `input`: header, offset and payload (read as scanInput reads them). */
async function recordsOf(input: Buffer, maxMemberBytes: number): Promise<{ type: string; uri: string; offset: number; payload: string }[]> {
  const damage: unknown[] = [];
  const r = await inputRecords(Readable.from([input]), { maxMemberBytes, inflate, onDamage: (d) => damage.push(d) });
  const out: { type: string; uri: string; offset: number; payload: string }[] = [];
  for await (const batch of r.batches) {
    for (const item of batch) {
      const rec = await item;
      const view = rec.readSync ? rec.readSync(1 << 20) : await rec.read(1 << 20);
      expect((await rec.read(1 << 20)).payload.equals(view.payload)).toBe(true);
      out.push({ type: rec.header.warcType, uri: rec.header.targetUri, offset: rec.offset, payload: view.payload.toString('latin1') });
    }
  }
  expect(damage).toEqual([]);
  return out;
}

for (const engine of [native.inflate, zlibInflate]) describe(`gzipMembers (${engine.name})`, () => {
  beforeAll(() => {
    inflate = engine;
  });

  for (const size of [1, 7, 64, 4096, 1 << 20]) {
    it(`inflates every member with its offset (chunks of ${size} bytes)`, async () => {
      const r = await read(Buffer.concat(members), size);
      expect(r.data).toEqual(texts);
      expect(r.offsets).toEqual(members.map((_, i) => members.slice(0, i).reduce((s, m) => s + m.length, 0)));
      expect(r.damage).toEqual([]);
    });
  }

  it('reads a member with FNAME and FEXTRA header fields', async () => {
    const named = zlib.gzipSync(Buffer.from('named'));
    const withName = Buffer.concat([named.subarray(0, 3), Buffer.from([0x08 | 0x04]), named.subarray(4, 10), Buffer.from([3, 0, 1, 2, 3]), Buffer.from('file.warc\0'), named.subarray(10)]);
    expect((await read(withName, 5)).data).toEqual(['named']);
  });

  it('skips garbage between members and counts its bytes', async () => {
    const r = await read(Buffer.concat([members[0]!, garbage(1234), members[1]!]), 100);
    expect(r.data).toEqual([texts[0], texts[1]]);
    expect(r.damage).toEqual([{ kind: 'garbage_bytes', offset: members[0]!.length, bytes: 1234 }]);
  });

  it('skips a member with a bad header or a truncated deflate stream, and goes on with the next', async () => {
    const input = Buffer.concat([members[0]!, badHeaderMember(Buffer.from('x'.repeat(500))), members[1]!, truncatedMember(Buffer.from('y '.repeat(4000))), members[2]!]);
    const r = await read(input, 333);
    expect(r.data).toEqual([texts[0], texts[1], texts[2]]);
    expect(r.damage.map((d) => d.kind)).toEqual(['gzip_member', 'gzip_member']);
  });

  it('skips a member whose trailer does not match its data', async () => {
    const bad = Buffer.from(members[0]!);
    bad.writeUInt32LE(12345, bad.length - 8); // CRC
    const r = await read(Buffer.concat([bad, members[2]!]), 50);
    expect(r.data).toEqual([texts[2]]);
    expect(r.damage).toMatchObject([{ kind: 'gzip_member', offset: 0 }]);
  });

  it('hands over the rest of the input at a member that inflates past the limit', async () => {
    const err = await read(Buffer.concat([members[0]!, members[1]!, members[2]!]), 1000, 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemberTooLargeError);
    expect((err as MemberTooLargeError).offset).toBe(members[0]!.length);
    const rest: Buffer[] = [];
    for await (const c of (err as MemberTooLargeError).rest) rest.push(Buffer.from(c));
    expect(Buffer.concat(rest)).toEqual(Buffer.concat([members[1]!, members[2]!]));
  });

  it('reads a whole file gzipped as one member (too large to hold) as one stream, with the same records and payloads', async () => {
    const plain = await fsp.readFile(path.resolve('test/fixtures/samples/CC-MAIN-2020-34-resiliparse.warc.gz')).then((b) => zlib.gunzipSync(b));
    const expected = await recordsOf(plain, 1 << 20);
    expect(expected).toHaveLength(50);
    expect(expected.filter((r) => r.payload.length > 0).length).toBeGreaterThan(30);
    expect(await recordsOf(zlib.gzipSync(plain), 10_000)).toEqual(expected);
  });

  it('reads members that are framed loosely (no CRLF CRLF after the block, extra CRLFs) record by record, payloads included', async () => {
    const rec = (body: string, tail: string): string =>
      `WARC/1.0\r\nWARC-Type: metadata\r\nWARC-Target-URI: <https://x/${body.length}>\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}${tail}`;
    const bodies = ['{"a":1}', '{"b":22}', '{"c":333}'];
    const input = Buffer.concat(bodies.map((b, i) => zlib.gzipSync(rec(b, ['', '\r\n', '\r\n\r\n\r\n'][i] as string))));
    const got = await recordsOf(input, 1 << 20);
    expect(got.map((r) => r.payload)).toEqual(bodies);
    expect(got.map((r) => r.offset)).toEqual([0, zlib.gzipSync(rec(bodies[0] as string, '')).length, expect.any(Number)]);
  });

  it('throws TruncatedInputError with the member offset when the input ends inside a member', async () => {
    const input = Buffer.concat([members[0]!, members[1]!]);
    const cut = input.subarray(0, input.length - 5);
    await expect(read(cut, 64)).rejects.toBeInstanceOf(TruncatedInputError);
    await expect(read(cut, 64)).rejects.toMatchObject({ offset: members[0]!.length });
  });

  it('reads every member around bytes between them that start with a zero byte, in a batch, and counts those bytes', async () => {
    // node's gunzip alone stops at such bytes without an error: the rest of the batch would be lost without a word.
    const many = Array.from({ length: 60 }, (_, i) => `record ${i} ${garbage(1500, i + 1).toString('latin1')}`);
    const parts = many.map((t) => gzipMember(Buffer.from(t)));
    const input = Buffer.concat([...parts.slice(0, 30), Buffer.from([0, 0, 0x8b, 5]), ...parts.slice(30)]);
    const damage: MemberDamage[] = [];
    let text = '';
    for await (const m of gzipMembers(chunks(input, 1 << 20), { maxMemberBytes: 1 << 20, inflate, onDamage: (d) => damage.push(d), readBatch: () => true })) {
      text += m.data.toString('latin1');
    }
    expect(text).toBe(many.join(''));
    expect(damage).toEqual([{ kind: 'garbage_bytes', offset: parts.slice(0, 30).reduce((n, p) => n + p.length, 0), bytes: 4 }]);
  });

  it('reads intact runs of members in one batch, and damaged runs one by one, with the same result', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `record ${i} ${garbage(1500 + (i % 7), i + 1).toString()}`);
    const parts = many.map((t, i) => (i === 150 ? truncatedMember(Buffer.from(t)) : i === 800 ? Buffer.concat([gzipMember(Buffer.from(t)), garbage(77)]) : gzipMember(Buffer.from(t))));
    const input = Buffer.concat(parts);
    const run = async (readBatch?: (d: Buffer) => boolean | null): Promise<{ text: string; damage: MemberDamage[]; yields: number }> => {
      const damage: MemberDamage[] = [];
      let text = '';
      let yields = 0;
      for await (const m of gzipMembers(chunks(input, 64 * 1024), { maxMemberBytes: 1 << 20, inflate, onDamage: (d) => damage.push(d), ...(readBatch ? { readBatch } : {}) })) {
        text += m.data.toString();
        yields++;
      }
      return { text, damage, yields };
    };
    const one = await run();
    const batched = await run(() => true);
    expect(one.text).toBe(many.filter((_, i) => i !== 150).join(''));
    expect(batched.text).toBe(one.text);
    expect(batched.damage).toEqual(one.damage);
    expect(one.yields).toBe(999);
    expect(batched.yields).toBeLessThan(one.yields / 2); // most members came in batches
    // A batch the reader refuses is read member by member.
    const refused = await run(() => null);
    expect(refused.text).toBe(one.text);
    expect(refused.yields).toBe(999);
  });

  it('a batch\'s bytes stay as they are while the next batch is read (its output buffers are reused after that)', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => `record ${i} ${garbage(1500 + (i % 5), i + 7).toString()}`);
    const input = Buffer.concat(many.map((t) => gzipMember(Buffer.from(t))));
    let previous: { view: Buffer; copy: Buffer } | undefined;
    let batches = 0;
    const buffers = new Set<ArrayBufferLike>();
    for await (const m of gzipMembers(chunks(input, 64 * 1024), { maxMemberBytes: 1 << 20, inflate, onDamage: () => undefined, readBatch: () => true })) {
      if (previous) expect(previous.view.equals(previous.copy)).toBe(true);
      if (m.batch !== undefined) {
        batches++;
        buffers.add(m.data.buffer);
      }
      previous = { view: m.data, copy: Buffer.from(m.data) };
    }
    expect(batches).toBeGreaterThan(4);
    // libdeflate writes into the reader's two buffers; zlib gives a new buffer a batch.
    if (inflate === native.inflate) expect(buffers.size).toBe(2);
    else expect(buffers.size).toBe(batches);
  });

  it('two inputs read at once never share an output buffer; the next input reuses the buffers of one that ended', async () => {
    const input = (seed: number): Buffer => Buffer.concat(Array.from({ length: 1200 }, (_, i) => gzipMember(Buffer.from(`r ${seed} ${i} ${garbage(1500, seed * 10_000 + i).toString()}`))));
    const open = (buf: Buffer) => gzipMembers(chunks(buf, 64 * 1024), { maxMemberBytes: 1 << 20, inflate, onDamage: () => undefined, readBatch: () => true });
    const [a, b] = [open(input(1)), open(input(2))];
    const held: Array<{ view: Buffer; copy: Buffer }> = [];
    const seen = { a: new Set<ArrayBufferLike>(), b: new Set<ArrayBufferLike>() };
    for (;;) {
      const [x, y] = [await a.next(), await b.next()]; // interleaved, as two files read by one thread
      for (const h of held.splice(0)) expect(h.view.equals(h.copy)).toBe(true);
      if (x.done && y.done) break;
      for (const [r, set] of [[x, seen.a], [y, seen.b]] as const) {
        if (r.done) continue;
        held.push({ view: r.value.data, copy: Buffer.from(r.value.data) });
        if (r.value.batch !== undefined) set.add(r.value.data.buffer);
      }
    }
    expect([...seen.a].filter((buf) => seen.b.has(buf))).toEqual([]);
    const after = new Set<ArrayBufferLike>();
    for await (const m of open(input(3))) if (m.batch !== undefined) after.add(m.data.buffer);
    if (inflate === native.inflate) expect([...after].every((buf) => seen.a.has(buf) || seen.b.has(buf))).toBe(true);
  });
});
