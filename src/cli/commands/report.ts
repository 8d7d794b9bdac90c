/** `wikireverse report <runId>` */
import type { Command } from 'commander';
import { checkRunId } from '../../coordinator/run-id.js';
import type { CommandContext } from '../context.js';
import { manifestPath } from '../../storage/layout.js';
import { addStorageOptions, withStore, type StorageFlags } from '../storage.js';
import { ExitCode } from '../../exit-codes.js';

export function registerReport(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('report')
    .description('what a run did: files ok / retried / failed (with their last error), records skipped by reason, outputs')
    .argument('<runId>')
    .requiredOption('--out <dir>', 'the output directory of the run')
    .option('--json', 'print JSON', false)
    .option('--html', '(re)write <out>/<runId>/report.html (charts, top articles, domains, languages) and print its path', false);
  addStorageOptions(cmd, ctx).action((runId: string, o: StorageFlags & { out: string; json: boolean; html: boolean }) =>
    withStore(ctx, o, o.out, async (store) => {
      const { buildOutcome, formatOutcome, readManifest, readOutcomeFiles } = await import('../../coordinator/index.js');
      const m = await readManifest(store, checkRunId(runId));
      if (!m) throw new Error(`No run ${runId} under ${o.out} (no ${manifestPath(runId)})`);
      if (o.html) {
        const { writeRunReport } = await import('../../report/index.js');
        const { path, bytes } = await writeRunReport(store, m);
        ctx.io.stdout.write(`${store.location}/${path} (${bytes} bytes)\n`);
        return;
      }
      const r = buildOutcome(m, await readOutcomeFiles(store, m.runId));
      ctx.io.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatOutcome(r, o.out));
      ctx.setExit(r.files.failed > 0 || r.status !== 'succeeded' ? ExitCode.Failed : ExitCode.Ok);
    }),
  );
}
