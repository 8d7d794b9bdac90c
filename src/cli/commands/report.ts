/** `wikireverse report <runId>` */
import type { Command } from 'commander';
import { checkRunId } from '../../coordinator/run-id.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../../exit-codes.js';

export function registerReport(program: Command, ctx: CommandContext): void {
  program
    .command('report')
    .description('what a run did: files ok / retried / failed (with their last error), records skipped by reason, outputs')
    .argument('<runId>')
    .requiredOption('--out <dir>', 'the output directory of the run')
    .option('--json', 'print JSON', false)
    .option('--html', '(re)write <out>/<runId>/report.html (charts, top articles, domains, languages) and print its path', false)
    .action(async (runId: string, o: { out: string; json: boolean; html: boolean }) => {
      const [{ buildReport, formatReport, readManifest, readReportFiles }, { openStore }] = await Promise.all([import('../../coordinator/index.js'), import('../../storage/index.js')]);
      const store = openStore(o.out);
      const m = await readManifest(store, checkRunId(runId));
      if (!m) throw new Error(`No run ${runId} under ${o.out} (no ${runId}/manifest.json)`);
      if (o.html) {
        const { writeRunReport } = await import('../../report/index.js');
        const { path, bytes } = await writeRunReport(store, m);
        ctx.io.stdout.write(`${store.location}/${path} (${bytes} bytes)\n`);
        return;
      }
      const r = buildReport(m, await readReportFiles(store, m.runId));
      ctx.io.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatReport(r, o.out));
      ctx.setExit(r.files.failed > 0 || r.status !== 'succeeded' ? ExitCode.Failed : ExitCode.Ok);
    });
}
