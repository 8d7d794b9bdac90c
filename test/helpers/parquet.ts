/** Reads Parquet outputs back with DuckDB, as a downstream user would. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function readParquet(glob: string, orderBy?: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const sql = `SELECT * FROM read_parquet('${glob.replace(/'/g, "''")}')${orderBy ? ` ORDER BY ${orderBy}` : ''}`;
    const res = await conn.runAndReadAll(sql);
    return res.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Rows of each file separately (to check per-file sort order). */
export async function readParquetFile(file: string): Promise<Record<string, unknown>[]> {
  return readParquet(file);
}
