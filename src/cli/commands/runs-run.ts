/** The work of `wikireverse runs` (commands/runs.ts parses its flags), loaded only when it runs. */
import fsp from 'node:fs/promises';
import { readManifest, type Manifest } from '../../coordinator/index.js';
import { readCostFile } from '../../cost/index.js';
import { isRemote, manifestPath, type OutputStore } from '../../storage/index.js';
import { ACTIVE_RUNS_KEY, listRunIds, openRedis, readCostUsd, readRunRecord } from '../../redis/index.js';
import { UsageError } from '../io.js';
import type { CommandContext } from '../context.js';
import { withStore, type StorageFlags } from '../storage.js';

interface RunLine {
  readonly runId: string;
  readonly status: string;
  readonly files: number;
  readonly done: number | null;
  readonly failed: number | null;
  readonly links: number | null;
  readonly costUsd: number | null;
  readonly createdAt: string | null;
  readonly active?: boolean;
}

/** The run directories under an output location: its first-level folders (those that hold a manifest are runs). */
export async function runIdsUnder(store: OutputStore, out: string): Promise<string[]> {
  if (!isRemote(out)) {
    const names = await fsp.readdir(store.location, { withFileTypes: true }).catch(() => []);
    return names.filter((d) => d.isDirectory()).map((d) => d.name).sort();
  }
  // One LIST per 1,000 objects under the location: a bucket with many runs' partials takes a while.
  const listed = new Set(await store.list(''));
  return [...new Set([...listed].map((k) => k.split('/')[0] as string))].filter((id) => listed.has(manifestPath(id))).sort();
}

function lineOf(m: Manifest, costUsd: number | null): RunLine {
  return {
    runId: m.runId, status: m.status, files: m.files.total, done: m.files.done, failed: m.files.failed,
    links: m.summary?.links ?? null, costUsd, createdAt: m.createdAt,
  };
}

function age(iso: string | null, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}

export interface RunsFlags extends StorageFlags {
  out?: string;
  redis?: string;
  json: boolean;
}

/** The runs whose manifests are under an output location. */
async function runsUnder(store: OutputStore, out: string): Promise<RunLine[]> {
  const lines: RunLine[] = [];
  for (const id of await runIdsUnder(store, out)) {
    const m = await readManifest(store, id).catch(() => null);
    if (!m) continue;
    const cost = await readCostFile(store, id).catch(() => null);
    lines.push(lineOf(m, typeof cost?.totalUsd === 'number' ? cost.totalUsd : null));
  }
  return lines;
}

export async function runsCommand(ctx: CommandContext, o: RunsFlags): Promise<void> {
  if (!o.out && !o.redis) throw new UsageError('runs needs --out DIR or --redis URL (see wikireverse runs --help)');
  const lines: RunLine[] = [];
  const out = o.out;
  if (out && !isRemote(out) && !(await fsp.stat(out).then((st) => st.isDirectory(), () => false))) {
    // A typo is not an empty output directory.
    throw new Error(`No output directory ${out}`);
  }
  if (out) {
    lines.push(...(await withStore(ctx, o, out, (store) => runsUnder(store, out))));
  } else if (o.redis) {
    const redis = await openRedis(o.redis, 'wikireverse-runs');
    try {
      const active = new Set(await redis.smembers(ACTIVE_RUNS_KEY));
      for (const id of await listRunIds(redis)) {
        const r = await readRunRecord(redis, id);
        if (!r) continue;
        const cost = await readCostUsd(redis, id);
        lines.push({ runId: id, status: r.status, files: r.files, done: null, failed: null, links: null,
          costUsd: cost, createdAt: r.createdAt, active: active.has(id) });
      }
    } finally {
      redis.disconnect();
    }
  }
  if (o.json) {
    ctx.io.stdout.write(JSON.stringify(lines, null, 2) + '\n');
    return;
  }
  if (lines.length === 0) {
    ctx.io.stdout.write(`no runs in ${o.out ?? 'this Redis'}\n`);
    return;
  }
  const now = Date.now();
  const header = ['run', 'status', 'files', 'done', 'failed', 'links', 'cost', 'age'];
  const rows = [header,
    ...lines.map((l) => [l.runId, l.status, String(l.files), l.done === null ? '-' : String(l.done), l.failed === null ? '-' : String(l.failed),
      l.links === null ? '-' : String(l.links), l.costUsd === null ? '-' : `$${l.costUsd.toFixed(3)}`, age(l.createdAt, now)])];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) ctx.io.stdout.write(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n');
}
