/**
 * The progress display of a coordinator session (`run`, `resume`) as a RunObserver: at every tick it reads the
 * run's live totals from Redis, draws them (bar or plain lines), writes JSON events when asked, and records the
 * run's timeline (`<out>/<runId>/timeline.json`).
 */
import type { Redis } from 'ioredis';
import type { Manifest, ProgressSnapshot, RunObserver } from '../coordinator/index.js';
import { readLiveTotals, type LiveTotals } from '../redis/index.js';
import type { OutputStore } from '../storage/index.js';
import { EventWriter, progressEvent } from './events.js';
import type { ProgressRenderer } from './renderer.js';
import { TimelineRecorder, type TimelineOptions } from './timeline.js';
import { RateMeter, buildView, type ProgressView } from './view.js';

export interface ProgressObserverOptions {
  readonly renderer: ProgressRenderer;
  /** JSON-lines events (`--events`); absent: none. */
  readonly events?: EventWriter | undefined;
  readonly timeline?: TimelineOptions;
}

export class ProgressObserver implements RunObserver {
  private redis: Redis | undefined;
  private recorder: TimelineRecorder | undefined;
  private runId = '';
  private session = 1;
  private status = 'running';
  private totals: LiveTotals | null = null;
  private view: ProgressView | undefined;
  private readonly meter = new RateMeter();
  private readonly onExit = (): void => this.opts.renderer.finish();

  constructor(private readonly opts: ProgressObserverOptions) {}

  async onStart(run: { readonly manifest: Manifest; readonly redis: Redis; readonly store: OutputStore }): Promise<void> {
    const { manifest } = run;
    this.redis = run.redis;
    this.runId = manifest.runId;
    this.session = manifest.sessions ?? 1;
    // The coordinator's store: the timeline's writes are counted with its requests.
    this.recorder = new TimelineRecorder(run.store, manifest.runId, this.opts.timeline);
    await this.recorder.load();
    this.opts.events?.write({ event: 'start', runId: manifest.runId, files: manifest.files.total, out: manifest.settings.out });
    // A second Ctrl-C exits at once: end the bar's line so the shell prompt starts on a line of its own.
    process.once('exit', this.onExit);
  }

  async onTick(snap: ProgressSnapshot): Promise<void> {
    if (this.redis) this.totals = await readLiveTotals(this.redis, snap.runId).catch(() => this.totals);
    const view = buildView(snap, this.totals, this.status, this.meter);
    this.view = view;
    this.opts.renderer.update(view);
    this.opts.events?.write(progressEvent(view));
    await this.recorder?.add(this.point(view)).catch(() => undefined);
  }

  /** First Ctrl-C: the display says the run is stopping while local workers finish their files. */
  interrupting(text: string): void {
    this.status = 'stopping';
    this.message(text);
    this.opts.renderer.setStatus('stopping');
  }

  message(text: string): void {
    this.opts.renderer.message(text);
    if (this.runId) this.opts.events?.write({ event: 'message', runId: this.runId, text });
  }

  async onFinish(manifest: Manifest): Promise<void> {
    process.off('exit', this.onExit);
    if (this.redis) this.totals = await readLiveTotals(this.redis, manifest.runId).catch(() => this.totals);
    if (this.view && this.recorder) {
      const s = manifest.summary;
      const { done, failed } = manifest.files;
      const last: ProgressView = {
        ...this.view, status: manifest.status, done: s?.filesDone ?? Math.max(done, this.view.done), failed: s?.filesFailed ?? Math.max(failed, this.view.failed),
        active: 0, waiting: s ? 0 : this.view.waiting, pages: s?.pages ?? this.totals?.pages ?? this.view.pages,
        // The summary's figures when the run has one: the final line agrees with it (live totals miss what a lost Redis held).
        links: s?.links ?? this.totals?.rows ?? this.view.links, bytes: this.totals?.bytes ?? this.view.bytes, costUsd: this.totals?.costUsd ?? this.view.costUsd,
      };
      this.opts.renderer.update(last);
      this.opts.events?.write(progressEvent(last)); // the last progress event agrees with the summary that follows
      await this.recorder.add(this.point(last), true).catch(() => undefined);
      await this.recorder.flush().catch((err: unknown) => this.message(`timeline.json not written: ${(err as Error).message}`));
    }
    this.opts.renderer.finish();
  }

  private point(v: ProgressView): Parameters<TimelineRecorder['add']>[0] {
    return {
      session: this.session, done: v.done, failed: v.failed, active: v.active, waiting: v.waiting,
      pages: v.pages, links: v.links, bytes: v.bytes, costUsd: v.costUsd,
    };
  }
}
