/**
 * Mutations of gzipped WARC files laid out as Common Crawl stores them (one gzip member per record): a plain mutation
 * inside one member, members shuffled, dropped or repeated, the compressed bytes damaged or cut, and a whole-file
 * member concatenated (sometimes one that inflates past the reader's 64 MiB member limit, which switches it to streaming).
 */
import type { Rng } from '../fixtures/rng.js';
import { PLAIN_MUTATIONS, logSize, type Mutated, type PlainKind } from './plain-mutations.js';
import { gzip } from './warc-bytes.js';

export const GZIP_KINDS = ['member-mutation', 'member-shuffle', 'member-drop', 'member-duplicate', 'gzip-corrupt', 'gzip-truncate', 'whole-file-member'] as const;
export type GzipKind = (typeof GZIP_KINDS)[number];

/** A gzipped input: its members and, for each, the record it inflates to. */
export interface GzipSeed {
  readonly members: readonly Buffer[];
  readonly records: readonly Buffer[];
}

/** Offsets of each member in the concatenated file. */
function memberOffsets(members: readonly Buffer[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const m of members) {
    out.push(at);
    at += m.length;
  }
  return out;
}

/** A member whose record is larger than the reader holds whole (64 MiB): built once, it compresses to ~70 KiB. */
let bigMember: Buffer | undefined;
function oversizedMember(): Buffer {
  if (bigMember === undefined) {
    const length = (64 << 20) + 4096;
    const head = Buffer.from(`WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://example.com/big\r\nWARC-Date: 2024-05-18T00:00:00Z\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`, 'latin1');
    bigMember = gzip(Buffer.concat([head, Buffer.alloc(length, 'x'), Buffer.from('\r\n\r\n', 'latin1')]));
  }
  return bigMember;
}

/** `inner`: the plain mutation `member-mutation` applies. */
export function gzipMutation(kind: GzipKind, seed: GzipSeed, rng: Rng, inner: PlainKind): Mutated {
  const members = [...seed.members];
  const n = members.length;
  switch (kind) {
    case 'member-mutation': {
      const i = rng.chance(0.1) ? 0 : rng.int(n);
      const m = PLAIN_MUTATIONS[inner](seed.records[i] ?? Buffer.alloc(0), rng);
      members[i] = gzip(m.bytes);
      return { bytes: Buffer.concat(members), detail: `member ${i} of ${n}: ${inner}: ${m.detail}` };
    }
    case 'member-shuffle': {
      const style = rng.pick(['swap', 'reverse-range', 'shuffle'] as const);
      if (style === 'shuffle') {
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [members[i], members[j]] = [members[j] as Buffer, members[i] as Buffer];
        }
        return { bytes: Buffer.concat(members), detail: `all ${n} members shuffled` };
      }
      const a = rng.int(n);
      const b = rng.int(n);
      const [lo, hi] = a < b ? [a, b] : [b, a];
      if (style === 'swap') [members[lo], members[hi]] = [members[hi] as Buffer, members[lo] as Buffer];
      else members.splice(lo, hi - lo + 1, ...members.slice(lo, hi + 1).reverse());
      return { bytes: Buffer.concat(members), detail: `members ${lo}..${hi}: ${style}` };
    }
    case 'member-drop': {
      const dropped: number[] = [];
      for (let k = rng.range(1, 3); k > 0 && members.length > 1; k--) {
        const i = rng.chance(0.15) ? 0 : rng.int(members.length);
        members.splice(i, 1);
        dropped.push(i);
      }
      return { bytes: Buffer.concat(members), detail: `members dropped at ${dropped.join(',')} (of ${n})` };
    }
    case 'member-duplicate': {
      const i = rng.int(n);
      const to = rng.chance(0.5) ? i + 1 : rng.int(n + 1);
      members.splice(to, 0, members[i] as Buffer);
      return { bytes: Buffer.concat(members), detail: `member ${i} copied to ${to} (of ${n})` };
    }
    case 'gzip-corrupt': {
      let bytes = Buffer.concat(members);
      const offsets = memberOffsets(members);
      const at: string[] = [];
      for (let k = rng.range(1, 4); k > 0; k--) {
        const i = rng.int(n);
        const start = offsets[i] ?? 0;
        const len = members[i]?.length ?? 0;
        const where = rng.pick(['anywhere', 'header', 'trailer', 'deflate'] as const);
        const p =
          where === 'anywhere' ? rng.int(bytes.length)
          : where === 'header' ? start + rng.int(10)
          : where === 'trailer' ? start + Math.max(0, len - 1 - rng.int(8))
          : start + 10 + rng.int(Math.max(1, len - 18));
        const op = rng.pick(['xor', 'zero', 'ff', 'insert', 'delete'] as const);
        if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from([rng.int(256)]), bytes.subarray(p)]);
        else if (op === 'delete') bytes = Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + 1)]);
        else {
          bytes = Buffer.from(bytes);
          bytes[p] = op === 'zero' ? 0 : op === 'ff' ? 0xff : (bytes[p] ?? 0) ^ rng.range(1, 255);
        }
        at.push(`${op}@${p}(${where})`);
      }
      return { bytes, detail: `compressed bytes damaged: ${at.join(' ')}` };
    }
    case 'gzip-truncate': {
      const bytes = Buffer.concat(members);
      const offsets = memberOffsets(members);
      const i = rng.int(n);
      const start = offsets[i] ?? 0;
      const len = members[i]?.length ?? 0;
      const where = rng.pick(['anywhere', 'in-trailer', 'after-header', 'in-header'] as const);
      const at =
        where === 'anywhere' ? rng.int(bytes.length + 1)
        : where === 'in-trailer' ? start + len - rng.range(1, 8)
        : where === 'after-header' ? start + 10
        : start + rng.int(10);
      return { bytes: bytes.subarray(0, Math.max(0, at)), detail: `compressed stream cut at ${at} of ${bytes.length} (${where}, member ${i})` };
    }
    case 'whole-file-member': {
      const style = rng.pick(['alone', 'after', 'before', 'between', 'oversized'] as const);
      if (style === 'oversized') {
        const i = rng.int(n + 1);
        members.splice(i, 0, oversizedMember());
        return { bytes: Buffer.concat(members), detail: `a member inflating to 64 MiB + 4 KiB inserted at ${i} (of ${n})` };
      }
      const whole = gzip(Buffer.concat(seed.records.slice(0, rng.chance(0.5) ? n : logSize(rng, 1, n))));
      const i = rng.int(n + 1);
      const parts = style === 'alone' ? [whole] : style === 'after' ? [...members, whole] : style === 'before' ? [whole, ...members] : [...members.slice(0, i), whole, ...members.slice(i)];
      return { bytes: Buffer.concat(parts), detail: `whole-file member (${whole.length} bytes) ${style}${style === 'between' ? ` at ${i}` : ''}` };
    }
  }
}
