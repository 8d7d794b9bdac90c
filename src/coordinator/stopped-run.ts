/**
 * The manifest of a run that stops before its end (a signal, `wikireverse cancel`, a budget): resumable, saying how,
 * and counting the files committed so far.
 */
import type { OutputStore } from '../storage/index.js';
import type { Manifest } from './manifest.js';
import { updateRunFiles } from './run-files.js';
import { committedFiles } from './settle.js';

/** The manifest of a run stopped by a signal: resumable, and saying how. */
export function markInterrupted(manifest: Manifest): void {
  manifest.status = 'interrupted';
  manifest.reason = `interrupted; continue with: wikireverse resume ${manifest.runId} --out ${manifest.settings.out}`;
}

/**
 * The files committed so far, marked done in the list of a run that stops before its end (so its report, status
 * and report.html count them: a cancelled run showed 0 of 24 files done with 16 committed). One LIST per 1,000 files.
 */
export async function markCommitted(store: OutputStore, manifest: Manifest): Promise<void> {
  try {
    const committed = await committedFiles(store, manifest.runId);
    manifest.files = await updateRunFiles(store, manifest.runId, (batch) => {
      for (const f of batch) if (committed.has(f.fileId)) f.status = 'done';
    });
  } catch {
    // The store is failing: the manifest keeps the counts it had, and `status` counts the commit records itself.
  }
}
