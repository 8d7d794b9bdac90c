/**
 * A run's outcome from its manifest and its file list: files ok / retried / failed (with their last error), records
 * skipped by reason, outputs. `wikireverse report` prints it as text or JSON; report.html (src/report) draws it.
 */
import { outputDir, type OutputStore } from '../storage/index.js';
import type { Manifest } from './manifest.js';
import { pendingOf, readRunFiles, type RunFile } from './run-files.js';

/** The files an outcome names: those that failed, and those that took more than one attempt. */
export interface OutcomeFiles {
  readonly failed: readonly RunFile[];
  readonly retried: readonly RunFile[];
}

/** Reads the run's list once for the files an outcome names. */
export async function readOutcomeFiles(store: OutputStore, runId: string): Promise<OutcomeFiles> {
  const failed: RunFile[] = [];
  const retried: RunFile[] = [];
  for await (const batch of readRunFiles(store, runId)) {
    for (const f of batch) {
      if (f.status === 'failed') failed.push(f);
      if ((f.attempts ?? 1) > 1 && f.status !== 'pending') retried.push(f);
    }
  }
  return { failed, retried };
}

export interface RunOutcome {
  readonly runId: string;
  readonly status: string;
  readonly reason: string | null;
  readonly files: { total: number; ok: number; retried: number; failed: number; pending: number };
  readonly failed: Array<{ input: string; attempts: number; error: string }>;
  readonly retried: Array<{ input: string; attempts: number }>;
  /** Counters that say why something was skipped (pages, records, links), by reason. */
  readonly skipped: Record<string, number>;
  readonly outputs: Record<string, { files: number; rows: number; bytes: number }>;
  readonly summary: Manifest['summary'] | null;
  /** Wall time of each coordinator session (the run and its resumes), seconds. */
  readonly sessionsSeconds: number[];
}

const SKIP_RE = /^(pages_(?!parsed)|records_|input_damage\.|bytes_skipped|links_rejected\.|links_duplicate|files_requeued|io\.retries|io\.resumes)/;

export function buildOutcome(m: Manifest, { failed, retried }: OutcomeFiles): RunOutcome {
  const outputs: RunOutcome['outputs'] = {};
  for (const o of m.outputs) {
    const e = (outputs[o.output] ??= { files: 0, rows: 0, bytes: 0 });
    e.files++;
    e.rows += o.rows;
    e.bytes += o.bytes;
  }
  return {
    runId: m.runId,
    status: m.status,
    reason: m.reason ?? null,
    files: { total: m.files.total, ok: m.files.done, retried: m.files.retried, failed: m.files.failed, pending: pendingOf(m.files) },
    failed: failed.map((f) => ({ input: f.input, attempts: f.attempts ?? 0, error: f.error ?? 'unknown' })),
    retried: retried.map((f) => ({ input: f.input, attempts: f.attempts ?? 0 })),
    skipped: Object.fromEntries(Object.entries(m.counters).filter(([k]) => SKIP_RE.test(k)).sort(([a], [b]) => a.localeCompare(b))),
    outputs,
    summary: m.summary ?? null,
    sessionsSeconds: (m.sessionsMillis ?? []).map((ms) => Math.round(ms / 100) / 10),
  };
}

export function formatOutcome(r: RunOutcome, out: string): string {
  const lines = [
    `run ${r.runId}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    // ok + failed + pending = total; "retried" counts files of either kind that took more than one attempt.
    `files: ${r.files.total} total: ${r.files.ok} ok, ${r.files.failed} failed${r.files.pending ? `, ${r.files.pending} pending` : ''}` +
      (r.files.retried ? ` (${r.files.retried} took more than one attempt)` : ''),
  ];
  if (r.summary) {
    const parts = r.sessionsSeconds.length > 1 ? ` (${r.sessionsSeconds.length} sessions: ${r.sessionsSeconds.map((s) => `${s}s`).join(' + ')})` : '';
    lines.push(`pages ${r.summary.pages}, links ${r.summary.links}, articles ${r.summary.articles}, ${r.summary.seconds}s${parts}`);
  }
  if (r.failed.length > 0) {
    lines.push('failed inputs:');
    for (const f of r.failed) lines.push(`  ${f.input} (attempts ${f.attempts}): ${f.error}`);
    lines.push(`retry just those: wikireverse resume ${r.runId} --out ${out} --retry-failed`);
  }
  if (r.retried.length > 0) {
    lines.push('retried inputs:');
    for (const f of r.retried) lines.push(`  ${f.input} (attempts ${f.attempts})`);
  }
  const skipped = Object.entries(r.skipped);
  if (skipped.length > 0) {
    lines.push('skipped, by reason:');
    for (const [k, v] of skipped) lines.push(`  ${k}: ${v}`);
  }
  const outputs = Object.entries(r.outputs);
  if (outputs.length > 0) {
    lines.push('outputs:');
    for (const [name, o] of outputs) lines.push(`  ${out}/${outputDir(r.runId, name)}/: ${o.files} files, ${o.rows} rows, ${o.bytes} bytes`);
  }
  return lines.join('\n') + '\n';
}
