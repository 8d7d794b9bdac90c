/**
 * Mutant number i of a run: its kind comes round-robin (every kind is exercised once per MUTATION_KINDS.length
 * mutants), everything else from a PRNG seeded with (run seed, i): mutant i is the same whatever came before it.
 * Plain mutations are written plain, gzipped one member per record, or gzipped as one member.
 */
import { Rng } from '../fixtures/rng.js';
import { GZIP_KINDS, gzipMutation, type GzipKind } from './gzip-mutations.js';
import { PLAIN_KINDS, PLAIN_MUTATIONS, type PlainKind } from './plain-mutations.js';
import type { Seed } from './seeds.js';
import { gzip, splitAtRecords } from './warc-bytes.js';

export const MUTATION_KINDS = [...PLAIN_KINDS, ...GZIP_KINDS] as const;
export type MutationKind = PlainKind | GzipKind;

export interface Mutant {
  readonly index: number;
  readonly kind: MutationKind;
  /** What was done, to which seed, and how it was written. */
  readonly detail: string;
  readonly gzipped: boolean;
  readonly bytes: Buffer;
}

const isPlainKind = (kind: MutationKind): kind is PlainKind => (PLAIN_KINDS as readonly string[]).includes(kind);

export function mutantAt(seeds: readonly Seed[], runSeed: number, index: number): Mutant {
  if (seeds.length === 0) throw new Error('mutantAt: no seeds');
  const rng = Rng.derive(runSeed, 0xf022, index);
  const kind = MUTATION_KINDS[index % MUTATION_KINDS.length] as MutationKind;
  const seed = rng.pick(seeds);
  if (!isPlainKind(kind)) {
    // The plain mutation inside a member also comes round-robin, one step per full round of kinds.
    const inner = PLAIN_KINDS[Math.floor(index / MUTATION_KINDS.length) % PLAIN_KINDS.length] as PlainKind;
    const m = gzipMutation(kind, seed, rng, inner);
    return { index, kind, detail: `${seed.name}: ${m.detail}`, gzipped: true, bytes: m.bytes };
  }
  const m = PLAIN_MUTATIONS[kind](seed.plain, rng);
  const form = rng.pick(['plain', 'plain', 'members', 'members', 'one-member'] as const);
  const bytes = form === 'plain' ? m.bytes : form === 'one-member' ? gzip(m.bytes) : Buffer.concat(splitAtRecords(m.bytes).map(gzip));
  const written = form === 'plain' ? 'plain' : form === 'one-member' ? 'gzipped as one member' : 'gzipped per record';
  return { index, kind, detail: `${seed.name}: ${m.detail}; ${written}`, gzipped: form !== 'plain', bytes };
}
