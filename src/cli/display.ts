/**
 * The progress display of `run` and `resume`: a bar redrawn in place on a terminal (plain lines otherwise, or with
 * `--no-progress`), JSON-lines events on stdout with `--events`, the timeline and report.html at the end.
 * Coordinator messages and log lines print above the bar.
 */
import type { Command } from 'commander';
import type { Manifest, SessionOptions } from '../coordinator/index.js';
import { prettyLogs } from '../config/index.js';
import { createLogger } from '../log/index.js';

import type { CommandContext } from './context.js';

export interface DisplayFlags {
  /** false with `--no-progress`: plain lines even on a terminal. */
  progress: boolean;
  events: boolean;
  logLevel: string;
}

export interface Display {
  readonly session: SessionOptions;
  /** First Ctrl-C. */
  interrupting(text: string): void;
  /** The run's last event (`--events`); false when events are off. */
  summary(manifest: Manifest): boolean;
}

export async function withDisplay(ctx: CommandContext, flags: DisplayFlags, base: SessionOptions, cmd: string): Promise<Display> {
  const [{ EventWriter, ProgressObserver, ProgressRenderer }, { ReportObserver }, { reportPath }] = await Promise.all([
    import('../progress/index.js'), import('../report/index.js'), import('../storage/index.js'),
  ]);
  const { io, config } = ctx;
  const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  const renderer = new ProgressRenderer({
    stream: stderr, mode: flags.progress && config.progress && stderr.isTTY ? 'tty' : 'plain', plainIntervalMillis: 1000,
  });
  const events = flags.events ? new EventWriter(io.stdout) : undefined;
  const observer = new ProgressObserver({ renderer, events });
  const say = (line: string): void => observer.message(line);
  const pretty = prettyLogs(config.logFormat);
  const log = renderer.mode === 'tty' || pretty ? createLogger(flags.logLevel, { cmd }, { pretty, write: (l) => renderer.message(l) }) : base.log;
  return {
    session: {
      ...base, log, say, progressDisplay: true,
      observers: [...(base.observers ?? []), observer, new ReportObserver(say)],
    },
    interrupting: (text) => observer.interrupting(text),
    summary(m) {
      if (!events) return false;
      if (m.reason) renderer.message(m.reason); // stdout is for the events; the reason (how to resume or retry) goes to people
      const report = `${m.settings.out}/${reportPath(m.runId)}`;
      events.write({ event: 'summary', runId: m.runId, status: m.status, reason: m.reason ?? null, summary: m.summary ?? null, outputs: m.outputs, report });
      return true;
    },
  };
}

export function addDisplayOptions(cmd: Command): Command {
  return cmd
    .option('--no-progress', 'plain progress lines on stderr even on a terminal (no bar redrawn in place)')
    .option('--events', 'JSON-lines events on stdout (start, progress, message, summary last) instead of the summary text', false);
}
