/** A lookup's commit record (`lookup/<name>/commit.json`) as read back: its digest and its one schema. No DuckDB here: the coordinator reads it. */
import { createHash } from 'node:crypto';
import type { LookupPart, LookupResult } from '../storage/index.js';

/** The SHA-256 of a lookup's commit record as stored: what the reduce tasks check it against. */
export const lookupDigest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A lookup's commit record, checked: the shape its task writes, for this lookup and partition count, or an error. */
export function parseLookupResult(body: Buffer, name: string, partitions: number): LookupResult {
  const bad = (why: string): Error => new Error(`the ${name} lookup's commit record: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not an object');
  const r = v as Record<string, unknown>;
  if (r.name !== name || r.partitions !== partitions) throw bad(`not the ${name} lookup of ${partitions} partitions`);
  if (!isCount(r.rows) || typeof r.seconds !== 'number' || !Array.isArray(r.sources) || !Array.isArray(r.parts)) throw bad('bad counts');
  let last = -1;
  let rows = 0;
  const parts: LookupPart[] = [];
  for (const p of r.parts as unknown[]) {
    const { partition, rows: n, bytes, sha256 } = (p ?? {}) as Record<string, unknown>;
    if (!isCount(partition) || partition >= partitions || partition <= last || !isCount(n) || !isCount(bytes) || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw bad('a part out of range, order or shape');
    }
    last = partition;
    rows += n;
    parts.push({ partition, rows: n, bytes, sha256 });
  }
  if (rows !== r.rows) throw bad(`its parts hold ${rows} rows, it says ${r.rows}`);
  const sources = (r.sources as unknown[]).map((s) => {
    const { file, bytes } = (s ?? {}) as Record<string, unknown>;
    if (typeof file !== 'string' || !isCount(bytes)) throw bad('a bad source');
    return { file, bytes };
  });
  return { name, partitions, sources, rows: r.rows, parts, seconds: r.seconds };
}
