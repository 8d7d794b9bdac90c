/** Short, sortable run ids: `YYYYMMDD-HHMMSS-xxxx`. */
import { randomBytes } from 'node:crypto';

export function newRunId(now = new Date()): string {
  const iso = now.toISOString(); // 2026-11-21T22:41:08.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function checkRunId(runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(runId)) {
    throw new Error(`Invalid run id "${runId}": letters, digits, '-' and '_' only`);
  }
  return runId;
}
