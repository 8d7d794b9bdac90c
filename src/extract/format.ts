/** Output formats of `extract`: JSON lines (C1 and DEL as \u escapes) and TSV (with a header line; nulls as \N; control characters escaped as \xHH). */
import type { Column, Row, RowValue } from '../job/types.js';
import { terminalJson } from '../log/index.js';

export type OutputFormat = 'jsonl' | 'tsv';

/** Control characters (C0, DEL, C1) other than the three TSV escapes by name: a terminal would act on them (ESC, BEL, CSI). */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

function tsvField(v: RowValue | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return String(v)
    .replace(/\\/g, '\\\\')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatHeader(format: OutputFormat, columns: readonly Column[]): string | null {
  return format === 'tsv' ? columns.map((c) => c.name).join('\t') + '\n' : null;
}

export function formatRow(format: OutputFormat, columns: readonly Column[], row: Row): string {
  if (format === 'jsonl') return terminalJson(row) + '\n';
  return columns.map((c) => tsvField(row[c.name])).join('\t') + '\n';
}
