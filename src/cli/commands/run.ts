/** `wikireverse run` and `wikireverse resume`: the whole pipeline on this machine (or with external workers). */
import path from 'node:path';
import type { Command } from 'commander';
import type { Coordinator, Manifest, RunResult } from '../../coordinator/index.js';
import { runDir } from '../../storage/layout.js';
import type { IoSettings } from '../../storage/index.js';
import { checkRunId } from '../../coordinator/run-id.js';
import { intOption, settingOption, UsageError, type CliIO } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import { jobOption, onSignals, type CommandContext } from '../context.js';
import { addSessionOptions } from '../session.js';
import { addDisplayOptions, type Display } from '../display.js';
import { withSession, withStorage } from '../storage.js';
import { addInputOptions, inputRequest, type InputFlags } from '../inputs.js';
import { addFleetOptions, checkEc2Flags } from './fleet.js';
import { assembleRun, type RunSessionFlags } from '../run-session.js';
import { ExitCode } from '../../exit-codes.js';

type RunFlags = RunSessionFlags & InputFlags & {
  out: string; partitions: number; attempts: number;
  maxRecordBytes: number; runId?: string; json: boolean; job: string; dryRun: boolean; titles?: string;
};

/** `run --dry-run`: what a run would read and how it would be set up; nothing is started, written or queued. */
async function dryRun(ctx: CommandContext, o: RunFlags, inputs: ReturnType<typeof inputRequest>): Promise<void> {
  if (o.fleet === 'ec2') checkEc2Flags(o.redis, o); // what the run would refuse, the dry run refuses (AWS is not asked)
  const [{ planInputs, defaultPartitions }, { redactUrl }] = await Promise.all([import('../../coordinator/index.js'), import('../../log/index.js')]);
  await withStorage(ctx, o, async (io) => {
    if (inputs.where !== undefined) {
      await dryRunIndex(ctx, o, inputs, io);
      return;
    }
    const plan = await planInputs(inputs, io);
    for (const w of plan.warnings) ctx.io.stderr.write(`${w}\n`);
    const partitions = o.partitions > 0 ? o.partitions : defaultPartitions(plan.inputs.length);
    // --titles: the dump files the lookup task would read (listed, not read), as the run checks them.
    let titles: { dir: string; files: string[] } | undefined;
    if (o.titles !== undefined) {
      const lookup = ctx.jobs.get(o.job)?.lookup;
      if (!lookup) throw new UsageError(`job ${o.job} takes no --titles`);
      const dir = path.resolve(o.titles);
      const found = await lookup.source(dir).catch((err: unknown) => {
        throw new UsageError((err as Error).message);
      });
      titles = { dir, files: found.files.map((f) => path.basename(f)) };
    }
    const facts = {
      listing: plan.listing, listed: plan.listed, selection: plan.selectionText, inputs: plan.inputs.length,
      first: plan.inputs.slice(0, 5).map((f) => redactUrl(f.input)), out: o.out, job: o.job, partitions,
      workers: o.fleet === 'ec2' ? `EC2 spot, up to ${o.instances} instances` : o.workers === 0 ? 'none here (wikireverse worker elsewhere)' : `${o.workers} local processes`,
      redis: o.redis ? redactUrl(o.redis) : 'a private redis-server', attempts: o.attempts, maxRecordBytes: o.maxRecordBytes, ...(titles ? { titles } : {}),
    };
    if (o.json) ctx.io.stdout.write(JSON.stringify(facts, null, 2) + '\n');
    else {
      ctx.io.stdout.write(
        `dry run: ${facts.inputs} inputs (${facts.selection} of ${facts.listed} listed in ${facts.listing})\n` +
          facts.first.map((f) => `  ${f}\n`).join('') + (facts.inputs > facts.first.length ? `  ... and ${facts.inputs - facts.first.length} more\n` : '') +
          `output ${facts.out}/<runId>/ in ${partitions} partitions; job ${facts.job}; workers: ${facts.workers}; Redis: ${facts.redis}\n` +
          (titles ? `titles: ${titles.dir}: ${titles.files.length} dump files (${titles.files.join(', ')}), built into a lookup before the map\n` : '') +
          `nothing was started. Time and cost: wikireverse estimate with the same input flags\n`,
      );
    }
  });
}

/** `run --where ... --dry-run`: the selection's records, bytes, WARC files, tasks and requests; nothing is written. */
async function dryRunIndex(ctx: CommandContext, o: RunFlags, inputs: ReturnType<typeof inputRequest>, io: import('../../storage/index.js').IoSession): Promise<void> {
  const [{ planIndex, selectFromIndex, emptyStats }, { redactUrl }] = await Promise.all([import('../../coordinator/index.js'), import('../../log/index.js')]);
  const plan = await planIndex(inputs, io);
  const stats = emptyStats();
  const first: string[] = [];
  for await (const batch of selectFromIndex({ ...plan, maxRecords: ctx.config.indexTaskRecords, maxMb: ctx.config.indexTaskMb, io }, stats)) {
    for (const t of batch) if (first.length < 5) first.push(`${redactUrl(t.input)} (${t.ranges.length} records)`);
  }
  const facts = {
    crawl: plan.crawl, index: redactUrl(plan.index), indexFiles: stats.indexFiles, where: plan.where, records: stats.records, bytes: stats.bytes,
    warcFiles: stats.files, tasks: stats.tasks, rangeRequests: stats.records, first, out: o.out, job: o.job,
  };
  if (o.json) ctx.io.stdout.write(JSON.stringify(facts, null, 2) + '\n');
  else {
    ctx.io.stdout.write(
      `dry run: ${facts.records} records (${(facts.bytes / 1e6).toFixed(1)} MB to fetch, one Range request each) in ${facts.warcFiles} WARC files of ${facts.crawl}, ` +
        `${facts.tasks} tasks; selected by --where from ${facts.indexFiles} index files (${facts.index})\n` +
        first.map((f) => `  ${f}\n`).join('') + (facts.tasks > first.length ? `  ... and ${facts.tasks - first.length} more tasks\n` : '') +
        `nothing was started. Time and cost: wikireverse estimate with the same input flags\n`,
    );
  }
}

/** The run's summary; the inputs that did not complete are read from the run's list through a session with `storage`. */
export async function printSummary(io: CliIO, manifest: Manifest, json: boolean, storage: IoSettings): Promise<void> {
  const s = manifest.summary;
  if (json) {
    io.stdout.write(JSON.stringify({ runId: manifest.runId, status: manifest.status, reason: manifest.reason ?? null, summary: s ?? null, outputs: manifest.outputs }, null, 2) + '\n');
    return;
  }
  const out = manifest.settings.out;
  if (s && (manifest.status === 'succeeded' || manifest.status === 'failed')) {
    const folders = [...new Set(manifest.outputs.map((x) => `${x.output}/`))].join(', ');
    io.stdout.write(
      `run ${manifest.runId} ${manifest.status}: files ${s.filesDone}/${s.files} (failed ${s.filesFailed}), pages ${s.pages}, ` +
        `links ${s.links}, articles ${s.articles}, ${s.seconds}s\n` +
        `outputs: ${out}/${runDir(manifest.runId)}/ (manifest.json, ${folders})\n`,
    );
    if (manifest.files.done < manifest.files.total) {
      // Every input that did not complete, by name, read from the run's list (the coordinator does not hold it).
      const [{ selectRunFiles }, { openStore }] = await Promise.all([import('../../coordinator/index.js'), import('../../storage/index.js')]);
      const failed = await withSession(storage, (session) => selectRunFiles(openStore(out, session), manifest.runId, (x) => x.status !== 'done'));
      for (const f of failed) io.stdout.write(`failed: ${f.input}: ${f.error ?? ''}\n`);
    }
  } else {
    io.stdout.write(`run ${manifest.runId} ${manifest.status}\n`);
  }
  if (manifest.reason) io.stdout.write(`${manifest.reason}\n`);
}

/** How long the first Ctrl-C lets the coordinator stop by itself. */
const INTERRUPT_GRACE_MILLIS = 15_000;

/** Runs a coordinator action with Ctrl-C handling: first signal stops waiting (the run stays resumable), second exits now. */
export async function coordinate(ctx: CommandContext, coordinator: Coordinator, json: boolean, action: () => Promise<RunResult>, display: Display): Promise<void> {
  const unhook = onSignals(() => {
    const text = 'interrupted: letting workers finish their current files (Ctrl-C again to exit now; the run stays resumable)';
    display.interrupting(text);
    coordinator.interrupt();
    // A coordinator waiting on a Redis that is gone cannot notice: past the grace time it is stopped from here.
    setTimeout(() => {
      ctx.io.stderr.write(`could not stop cleanly within ${INTERRUPT_GRACE_MILLIS / 1000} s (is Redis reachable?); exiting, the run stays resumable\n`);
      void coordinator.abandon().finally(() => process.exit(ExitCode.Interrupted));
    }, INTERRUPT_GRACE_MILLIS).unref();
  }, () => {
    // Twice: exit now, the manifest marked interrupted and the queue paused first (each bounded: a few seconds at most).
    ctx.io.stderr.write('exiting now; the run stays resumable (Ctrl-C a third time to skip saving its state)\n');
    void coordinator.abandon().finally(() => process.exit(ExitCode.Interrupted));
  });
  try {
    const { manifest, exitCode } = await action();
    if (!display.summary(manifest)) await printSummary(ctx.io, manifest, json, display.session.io);
    ctx.setExit(exitCode);
  } finally {
    unhook();
  }
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const { config } = ctx;
  const run = program
    .command('run')
    .description('run the whole pipeline: coordinator, BullMQ queue, workers, reducer -> Parquet')
    .requiredOption('--out <dir>', 'output directory or s3://bucket/prefix; results go to <out>/<runId>/')
    .option('--partitions <n>', 'output partitions, 1 to 256 (0: one per 2,000 input files)', settingOption('--partitions', SETTINGS.partitions), config.partitions)
    .option('--attempts <n>', 'attempts per input file', intOption('--attempts', 1), config.attempts)
    .option('--max-record-bytes <n>', 'payload bytes read per record', intOption('--max-record-bytes', 1), config.maxRecordBytes)
    .option('--run-id <id>', 'run id (default: generated)')
    .option('--titles <dir>', 'a directory of Wikimedia dump files (<db>-<date>-page.sql.gz, -redirect.sql.gz, wikidatawiki-<date>-wb_items_per_site.sql.gz): links get canonical_article and wikidata_id', config.titles)
    .option('--json', 'print the final summary as JSON on stdout', false)
    .option('--dry-run', 'resolve the inputs and settings, print them, and exit without starting anything', false)
    .addOption(jobOption(ctx));
  addInputOptions(run, ctx);
  addDisplayOptions(run);
  addFleetOptions(run, ctx);
  addSessionOptions(run, ctx).action(async (o: RunFlags) => {
    const inputs = inputRequest(o);
    if (o.dryRun) {
      await dryRun(ctx, o, inputs);
      return;
    }
    const display = await assembleRun(ctx, o, 'run');
    const { Coordinator } = await import('../../coordinator/index.js');
    const coordinator = new Coordinator(ctx.jobs, display.session);
    await coordinate(ctx, coordinator, o.json, () =>
      coordinator.start({
        ...inputs, out: o.out, runId: o.runId ? checkRunId(o.runId) : undefined,
        settings: {
          job: o.job, partitions: o.partitions, reduceTaskPartitions: config.reduceTaskPartitions, indexTaskRecords: config.indexTaskRecords, indexTaskMb: config.indexTaskMb,
          attempts: o.attempts, backoffMillis: config.backoffMillis, maxRecordBytes: o.maxRecordBytes, ...(o.titles !== undefined ? { titles: path.resolve(o.titles) } : {}),
        },
      }),
      display,
    );
  });

  const resume = program
    .command('resume')
    .description('continue a run whose coordinator, Redis or workers died: committed files are kept, the rest is redone')
    .argument('<runId>')
    .requiredOption('--out <dir>', 'the output directory the run was started with')
    .option('--retry-failed', 'also retry the inputs that failed after all their attempts', false)
    .option('--json', 'print the final summary as JSON on stdout', false);
  addDisplayOptions(resume);
  addFleetOptions(resume, ctx);
  addSessionOptions(resume, ctx).action(async (runId: string, o: RunSessionFlags & { out: string; retryFailed: boolean; json: boolean }) => {
    const display = await assembleRun(ctx, o, 'resume');
    const { Coordinator } = await import('../../coordinator/index.js');
    const coordinator = new Coordinator(ctx.jobs, display.session);
    await coordinate(ctx, coordinator, o.json, () => coordinator.resume(o.out, checkRunId(runId), o.retryFailed), display);
  });
}
