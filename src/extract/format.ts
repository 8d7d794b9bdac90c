/** Output formats of `extract`: JSON lines and TSV (with a header line; nulls as \N). */
import type { Column, Row } from '../job/types.js';

export type OutputFormat = 'jsonl' | 'tsv';

function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function formatHeader(format: OutputFormat, columns: readonly Column[]): string | null {
  return format === 'tsv' ? columns.map((c) => c.name).join('\t') + '\n' : null;
}

export function formatRow(format: OutputFormat, columns: readonly Column[], row: Row): string {
  if (format === 'jsonl') return JSON.stringify(row) + '\n';
  return columns.map((c) => tsvField(row[c.name])).join('\t') + '\n';
}
