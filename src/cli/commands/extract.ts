/** `wikireverse extract <input>...` */
import { Option, type Command } from 'commander';
import { resolveJob } from '../../job/index.js';
import { intOption } from '../io.js';
import { jobOption, type CommandContext } from '../context.js';
import { addStorageOptions, withStorage, type StorageFlags } from '../storage.js';

export function registerExtract(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('extract')
    .description('read WAT/WARC files (local paths or http(s):// and s3:// URLs; gzipped or plain) and print one row per reverse link; no Redis')
    .argument('<input...>', 'WAT/WARC/WET files')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'tsv']).default('jsonl'))
    .option('--stats', 'print counters to stderr (records by type, pages, links kept, rejected by reason)', false)
    .option('--max-record-bytes <n>', 'payload bytes read per record', intOption('--max-record-bytes', 1), ctx.config.maxRecordBytes)
    .addOption(jobOption(ctx));
  addStorageOptions(cmd, ctx).action(async (inputs: string[], o: StorageFlags & { format: 'jsonl' | 'tsv'; stats: boolean; maxRecordBytes: number; job: string }) => {
    const job = resolveJob(ctx.jobs, o.job);
    const { extractCommand } = await import('./extract-run.js');
    ctx.setExit(await withStorage(ctx, o, (storage) => extractCommand({ inputs, job, format: o.format, stats: o.stats, maxRecordBytes: o.maxRecordBytes, storage, inflate: ctx.config.inflate }, ctx.io)));
  });
}
