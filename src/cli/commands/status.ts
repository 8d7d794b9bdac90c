/** `wikireverse status <runId>` */
import type { Command } from 'commander';
import { redactUrl } from '../../log/index.js';
import { checkRunId, getRunStatus } from '../../coordinator/index.js';
import type { CommandContext } from '../context.js';

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description("counts of a run's files: waiting, active, done, failed")
    .argument('<runId>')
    .requiredOption('--redis <url>', 'Redis URL', ctx.config.redisUrl)
    .option('--json', 'print JSON', false)
    .action(async (runId: string, o: { redis: string; json: boolean }) => {
      const { io } = ctx;
      const s = await getRunStatus(o.redis, checkRunId(runId));
      if (!s) {
        io.stderr.write(`No run ${runId} in Redis at ${redactUrl(o.redis)}\n`);
        ctx.setExit(1);
        return;
      }
      if (o.json) io.stdout.write(JSON.stringify(s, null, 2) + '\n');
      else io.stdout.write(`run ${s.runId} ${s.status}: files ${s.files}, waiting ${s.waiting}, active ${s.active}, done ${s.done}, failed ${s.failed}\n`);
    });
}
