/**
 * Reads files in a worker thread under a watchdog that runs on the worker's own event loop, not the reader's: a file
 * whose reading stops making progress fails, naming the file, the byte offset and what stopped, however it is stuck.
 * - The reading thread's event loop stops turning (a loop that never yields): the thread is ended at once after the
 *   deadline and the file fails for good (the same bytes would loop again).
 * - No input bytes and no records for the deadline while the loop turns (a source that sends nothing, a promise that
 *   never settles): the thread is ended and the file fails this attempt (a retry may get the bytes).
 * - The thread's heap passes its limit (V8 ends the thread, not the process): the file fails for good.
 * A thread is kept for the next file while it is healthy, so its start-up (~0.3 CPU-s) is paid once per slot.
 */
import { Worker } from 'node:worker_threads';
import type { FileJobData } from '../redis/index.js';
import type { FileResult, IoSettings } from '../storage/index.js';
import type { InflateChoice } from '../warc/index.js';
import { ReaderHeartbeat } from './reader-heartbeat.js';

export interface ThreadRequest {
  readonly data: FileJobData;
  readonly attempt: number;
  readonly io: IoSettings;
  /** What inflates the file's gzip members (the thread loads the addon itself). */
  readonly inflate: InflateChoice;
}

export type ThreadReply = { readonly ok: true; readonly result: FileResult } | { readonly ok: false; readonly message: string; readonly notFound: boolean };

export interface SandboxOptions {
  /** A file whose reading makes no progress this long fails. */
  readonly noProgressMillis: number;
  /** Heap limit of a reading thread (V8's old generation), MB. */
  readonly heapMb: number;
  /** How often the watchdog looks. @default 1000 */
  readonly checkMillis?: number;
  /** The thread's module. @default file-thread.js (tests give threads that misbehave on purpose) */
  readonly entry?: URL;
}

/** Why a file failed in the sandbox; `final`: retrying cannot help (the same bytes fail the same way). */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    message: string,
    readonly final: boolean,
  ) {
    super(message);
  }
}

const THREAD_ENTRY = new URL('./file-thread.js', import.meta.url);

interface Slot {
  readonly thread: Worker;
  readonly heartbeat: ReaderHeartbeat;
  /** Settles when the thread has loaded its modules (its first message), or has failed to. */
  readonly ready: Promise<void>;
  /** The thread has exited (failed to start, or ended). */
  exited: boolean;
}

export class FileSandbox {
  private readonly idle: Slot[] = [];
  private readonly busy = new Set<Slot>();

  constructor(private readonly opts: SandboxOptions) {}

  /** Starts `n` threads ahead of the first files (a thread loads its modules in ~0.3 s); settles when they are ready. */
  async warm(n: number): Promise<void> {
    while (this.idle.length + this.busy.size < n) this.idle.push(this.spawn());
    await Promise.all(this.idle.map((s) => s.ready));
  }

  private slot(): Slot {
    return this.idle.pop() ?? this.spawn();
  }

  private spawn(): Slot {
    const heartbeat = new ReaderHeartbeat();
    const thread = new Worker(this.opts.entry ?? THREAD_ENTRY, {
      workerData: { heartbeat: heartbeat.buffer },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb },
    });
    thread.unref();
    const ready = new Promise<void>((resolve) => {
      thread.once('message', () => resolve());
      thread.once('error', () => resolve());
      thread.once('exit', () => resolve());
    });
    const slot: Slot = { thread, heartbeat, ready, exited: false };
    thread.once('exit', () => (slot.exited = true));
    thread.on('error', () => undefined); // while idle (a file being read gets its own listener, below); it then exits
    return slot;
  }

  /**
   * Processes one file in a thread; `signal` abandons it (the thread is ended). Rejects with SandboxError when the
   * watchdog or the heap limit ends the reading, or with the reading's own error.
   */
  async run(req: ThreadRequest, signal?: AbortSignal): Promise<FileResult> {
    let slot = this.slot();
    await slot.ready;
    if (slot.exited) {
      // A thread that died before its first file (it could not load its modules): one fresh try, whose failure the file gets.
      slot = this.spawn();
      await slot.ready;
      if (slot.exited) throw new Error(`Input ${req.data.input}: a reading thread could not start`);
    }
    this.busy.add(slot);
    const { thread, heartbeat } = slot;
    const input = req.data.input;
    return new Promise<FileResult>((resolve, reject) => {
      let last = heartbeat.snapshot();
      let beatAt = Date.now();
      let progressAt = Date.now();
      let settled = false;
      const finish = (keep: boolean, outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        signal?.removeEventListener('abort', onAbort);
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        this.busy.delete(slot);
        if (keep) this.idle.push(slot);
        else void thread.terminate();
        outcome();
      };
      const watchdog = setInterval(() => {
        const now = Date.now();
        const s = heartbeat.snapshot();
        if (s.heartbeat !== last.heartbeat) beatAt = now;
        if (s.ticks !== last.ticks || s.offset !== last.offset || s.phase === 'writing') progressAt = now;
        last = s;
        const secs = Math.round(this.opts.noProgressMillis / 1000);
        if (now - beatAt >= this.opts.noProgressMillis) {
          finish(false, () => reject(new SandboxError(
            `Input ${input} made no progress for ${secs} s at byte offset ${s.offset}: its reading is stuck in a loop ` +
              `(the reading thread stopped responding); not retried, the same bytes would loop again`, true)));
        } else if (now - progressAt >= this.opts.noProgressMillis) {
          finish(false, () => reject(new SandboxError(
            `Input ${input} made no progress for ${secs} s at byte offset ${s.offset}: no input bytes arrived and no record was read`, false)));
        }
      }, this.opts.checkMillis ?? 1000);
      const onMessage = (reply: ThreadReply): void => {
        finish(true, () => {
          if (reply.ok) resolve(reply.result);
          else reject(Object.assign(new Error(reply.message), { notFound: reply.notFound }));
        });
      };
      const onError = (err: Error & { code?: string }): void => {
        const offset = heartbeat.snapshot().offset;
        finish(false, () => reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new SandboxError(`Input ${input} ran out of memory at byte offset ${offset} (a reading thread may use ${this.opts.heapMb} MB of heap); not retried`, true)
          : new Error(`Input ${input}: the reading thread failed at byte offset ${offset}: ${err.message}`)));
      };
      const onExit = (code: number): void => {
        finish(false, () => reject(new Error(`Input ${input}: the reading thread exited (code ${code}) at byte offset ${heartbeat.snapshot().offset}`)));
      };
      const onAbort = (): void => finish(false, () => reject(signal?.reason instanceof Error ? signal.reason : new Error('abandoned')));
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      else thread.postMessage(req);
    });
  }

  /** Ends every thread (the files being read are abandoned). */
  async close(): Promise<void> {
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    await Promise.all(all.map((s) => s.thread.terminate()));
  }
}
