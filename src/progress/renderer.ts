/**
 * Draws progress on a stream: on a terminal, one line with a bar redrawn in place (`\r` + clear-line); elsewhere (or
 * with `--no-progress`), a plain line when the numbers change, at most once per `plainIntervalMillis` and at least
 * once per `heartbeatMillis`. Messages (run started, reducing, interrupted, log lines) print above the bar.
 */
import type { ProgressView } from './view.js';
import { formatBar, formatLine } from './view.js';

/** The part of a stream the renderer uses (process.stderr, or a test double). */
export interface TextSink {
  write(s: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export type RenderMode = 'tty' | 'plain' | 'off';

export interface RendererOptions {
  readonly stream: TextSink;
  /** Default: `tty` when the stream is a terminal, else `plain`. */
  readonly mode?: RenderMode | undefined;
  /** Least time between two plain lines. @default 1000 */
  readonly plainIntervalMillis?: number;
  /** A plain line is printed at least this often, even when nothing changed. @default 30000 */
  readonly heartbeatMillis?: number;
  /** Least time between two redraws on a terminal. @default 100 */
  readonly redrawMillis?: number;
  readonly now?: () => number;
}

export const CLEAR_LINE = '\r\x1b[2K';

export class ProgressRenderer {
  readonly mode: RenderMode;
  private last: ProgressView | undefined;
  private barShown = false;
  private lastKey = '';
  private lastPrint = -Infinity;
  private lastDraw = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: RendererOptions) {
    this.mode = opts.mode ?? (opts.stream.isTTY ? 'tty' : 'plain');
    this.now = opts.now ?? Date.now;
  }

  update(v: ProgressView): void {
    this.last = v;
    const now = this.now();
    if (this.mode === 'tty') {
      if (now - this.lastDraw < (this.opts.redrawMillis ?? 100)) return;
      this.lastDraw = now;
      this.draw(v);
    } else if (this.mode === 'plain') {
      const key = `${v.done}/${v.failed}/${v.active}/${v.waiting}/${v.status}`;
      const since = now - this.lastPrint;
      const changed = key !== this.lastKey && since >= (this.opts.plainIntervalMillis ?? 1000);
      if (changed || since >= (this.opts.heartbeatMillis ?? 30_000)) {
        this.opts.stream.write(`${formatLine(v)}\n`);
        this.lastKey = key;
        this.lastPrint = now;
      }
    }
  }

  /** A line above the display (the bar is cleared, the line written, the bar drawn again). */
  message(text: string): void {
    const s = text.endsWith('\n') ? text : `${text}\n`;
    if (this.mode === 'tty' && this.barShown) {
      this.opts.stream.write(CLEAR_LINE + s);
      this.barShown = false;
      if (this.last) this.draw(this.last);
    } else {
      this.opts.stream.write(s);
    }
  }

  /** Shows a new status (e.g. `stopping` after the first Ctrl-C) at once. */
  setStatus(status: string): void {
    if (!this.last) return;
    this.last = { ...this.last, status };
    if (this.mode === 'tty') this.draw(this.last);
  }

  /** Draws the last view for good (on a terminal, it stays above what follows); safe to call twice. */
  finish(): void {
    if (this.mode === 'tty' && this.barShown) {
      this.opts.stream.write('\n');
      this.barShown = false;
    } else if (this.mode === 'plain' && this.last) {
      const key = `${this.last.done}/${this.last.failed}/${this.last.active}/${this.last.waiting}/${this.last.status}`;
      if (key !== this.lastKey) this.opts.stream.write(`${formatLine(this.last)}\n`);
      this.lastKey = key;
    }
  }

  private draw(v: ProgressView): void {
    this.opts.stream.write(CLEAR_LINE + formatBar(v, this.opts.stream.columns || 100)); // 0: a terminal of unknown size
    this.barShown = true;
  }
}
