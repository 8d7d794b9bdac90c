/**
 * A Readable over a remote object that survives dying connections: when the body errors, stalls past the idle
 * timeout, or ends short of its length, it re-requests `Range: bytes=<received>-` (after a jittered backoff) and
 * carries on, so the gunzip and parser above never notice. Resumes are capped, and so is the time without a byte:
 * past `giveUpMillis` with nothing received (requests, retries, backoffs and resumes included) the request in flight
 * is aborted and the stream fails. The final error names the object and the byte offset. Every response body it
 * opens is either read to its end or destroyed.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GiveUpError, IdleTimeoutError, backoffMillis, isTransient, type BackoffOptions } from './retry.js';

/** One response body, starting at the requested offset. */
export interface OpenedBody {
  readonly stream: Readable;
  /** Length of the whole object when the server said (Content-Length of a 200, or the total of a Content-Range). */
  readonly totalBytes?: number | undefined;
  /** Entity tag, sent back on resume so a changed object fails instead of mixing versions. */
  readonly etag?: string | undefined;
  /** Bytes at the start of `stream` to drop (a server that ignored the Range header sent the whole object). */
  readonly skipBytes?: number | undefined;
}

export interface ResumableOptions {
  /** The object, for error messages (no credentials). */
  readonly describe: string;
  /**
   * Opens the object from `offset` (retrying transient failures itself); with `length`, up to the range's end only.
   * `signal` aborts at the give-up deadline: the request in flight and any backoff end (rejecting with its reason).
   */
  readonly open: (offset: number, etag: string | undefined, signal: AbortSignal) => Promise<OpenedBody>;
  /** Only a range of the object: its first byte. @default 0 */
  readonly start?: number;
  /** Only a range of the object: its length (the stream ends there even when a server sends more). */
  readonly length?: number;
  /** Resumes allowed after the first body. */
  readonly maxResumes: number;
  /** A body that sends nothing for this long is abandoned and resumed. */
  readonly idleTimeoutMillis: number;
  /** No byte for this long (from the start or the last byte), whatever is being tried: the stream fails. */
  readonly giveUpMillis: number;
  readonly backoff: Pick<BackoffOptions, 'baseMillis' | 'maxMillis'>;
  readonly onBytes?: (n: number) => void;
  readonly onResume?: (offset: number, err: unknown) => void;
  readonly highWaterMark?: number;
}

/** The object could not be read to its end. */
export class RemoteReadError extends Error {
  override readonly name = 'RemoteReadError';
  constructor(
    readonly location: string,
    readonly offset: number,
    cause: unknown,
    resumes: number,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Reading ${location} failed at byte offset ${offset}${resumes > 0 ? ` after ${resumes} resumes` : ''}: ${reason}`, { cause });
  }
}

export class ResumableReadable extends Readable {
  private received = 0;
  private resumes = 0;
  private skip = 0;
  private total: number | undefined;
  private objectTotal: number | undefined;
  private etag: string | undefined;
  private body: Readable | undefined;
  private connecting = false;
  private idle: NodeJS.Timeout | undefined;
  /** When the last byte arrived (or the stream was made). */
  private progressAt = Date.now();

  constructor(private readonly o: ResumableOptions) {
    super({ highWaterMark: o.highWaterMark ?? 1 << 20 });
  }

  /** The size of the whole object, as its server said (known once `ready()` settled; a range's too). */
  get objectBytes(): number | undefined {
    return this.objectTotal;
  }

  /** Bytes of the object delivered so far. */
  get bytesReceived(): number {
    return this.received;
  }

  override _read(): void {
    if (this.body) {
      // Time the reader above spent not asking for bytes is not time the source was silent.
      if (this.body.isPaused()) this.progressAt = Date.now();
      this.body.resume();
    }
    else if (!this.connecting) void this.connect();
  }

  /**
   * Makes the first request now and settles when the object's body is there: a missing or forbidden object
   * rejects here (with the error of `open`, the stream destroyed) instead of on the first read.
   */
  async ready(): Promise<void> {
    if (this.body || this.connecting || this.destroyed) return;
    const failed = await this.openBody();
    if (failed) {
      this.destroy();
      throw failed.error;
    }
  }

  private async connect(): Promise<void> {
    const failed = await this.openBody();
    if (failed && !this.destroyed) this.destroy(new RemoteReadError(this.o.describe, this.received, failed.error, this.resumes));
  }

  /** Requests the body from the bytes received so far on; returns the error when that fails (the caller decides). */
  private async openBody(): Promise<{ error: unknown } | null> {
    this.connecting = true;
    const giveUp = new AbortController();
    const timer = setTimeout(() => giveUp.abort(this.giveUpError()), Math.max(0, this.progressAt + this.o.giveUpMillis - Date.now()));
    let opened: OpenedBody;
    try {
      opened = await this.o.open((this.o.start ?? 0) + this.received, this.etag, giveUp.signal);
    } catch (error) {
      this.connecting = false;
      return { error: giveUp.signal.aborted ? giveUp.signal.reason : error };
    } finally {
      clearTimeout(timer);
    }
    this.connecting = false;
    this.adopt(opened);
    return null;
  }

  private adopt(opened: OpenedBody): void {
    if (this.destroyed) {
      opened.stream.destroy();
      return;
    }
    this.total ??= this.o.length ?? opened.totalBytes;
    this.objectTotal ??= opened.totalBytes;
    this.etag ??= opened.etag;
    this.skip = opened.skipBytes ?? 0;
    this.attach(opened.stream);
  }

  private attach(body: Readable): void {
    this.body = body;
    const onData = (chunk: Buffer): void => {
      this.armIdle();
      if (this.skip > 0) {
        const drop = Math.min(this.skip, chunk.length);
        this.skip -= drop;
        chunk = chunk.subarray(drop);
        if (chunk.length === 0) return;
      }
      const cut = this.o.length !== undefined && this.received + chunk.length >= this.o.length;
      if (cut) chunk = chunk.subarray(0, this.o.length - this.received);
      this.received += chunk.length;
      if (chunk.length > 0) this.progressAt = Date.now();
      this.o.onBytes?.(chunk.length);
      if (cut) {
        // The range is complete: anything more the server sends is not ours.
        if (chunk.length > 0) this.push(chunk);
        detach();
        body.destroy();
        this.clearIdle();
        this.body = undefined;
        this.push(null);
        return;
      }
      if (!this.push(chunk)) body.pause();
    };
    const onEnd = (): void => {
      detach();
      if (this.total !== undefined && this.received < this.total) {
        void this.recover(Object.assign(new Error(`premature end of the response (${this.received} of ${this.total} bytes)`), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      } else {
        this.clearIdle();
        this.body = undefined;
        this.push(null);
      }
    };
    const onError = (err: Error): void => {
      detach();
      void this.recover(err);
    };
    const detach = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.on('error', () => undefined); // late errors of an abandoned body
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.on('error', onError);
    this.armIdle();
  }

  private async recover(err: unknown): Promise<void> {
    this.clearIdle();
    this.body?.destroy();
    this.body = undefined;
    if (this.destroyed) return;
    const left = this.progressAt + this.o.giveUpMillis - Date.now();
    if (left <= 0) err = this.giveUpError(err);
    if (this.resumes >= this.o.maxResumes || !isTransient(err)) {
      this.destroy(new RemoteReadError(this.o.describe, this.received, err, this.resumes));
      return;
    }
    this.resumes++;
    this.o.onResume?.(this.received, err);
    await sleep(Math.min(left, backoffMillis(this.resumes, this.o.backoff)));
    if (!this.destroyed) await this.connect();
  }

  private giveUpError(last?: unknown): GiveUpError {
    const secs = Math.round(this.o.giveUpMillis / 100) / 10;
    const after = last instanceof Error ? ` (last: ${last.message})` : '';
    return new GiveUpError(`no data for ${secs} s through retries and resumes, the input's give-up deadline${after}`);
  }

  private armIdle(): void {
    this.clearIdle();
    this.idle = setTimeout(() => {
      const body = this.body;
      if (!body) return;
      // Paused by backpressure is not idle: only a body we are waiting on can time out.
      if (body.isPaused()) return this.armIdle();
      body.emit('error', new IdleTimeoutError(`no data for ${this.o.idleTimeoutMillis} ms`));
    }, this.o.idleTimeoutMillis);
    this.idle.unref();
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.clearIdle();
    this.body?.destroy();
    this.body = undefined;
    cb(err);
  }
}
