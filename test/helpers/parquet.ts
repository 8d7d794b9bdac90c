/** Reads Parquet outputs back with DuckDB, as a downstream user would. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function readParquet(glob: string, orderBy?: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const sql = `SELECT * FROM read_parquet('${glob.replace(/'/g, "''")}')${orderBy ? ` ORDER BY ${orderBy}` : ''}`;
    const res = await conn.runAndReadAll(sql);
    // TIMESTAMP columns come back as Dates: compare them as the rows carried them (ISO 8601, `Z`, no .000 when whole).
    return (res.getRowObjectsJS() as Record<string, unknown>[]).map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString().replace('.000Z', 'Z') : v])));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Rows of each file separately (to check per-file sort order). */
export async function readParquetFile(file: string): Promise<Record<string, unknown>[]> {
  return readParquet(file);
}
