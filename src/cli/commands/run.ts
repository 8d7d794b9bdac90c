/** `wikireverse run`: the whole pipeline on this machine (or with external workers). */
import type { Command } from 'commander';
import { resolveJob } from '../../job/index.js';
import { createLogger } from '../../log/index.js';
import { Coordinator, checkRunId, type Manifest } from '../../coordinator/index.js';
import { intOption, type CliIO } from '../io.js';
import { jobOption, onSignals, type CommandContext } from '../context.js';

interface RunFlags {
  paths: string; out: string; inputBase?: string; workers: number; redis?: string; partitions: number; attempts: number;
  maxRecordBytes: number; runId?: string; json: boolean; job: string; logLevel: string;
}

function printSummary(io: CliIO, manifest: Manifest, out: string, json: boolean): void {
  const s = manifest.summary;
  if (json) {
    io.stdout.write(JSON.stringify({ runId: manifest.runId, status: manifest.status, summary: s, outputs: manifest.outputs }, null, 2) + '\n');
    return;
  }
  if (!s) return;
  const folders = [...new Set(manifest.outputs.map((x) => `${x.output}/`))].join(', ');
  io.stdout.write(
    `run ${manifest.runId} ${manifest.status}: files ${s.filesDone}/${s.files} (failed ${s.filesFailed}), pages ${s.pages}, ` +
      `links ${s.links}, articles ${s.articles}, ${s.seconds}s\n` +
      `outputs: ${out}/${manifest.runId}/ (manifest.json, ${folders})\n`,
  );
  for (const f of manifest.files.filter((x) => x.status !== 'done')) io.stdout.write(`failed: ${f.input}: ${f.error ?? ''}\n`);
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const { config } = ctx;
  program
    .command('run')
    .description('run the whole pipeline: coordinator, BullMQ queue, workers, reducer -> Parquet')
    .requiredOption('--paths <listing>', 'listing of inputs (one per line, gzipped or not), a directory, or a glob')
    .requiredOption('--out <dir>', 'output directory; results go to <out>/<runId>/')
    .option('--input-base <base>', "base for relative listing entries (default: the listing's directory)")
    .option('--workers <n>', 'local worker processes (0: only external `wikireverse worker`s)', intOption('--workers'), config.workers)
    .option('--redis <url>', 'shared Redis URL (default: start a private redis-server)', config.redisUrl)
    .option('--partitions <n>', 'output partitions', intOption('--partitions', 1), config.partitions)
    .option('--attempts <n>', 'attempts per input file', intOption('--attempts', 1), config.attempts)
    .option('--max-record-bytes <n>', 'payload bytes read per record', intOption('--max-record-bytes', 1), config.maxRecordBytes)
    .option('--run-id <id>', 'run id (default: generated)')
    .option('--json', 'print the final summary as JSON on stdout', false)
    .addOption(jobOption(ctx))
    .option('--log-level <level>', 'log level', config.logLevel ?? 'warn')
    .action(async (o: RunFlags) => {
      const { io } = ctx;
      const log = createLogger(o.logLevel, { cmd: 'run' });
      const coordinator = new Coordinator({
        paths: o.paths, inputBase: o.inputBase, out: o.out, job: resolveJob(ctx.jobs, o.job), workers: o.workers,
        redisUrl: o.redis, redisServerBin: config.redisServerBin, partitions: o.partitions, attempts: o.attempts,
        backoffMillis: config.backoffMillis, maxRecordBytes: o.maxRecordBytes, maxWorkerRestarts: config.maxWorkerRestarts,
        reducerMemoryMb: config.reducerMemoryMb, pollMillis: config.pollMillis, runId: o.runId ? checkRunId(o.runId) : undefined,
        workerArgs: ['--log-level', o.logLevel, '--concurrency', String(config.concurrency)],
        log, progress: (line) => io.stderr.write(`${line}\n`),
      });
      const unhook = onSignals(() => {
        io.stderr.write('interrupted: stopping workers and the private redis-server (Ctrl-C again to exit now)\n');
        void coordinator.shutdown().then(() => process.exit(130));
      });
      try {
        const { manifest, exitCode } = await coordinator.run();
        printSummary(io, manifest, o.out, o.json);
        ctx.setExit(exitCode);
      } finally {
        unhook();
      }
    });
}
