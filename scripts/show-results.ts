/**
 * Prints a run's results from its Parquet outputs (with DuckDB, as a downstream user would read them):
 *   node dist/scripts/show-results.js <out>/<runId> [--limit N]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExitCode } from '../src/exit-codes.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { limit: { type: 'string', default: '20' } } });
const dir = positionals[0];
if (!dir || !fs.existsSync(path.join(dir, 'manifest.json'))) {
  process.stderr.write('usage: node dist/scripts/show-results.js <out>/<runId> [--limit N]  (the directory holding manifest.json)\n');
  process.exit(ExitCode.Usage);
}
const limit = Number(values.limit);
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { status: string; summary?: unknown };
process.stdout.write(`manifest: status ${manifest.status}, summary ${JSON.stringify(manifest.summary)}\n`);

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const q = (p: string): string => `'${path.join(dir, p).replace(/'/g, "''")}'`;
const show = async (title: string, sql: string): Promise<void> => {
  const rows = (await conn.runAndReadAll(sql))
    .getRowObjectsJS()
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  process.stdout.write(`\n${title} (${rows.length} shown)\n`);
  if (rows.length > 0) console.table(rows);
};
await show('top articles', `SELECT lang, article, link_count, host_count, domain_count FROM read_parquet(${q('articles/*.parquet')}) ORDER BY link_count DESC, lang, article LIMIT ${limit}`);
await show('links', `SELECT lang, article, source_url, anchor_text FROM read_parquet(${q('links/*.parquet')}) ORDER BY lang, article, source_url LIMIT ${limit}`);
conn.closeSync();
db.closeSync();
