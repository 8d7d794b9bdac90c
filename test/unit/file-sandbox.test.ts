/**
 * The watchdog of file-sandbox.ts on real threads that misbehave on purpose: a thread stuck in a loop is ended by the
 * deadline and its file fails for good, naming the file and the offset; a thread that waits forever fails the attempt
 * (retryable); a heap past its limit ends the thread, not the process; a healthy thread is kept for the next file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FileSandbox, SandboxError, type ThreadRequest } from '../../src/worker/file-sandbox.js';
import type { FileJobData } from '../../src/redis/index.js';
import { testIoSettings } from '../helpers/storage.js';

const entry = new URL('../fixtures/threads/misbehave.mjs', import.meta.url);
let sandbox: FileSandbox | undefined;

function request(input: string): ThreadRequest {
  const data: FileJobData = { runId: 'r', fileId: 'f1', input, out: '/tmp/x', job: 'wikipedia-links', partitions: 1, maxRecordBytes: 1000 };
  return { data, attempt: 1, io: testIoSettings(), inflate: 'auto' };
}

afterEach(async () => {
  await sandbox?.close();
});

describe('FileSandbox', () => {
  it('ends a thread stuck in a loop after the deadline; the error is final and names the file and the offset', async () => {
    sandbox = new FileSandbox({ noProgressMillis: 1500, heapMb: 256, checkMillis: 100, entry });
    const started = Date.now();
    const err = await sandbox.run(request('spin')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).final).toBe(true);
    expect((err as Error).message).toMatch(/^Input spin made no progress for 2 s at byte offset 1234: its reading is stuck in a loop/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    // The next file gets a new thread.
    expect(await sandbox.run(request('fine'))).toMatchObject({ input: 'fine', served: 1 });
  });

  it('fails the attempt (not for good) when the thread responds but makes no progress', async () => {
    sandbox = new FileSandbox({ noProgressMillis: 1000, heapMb: 256, checkMillis: 100, entry });
    const err = await sandbox.run(request('wait')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).final).toBe(false);
    expect((err as Error).message).toMatch(/made no progress for 1 s at byte offset 1234: no input bytes arrived and no record was read/);
  });

  it('a heap past its limit ends the thread, not this process, and fails the file for good', async () => {
    sandbox = new FileSandbox({ noProgressMillis: 30_000, heapMb: 64, checkMillis: 100, entry });
    const err = await sandbox.run(request('oom')).catch((e: unknown) => e);
    expect((err as SandboxError).final).toBe(true);
    expect((err as Error).message).toMatch(/^Input oom ran out of memory at byte offset 1234 \(a reading thread may use 64 MB of heap\)/);
  });

  it('keeps a healthy thread for the next file; an uncaught error in the thread fails the file', async () => {
    sandbox = new FileSandbox({ noProgressMillis: 30_000, heapMb: 256, checkMillis: 100, entry });
    expect(await sandbox.run(request('a'))).toMatchObject({ served: 1 });
    expect(await sandbox.run(request('b'))).toMatchObject({ served: 2 });
    await expect(sandbox.run(request('throw'))).rejects.toThrow(/reading thread failed at byte offset 1234: thrown by the thread/);
  });

  it('an abort ends the thread at once', async () => {
    sandbox = new FileSandbox({ noProgressMillis: 30_000, heapMb: 256, checkMillis: 100, entry });
    const abandon = new AbortController();
    const running = sandbox.run(request('spin'), abandon.signal);
    setTimeout(() => abandon.abort(new Error('handed back')), 200);
    await expect(running).rejects.toThrow('handed back');
  });
});
