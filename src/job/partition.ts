/** Partitioning rows by a hash of their partition key (FNV-1a, 32 bit): stable across processes and machines. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export function partName(index: number, ext: string): string {
  return `part-${String(index).padStart(5, '0')}.${ext}`;
}
