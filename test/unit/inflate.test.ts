/**
 * The two inflates (libdeflate through the addon, node's zlib) give the same answer on the same bytes: whole members,
 * damaged ones, bytes between them, a member cut short, a trailer that lies, a limit; and the records read from the
 * real samples and from damaged inputs are the same on both paths. The addon must load here (npm ci builds it).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateFor, loadNative, nativeInflate, zlibInflate, type Inflate } from '../../src/warc/inflate.js';
import { inputRecords } from '../../src/warc/input.js';
import { badHeaderMember, garbage, gzipMember, truncatedMember } from '../../src/fixtures/corrupt.js';
import { Rng } from '../../src/fixtures/rng.js';

const loaded = nativeInflate();
if (!('inflate' in loaded)) throw new Error(`the addon must load for this suite: ${loaded.error}`);
const native: Inflate = loaded.inflate;

const member = (text: string): Buffer => gzipMember(Buffer.from(text));
const a = member('alpha '.repeat(300));
const b = member('beta '.repeat(5000));
const c = member('');

/** Both inflates' answers for `bytes`, as text (or null), and that they agree. */
function both(bytes: Buffer, maxBytes = 1 << 20, first = 64): string | null {
  const n = native.gunzipMembers(bytes, maxBytes, first);
  const z = zlibInflate.gunzipMembers(bytes, maxBytes, first);
  expect(n === null ? null : n.toString('latin1'), 'libdeflate and zlib differ').toEqual(z === null ? null : z.toString('latin1'));
  // Into a caller's buffer (the reader's reused ones): the same answer, written there when it fits, else a buffer of its own.
  for (const room of [16, 4096, 2 << 20]) {
    const into = Buffer.alloc(room, 0xee);
    const i = native.gunzipMembers(bytes, maxBytes, first, into);
    expect(i === null ? null : i.toString('latin1'), `into ${room} bytes`).toEqual(n === null ? null : n.toString('latin1'));
    if (i !== null) expect(i.buffer === into.buffer, `into ${room} bytes: written there`).toBe(i.length <= room);
  }
  return n === null ? null : n.toString('latin1');
}

describe('libdeflate and zlib agree', () => {
  it('on whole members, one or many, empty ones and header fields (FNAME, FEXTRA, FHCRC) included', () => {
    expect(both(a)).toBe('alpha '.repeat(300));
    expect(both(Buffer.concat([a, b, c, a]))).toBe('alpha '.repeat(300) + 'beta '.repeat(5000) + 'alpha '.repeat(300));
    const plain = zlib.gzipSync('named');
    const head = Buffer.concat([plain.subarray(0, 3), Buffer.from([0x08 | 0x04 | 0x02]), plain.subarray(4, 10), Buffer.from([2, 0, 7, 7]), Buffer.from('f.warc\0')]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(zlib.crc32(head) & 0xffff);
    expect(both(Buffer.concat([head, hcrc, plain.subarray(10)]))).toBe('named');
  });

  it('on anything that is not whole members only: null', () => {
    const cases: Array<[string, Buffer]> = [
      ['empty input', Buffer.alloc(0)],
      ['garbage between members', Buffer.concat([a, garbage(50), b])],
      ['garbage after the last member', Buffer.concat([a, Buffer.from('xyz')])],
      // node's gunzip alone takes zero bytes after a member for padding and stops there, silently dropping what follows
      ['garbage starting with a zero byte between members', Buffer.concat([a, Buffer.from([0, 0x8b, 7]), b])],
      ['zero bytes after the last member', Buffer.concat([a, Buffer.alloc(4)])],
      ['garbage first', Buffer.concat([garbage(9), a])],
      ['a member cut short', Buffer.concat([a, b.subarray(0, b.length - 3)])],
      ['a truncated deflate stream', Buffer.concat([a, truncatedMember(Buffer.from('y '.repeat(4000)))])],
      ['a bad header', badHeaderMember(Buffer.from('x'.repeat(500)))],
      ['a gzip magic and nothing else', Buffer.from([0x1f, 0x8b, 8])],
    ];
    const crc = Buffer.from(a);
    crc.writeUInt32LE((crc.readUInt32LE(crc.length - 8) ^ 1) >>> 0, crc.length - 8);
    const size = Buffer.from(a);
    size.writeUInt32LE(size.readUInt32LE(size.length - 4) + 1, size.length - 4);
    cases.push(['a CRC that does not match', crc], ['a length that does not match', size]);
    for (const [what, bytes] of cases) expect(both(bytes), what).toBeNull();
  });

  it('on the output limit, and output that outgrows the first room many times over', () => {
    const text = 'alpha '.repeat(300);
    expect(both(a, text.length)).toBe(text);
    expect(both(a, text.length - 1)).toBeNull();
    const zeros = zlib.gzipSync(Buffer.alloc(8 << 20)); // ~8 KB that inflate to 8 MiB: the room doubles from 1 byte
    expect(native.gunzipMembers(zeros, 8 << 20, 1)?.length).toBe(8 << 20);
    expect(both(zeros, 16 << 20, 1)?.length).toBe(8 << 20);
    expect(both(Buffer.concat([zeros, zeros]), 12 << 20, 1)).toBeNull();
  });

  it('on 600 damaged copies of real members (bytes flipped, cut, inserted)', async () => {
    const sample = await fsp.readFile(path.resolve('test/fixtures/samples/CC-MAIN-2020-34-resiliparse.warc.gz'));
    const run = sample.subarray(0, 40_000);
    const end = run.lastIndexOf(Buffer.from([0x1f, 0x8b, 8]));
    const whole = run.subarray(0, end);
    expect(both(whole)).not.toBeNull();
    const rng = new Rng(7);
    let failed = 0;
    for (let i = 0; i < 600; i++) {
      const m = Buffer.from(whole);
      const at = rng.range(0, m.length - 1);
      const kind = i % 3;
      let bytes: Buffer = m;
      if (kind === 0) m[at] = (m[at] as number) ^ (1 << rng.range(0, 7));
      else if (kind === 1) bytes = m.subarray(0, at);
      else bytes = Buffer.concat([m.subarray(0, at), garbage(rng.range(1, 9), i), m.subarray(at)]);
      if (both(bytes) === null) failed++;
    }
    expect(failed).toBeGreaterThan(300); // most damage is caught by both, and the same way
  });
});

describe('the choice of inflate', () => {
  it('auto and libdeflate take the addon here; zlib takes node\'s zlib', () => {
    expect(native.name).toMatch(/^libdeflate \d+\.\d+/);
    expect(inflateFor('auto')).toEqual({ inflate: native });
    expect(inflateFor('libdeflate')).toEqual({ inflate: native });
    expect(inflateFor('zlib').inflate).toBe(zlibInflate);
    expect(zlibInflate.name).toBe(`zlib ${process.versions.zlib} (node)`);
  });

  it('an addon that is absent or does not load: zlib, and why (libdeflate required: an error)', async () => {
    expect(loadNative(path.join(os.tmpdir(), 'no-such-dir', 'wikireverse_inflate.node'))).toEqual({ error: expect.stringMatching(/is not built/) });
    const bogus = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-addon-')), 'wikireverse_inflate.node');
    fs.writeFileSync(bogus, 'not an ELF file');
    expect(loadNative(bogus)).toEqual({ error: expect.stringMatching(/does not load \(.+\)/) });
  });
});

/** Every record (offset, type, URI, payload) and every damage report inputRecords gives for `input` with `inflate`. */
async function readAll(input: Buffer, inflate: Inflate, chunk: number): Promise<unknown[]> {
  const out: unknown[] = [];
  const chunks = Array.from({ length: Math.ceil(input.length / chunk) }, (_, i) => input.subarray(i * chunk, (i + 1) * chunk));
  try {
    const r = await inputRecords(Readable.from(chunks), { maxMemberBytes: 4 << 20, inflate, onDamage: (d) => out.push({ ...d, head: undefined }) });
    for await (const batch of r.batches) {
      for (const item of batch) {
        const rec = await item;
        const view = rec.readSync ? rec.readSync(1 << 20) : await rec.read(1 << 20);
        out.push([rec.offset, rec.header.warcType, rec.header.targetUri, zlib.crc32(view.payload), view.payload.length]);
      }
    }
  } catch (err) {
    out.push(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  return out;
}

describe('inputs read on both paths', () => {
  const dir = path.resolve('test/fixtures/samples');
  const samples = [...fs.readdirSync(dir).filter((f) => f.endsWith('.gz')).map((f) => path.join(dir, f)), path.resolve('test/fixtures/arc/heritrix-2008-example.arc.gz')].filter((f) => fs.existsSync(f));

  it('the real samples: the same records, offsets and payloads', async () => {
    expect(samples.length).toBeGreaterThanOrEqual(6);
    for (const file of samples) {
      const bytes = await fsp.readFile(file);
      for (const chunk of [4096, 1 << 20]) {
        const z = await readAll(bytes, zlibInflate, chunk);
        expect(z.length, file).toBeGreaterThan(1);
        expect(await readAll(bytes, native, chunk), `${file}, chunks of ${chunk}`).toEqual(z);
      }
    }
  });

  it('damaged inputs: the same records and the same damage, named at the same offsets', async () => {
    const bytes = await fsp.readFile(path.join(dir, 'CC-MAIN-2020-34-resiliparse.warc.gz'));
    const rng = new Rng(11);
    for (let i = 0; i < 60; i++) {
      const m = Buffer.from(bytes);
      for (let k = 0; k < 1 + (i % 4); k++) m[rng.range(0, m.length - 1)] = rng.range(0, 255);
      const input = i % 5 === 4 ? m.subarray(0, rng.range(1, m.length)) : m;
      expect(await readAll(input, native, 16_384), `mutant ${i}`).toEqual(await readAll(input, zlibInflate, 16_384));
    }
  });
});
