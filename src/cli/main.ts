/**
 * The `wikireverse` command line. `main(args, io)` parses and runs one command and resolves to its exit code,
 * so tests call it directly. Exit codes: 0 ok; 1 the run finished with failed inputs (or a command failed);
 * 2 usage or configuration error; 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { resolveJob } from '../job/index.js';
import { createLogger, redactUrl } from '../log/index.js';
import { Coordinator, getRunStatus, checkRunId } from '../coordinator/index.js';
import { FileWorker } from '../worker/index.js';
import { extractCommand } from './extract.js';
import { intOption, UsageError, type CliIO } from './io.js';

const VERSION = '0.1.0';

function jobOption(): Option {
  return new Option('--job <name>', 'job definition to run').default(DEFAULT_JOB).choices([...jobRegistry.keys()]);
}

function waitForSignal(onFirst: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) onFirst();
    else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function buildProgram(io: CliIO, config: Config, setExit: (code: number) => void): Command {
  const program = new Command('wikireverse')
    .description('Reverse link graph of Wikipedia from Common Crawl WAT/WARC files')
    .version(VERSION)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('extract')
    .description('read local WAT/WARC files (gzipped or plain) and print one row per reverse link; no Redis')
    .argument('<input...>', 'WAT/WARC/WET files')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'tsv']).default('jsonl'))
    .option('--stats', 'print counters to stderr (records by type, pages, links kept, rejected by reason)', false)
    .option('--max-record-bytes <n>', 'payload bytes read per record', intOption('--max-record-bytes', 1), config.maxRecordBytes)
    .addOption(jobOption())
    .action(async (inputs: string[], o: { format: 'jsonl' | 'tsv'; stats: boolean; maxRecordBytes: number; job: string }) => {
      setExit(await extractCommand({ inputs, job: resolveJob(jobRegistry, o.job), format: o.format, stats: o.stats, maxRecordBytes: o.maxRecordBytes }, io));
    });

  program
    .command('run')
    .description('run the whole pipeline: coordinator, BullMQ queue, workers, reducer -> Parquet')
    .requiredOption('--paths <listing>', 'listing of inputs (one per line, gzipped or not), a directory, or a glob')
    .requiredOption('--out <dir>', 'output directory; results go to <out>/<runId>/')
    .option('--input-base <base>', 'base for relative listing entries (default: the listing\'s directory)')
    .option('--workers <n>', 'local worker processes (0: only external `wikireverse worker`s)', intOption('--workers'), config.workers)
    .option('--redis <url>', 'shared Redis URL (default: start a private redis-server)', config.redisUrl)
    .option('--partitions <n>', 'output partitions', intOption('--partitions', 1), config.partitions)
    .option('--attempts <n>', 'attempts per input file', intOption('--attempts', 1), config.attempts)
    .option('--max-record-bytes <n>', 'payload bytes read per record', intOption('--max-record-bytes', 1), config.maxRecordBytes)
    .option('--run-id <id>', 'run id (default: generated)')
    .option('--json', 'print the final manifest summary as JSON on stdout', false)
    .addOption(jobOption())
    .option('--log-level <level>', 'log level', config.logLevel ?? 'warn')
    .action(async (o: {
      paths: string; out: string; inputBase?: string; workers: number; redis?: string; partitions: number; attempts: number;
      maxRecordBytes: number; runId?: string; json: boolean; job: string; logLevel: string;
    }) => {
      const log = createLogger(o.logLevel, { cmd: 'run' });
      const coordinator = new Coordinator({
        paths: o.paths, inputBase: o.inputBase, out: o.out, job: resolveJob(jobRegistry, o.job), workers: o.workers,
        redisUrl: o.redis, redisServerBin: config.redisServerBin, partitions: o.partitions, attempts: o.attempts,
        backoffMillis: config.backoffMillis, maxRecordBytes: o.maxRecordBytes, maxWorkerRestarts: config.maxWorkerRestarts,
        reducerMemoryMb: config.reducerMemoryMb, pollMillis: config.pollMillis, runId: o.runId ? checkRunId(o.runId) : undefined,
        workerArgs: ['--log-level', o.logLevel, '--concurrency', String(config.concurrency)],
        log, progress: (line) => io.stderr.write(`${line}\n`),
      });
      const unhook = waitForSignal(() => {
        io.stderr.write('interrupted: stopping workers and the private redis-server (Ctrl-C again to exit now)\n');
        void coordinator.shutdown().then(() => process.exit(130));
      });
      try {
        const { manifest, exitCode } = await coordinator.run();
        const s = manifest.summary;
        if (o.json) io.stdout.write(JSON.stringify({ runId: manifest.runId, status: manifest.status, summary: s, outputs: manifest.outputs }, null, 2) + '\n');
        else if (s) {
          io.stdout.write(
            `run ${manifest.runId} ${manifest.status}: files ${s.filesDone}/${s.files} (failed ${s.filesFailed}), pages ${s.pages}, ` +
              `links ${s.links}, articles ${s.articles}, ${s.seconds}s\n` +
              `outputs: ${o.out}/${manifest.runId}/ (manifest.json, ${[...new Set(manifest.outputs.map((x) => x.output))].map((x) => `${x}/`).join(', ')})\n`,
          );
          for (const f of manifest.files.filter((x) => x.status !== 'done')) io.stdout.write(`failed: ${f.input}: ${f.error ?? ''}\n`);
        }
        setExit(exitCode);
      } finally {
        unhook();
      }
    });

  program
    .command('worker')
    .description('a standalone worker process: takes input files from the queue of a run (or of every active run)')
    .requiredOption('--redis <url>', 'Redis URL', config.redisUrl)
    .option('--run <runId>', 'serve only this run (default: every active run)')
    .option('--concurrency <n>', 'files processed at once', intOption('--concurrency', 1), config.concurrency)
    .option('--log-level <level>', 'log level', config.logLevel ?? 'info')
    .action(async (o: { redis: string; run?: string; concurrency: number; logLevel: string }) => {
      const log = createLogger(o.logLevel, { cmd: 'worker' });
      const worker = new FileWorker({
        redisUrl: o.redis, runId: o.run ? checkRunId(o.run) : undefined, jobs: jobRegistry, log, concurrency: o.concurrency,
        lockDurationMillis: config.lockDurationMillis, stalledIntervalMillis: config.stalledIntervalMillis,
        maxStalledCount: config.maxStalledCount,
      });
      await worker.start();
      log.info({ redis: redactUrl(o.redis), run: o.run ?? '(all active runs)' }, 'worker ready');
      await new Promise<void>((resolve) => {
        const unhook = waitForSignal(() => {
          log.info('stopping: finishing active files (signal again to exit now)');
          void worker.close().then(() => {
            unhook();
            resolve();
          });
        });
      });
    });

  program
    .command('status')
    .description('counts of a run\'s files: waiting, active, done, failed')
    .argument('<runId>')
    .requiredOption('--redis <url>', 'Redis URL', config.redisUrl)
    .option('--json', 'print JSON', false)
    .action(async (runId: string, o: { redis: string; json: boolean }) => {
      const s = await getRunStatus(o.redis, checkRunId(runId));
      if (!s) {
        io.stderr.write(`No run ${runId} in Redis at ${redactUrl(o.redis)}\n`);
        setExit(1);
        return;
      }
      if (o.json) io.stdout.write(JSON.stringify(s, null, 2) + '\n');
      else io.stdout.write(`run ${s.runId} ${s.status}: files ${s.files}, waiting ${s.waiting}, active ${s.active}, done ${s.done}, failed ${s.failed}\n`);
    });

  return program;
}

export async function main(args: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode = 0;
  try {
    const config = loadConfig();
    const program = buildProgram(io, config, (c) => (exitCode = c));
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
