/**
 * What report.html shows, gathered from the run's files in the output store: manifest.json, timeline.json,
 * cost.json (the cost ledger, when one ran), and the Parquet outputs queried with DuckDB (top articles, top linking
 * domains, links by language).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readOutcomeFiles, type Manifest, type OutcomeFiles } from '../coordinator/index.js';
import { readTimeline, type TimelinePoint } from '../progress/index.js';
import type { OutputStore } from '../storage/index.js';
import { readCostFile } from '../cost/index.js';

/** The parts of the cost ledger (src/cost, `<out>/<runId>/cost.json`) the report uses; all optional. */
export interface CostFile {
  readonly totalUsd?: number;
  readonly computedAt?: string;
  readonly byCategory?: Record<string, number>;
  readonly items?: ReadonlyArray<{ category?: string; name?: string; quantity?: number; unit?: string; usd?: number }>;
  readonly monthlyStorageUsd?: number;
  readonly projected?: { cpuSeconds?: number; vcpuHours?: number; ec2SpotUsd?: number };
}

export interface Ranked {
  readonly key: string;
  readonly count: number;
}

export interface ReportData {
  readonly manifest: Manifest;
  readonly timeline: readonly TimelinePoint[];
  readonly cost: CostFile | null;
  /** Seconds workers spent on committed files (from the manifest): the basis of a cost estimate without a ledger. */
  readonly workerSeconds: number;
  /** The files the report names (failed, retried), from the run's list. */
  readonly files: OutcomeFiles;
  readonly topArticles: readonly (Ranked & { lang: string; article: string; domains: number })[];
  readonly topDomains: readonly Ranked[];
  readonly languages: readonly Ranked[];
  /** Why the Parquet figures are missing (no outputs yet, or a query failed). */
  readonly queryNote: string | null;
  readonly generatedAt: string;
}

export async function gatherReport(store: OutputStore, manifest: Manifest, top = 20): Promise<ReportData> {
  const timeline = (await readTimeline(store, manifest.runId))?.points ?? [];
  // A ledger that is not as the run wrote it is left out of the report (`wikireverse cost` says what is wrong with it).
  const cost: CostFile | null = await readCostFile(store, manifest.runId).catch(() => null);
  const workerSeconds = manifest.files.workerSeconds;
  const named = await readOutcomeFiles(store, manifest.runId);
  const base = { manifest, timeline, cost, workerSeconds, files: named, generatedAt: new Date().toISOString() };
  const files = (o: string): string[] => manifest.outputs.filter((x) => x.output === o && x.rows > 0).map((x) => x.path);
  const links = files('links');
  const articles = files('articles');
  if (links.length === 0 && articles.length === 0) {
    return { ...base, topArticles: [], topDomains: [], languages: [], queryNote: manifest.outputs.length ? 'the outputs have no rows' : 'no outputs yet (the run was not reduced)' };
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-report-'));
  try {
    // Local stores hand back their own files; S3 objects are downloaded (one folder per output: same file names).
    const local = async (ps: string[], sub: string): Promise<string[]> => Promise.all(ps.map((p) => store.localCopy(p, path.join(tmp, sub))));
    const [linkFiles, articleFiles] = [await local(links, 'links'), await local(articles, 'articles')];
    return { ...base, ...(await query(linkFiles, articleFiles, top)), queryNote: null };
  } catch (err) {
    return { ...base, topArticles: [], topDomains: [], languages: [], queryNote: `could not query the outputs: ${(err as Error).message}` };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

const list = (files: string[]): string => `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;

async function query(linkFiles: string[], articleFiles: string[], top: number): Promise<Pick<ReportData, 'topArticles' | 'topDomains' | 'languages'>> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await db.connect();
  const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await conn.runAndReadAll(sql)).getRowObjectsJS();
  try {
    const topArticles = articleFiles.length === 0 ? [] : (await rows(
      `SELECT lang, article, link_count, domain_count FROM read_parquet(${list(articleFiles)}) ORDER BY link_count DESC, domain_count DESC, lang, article LIMIT ${top}`,
    )).map((r) => ({ key: `${String(r.lang)}:${String(r.article)}`, lang: String(r.lang), article: String(r.article), count: Number(r.link_count), domains: Number(r.domain_count) }));
    const topDomains = linkFiles.length === 0 ? [] : (await rows(
      `SELECT coalesce(source_domain, source_host, '?') AS k, count(*) AS n FROM read_parquet(${list(linkFiles)}) GROUP BY k ORDER BY n DESC, k LIMIT ${top}`,
    )).map((r) => ({ key: String(r.k), count: Number(r.n) }));
    const languages = linkFiles.length === 0 ? [] : (await rows(
      `SELECT lang AS k, count(*) AS n FROM read_parquet(${list(linkFiles)}) GROUP BY k ORDER BY n DESC, k LIMIT 40`,
    )).map((r) => ({ key: String(r.k), count: Number(r.n) }));
    return { topArticles, topDomains, languages };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
