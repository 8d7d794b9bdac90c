/** The work of `wikireverse estimate` (commands/estimate.ts parses its flags), loaded only when it runs. */
import os from 'node:os';
import { defaultPartitions, emptyStats, planIndex, planInputs, selectFromIndex, type IndexSelectionStats, type IndexTask } from '../../coordinator/index.js';
import { inputRequestsBilled, loadPrices, pricedTypes, projectRun, type PriceTable } from '../../cost/index.js';
import { scanInput, type ScanResult } from '../../extract/index.js';
import { scanRanges } from '../../worker/scan-ranges.js';
import { resolveJob } from '../../job/index.js';
import { openInput } from '../../storage/index.js';
import { inputRequest, type InputFlags } from '../inputs.js';
import type { CommandContext } from '../context.js';
import { withStorage, type StorageFlags } from '../storage.js';
import { ec2Client } from './fleet.js';

export interface EstimateFlags extends InputFlags, StorageFlags {
  filesTotal?: number;
  sampleFiles: number;
  instances: number;
  instanceTypes: string;
  prices?: string;
  pricesFrom: 'api' | 'table';
  json: boolean;
  job: string;
}

/** Remote entries whose sizes the pre-flight reads to project the selection's bytes (one 1-byte Range GET each). */
const SIZE_PROBES = 16;

/** The candidate types: `--instance-types`, or `all` for every type in the price table. */
function candidateTypes(list: string, prices: PriceTable): string[] {
  if (list.trim() === 'all') return pricedTypes(prices);
  return list.split(',').map((t) => t.trim()).filter(Boolean);
}

/** Candidates printed: the five cheapest per file, and the cheapest launchable one when it is not among them. */
function shownCandidates<T extends { launchable: boolean }>(all: readonly T[]): T[] {
  const shown = all.slice(0, 5);
  const best = all.find((c) => c.launchable);
  return best && !shown.includes(best) ? [...shown, best] : shown;
}

function matchesKind(input: string, kind: string): boolean {
  return kind === 'wat' ? /\.wat(\.gz)?$/i.test(input) : /\.warc(\.gz)?$/i.test(input) && !/\.(wat|wet)\./i.test(input);
}

/** `estimate`, once its flags are parsed. */
export async function estimateCommand(ctx: CommandContext, o: EstimateFlags): Promise<void> {
  const { config } = ctx;
  const { io } = ctx;
  await withStorage(ctx, o, async (session) => {
    const req = inputRequest(o);
    const job = resolveJob(ctx.jobs, o.job);
    let seconds = 0;
    let bytes = 0;
    let cpuSeconds = 0;
    let sampled: string[];
    let filesTotal: number;
    let requestsPerFile: number;
    let selected: IndexSelectionStats | undefined;
    let sizes: { bytesPerFile: number; source: string } | undefined;
    const measure = async (label: string, scan: () => Promise<ScanResult>): Promise<void> => {
      io.stderr.write(`measuring ${label}\n`);
      const cpu = process.cpuUsage();
      const t0 = Date.now();
      const r = await scan();
      seconds += (Date.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      cpuSeconds += (used.user + used.system) / 1e6;
      bytes += r.compressedBytes;
    };
    if (req.where !== undefined) {
      // A selection through the index: its tasks are counted, and the first ones are read as a worker reads them.
      const plan = await planIndex(req, session);
      const stats = emptyStats();
      const sample: IndexTask[] = [];
      for await (const batch of selectFromIndex({ ...plan, maxRecords: config.indexTaskRecords, maxMb: config.indexTaskMb, io: session }, stats)) {
        for (const t of batch) if (sample.length < o.sampleFiles) sample.push(t);
      }
      if (stats.tasks === 0) throw new Error(`--where ${JSON.stringify(req.where)}: no records selected`);
      for (const t of sample) {
        await measure(`${t.input} (${t.ranges.length} records)`, () => scanRanges(job, { input: t.input, ranges: t.ranges, maxRecordBytes: config.maxRecordBytes, io: session }, () => undefined));
      }
      sampled = sample.map((t) => t.input);
      filesTotal = o.filesTotal ?? stats.tasks;
      requestsPerFile = Math.max(1, Math.round(stats.records / stats.tasks));
      selected = stats;
      sizes = { bytesPerFile: stats.bytes / stats.tasks, source: "the selected records' lengths in the index" };
    } else {
      const plan = await planInputs({ ...req, probes: SIZE_PROBES }, session);
      if (plan.inputs.length === 0) throw new Error('The selection has no input files');
      const kind = plan.inputs.filter((f) => matchesKind(f.input, o.input));
      const sample = (kind.length > 0 ? kind : plan.inputs).slice(0, o.sampleFiles);
      for (const f of sample) {
        await measure(f.input, async () => scanInput(await openInput(f.input, session), job, { inputName: f.input, maxRecordBytes: config.maxRecordBytes }, () => undefined));
      }
      sampled = sample.map((f) => f.input);
      filesTotal = o.filesTotal ?? plan.inputs.length;
      // The selection's own sizes, as the pre-flight saw them: a crawl's files are not all the sample's size.
      if (plan.sizes) sizes = { bytesPerFile: plan.sizes.bytesPerFile, source: `mean size of ${plan.sizes.files} of the ${plan.inputs.length} files` };
      requestsPerFile = 1; // a file is streamed with one GET (a Range request only to resume after a failure)
    }
    const prices = loadPrices(o.prices);
    const types = candidateTypes(o.instanceTypes, prices);
    let spot: Record<string, number> = {};
    let priceSource = 'price table';
    if (o.pricesFrom === 'api') {
      try {
        const { currentSpotPrices } = await import('../../fleet/spot-prices.js');
        const client = await ec2Client(config);
        spot = await Promise.race([
          currentSpotPrices(client, types),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref()),
        ]);
        priceSource = 'DescribeSpotPriceHistory (now)';
      } catch (err) {
        io.stderr.write(`spot prices from the API unavailable (${(err as Error).message}); using the price table (--prices-from table to skip)\n`);
      }
    }
    const partitions = config.partitions > 0 ? config.partitions : defaultPartitions(filesTotal);
    const p = projectRun({
      sample: { files: sampled.length, seconds, bytes }, filesTotal, ...(sizes ? { bytesPerFile: sizes.bytesPerFile } : {}),
      instances: o.instances, instanceTypes: types, launchableArchs: config.imageArchs.split(',').map((a) => a.trim()), spotPerHour: spot, prices,
      requestsPerFile, inputRequestsBilled: sampled.some(inputRequestsBilled),
      partitions, reduceTasks: Math.ceil(partitions / Math.max(1, config.reduceTaskPartitions)), outputsPerPartition: 1 + job.derived.length, rollups: (job.rollups ?? []).filter((r) => !r.needsLookup).length,
    });
    const sizeSource = sizes?.source ?? 'the sample';
    const out = { ...(selected ? { selection: selected } : {}), sizes: { bytesPerFile: p.bytesTotal / Math.max(1, filesTotal), source: sizeSource }, sample: { files: sampled, seconds, cpuSeconds, bytes, bytesPerSec: seconds > 0 ? bytes / seconds : 0 }, priceSource, localCores: os.availableParallelism(), projection: p };
    const shown = shownCandidates(p.candidates);
    if (o.json) io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      io.stdout.write(
        (selected ? `selection: ${selected.records} records (${(selected.bytes / 1e6).toFixed(1)} MB, one Range request each) in ${selected.files} WARC files, ${selected.tasks} tasks, from ${selected.indexFiles} index files\n` : '') +
          `sample: ${sampled.length} ${selected ? 'task(s)' : 'file(s)'}, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s (${(bytes / 1e6 / Math.max(seconds, 1e-9)).toFixed(1)} MB/s per core)\n` +
          `${selected ? 'projected over' : 'selection:'} ${filesTotal} ${selected ? 'tasks' : 'files'}, ~${(p.bytesTotal / 1e9).toFixed(2)} GB (${(p.bytesTotal / Math.max(1, filesTotal) / 1e6).toFixed(1)} MB a file: ${sizeSource})\n` +
          `instance types, cheapest per file first (seconds per file and instance; arm64 vCPUs assumed ${prices.coreSpeed.arm64 ?? 1}x the sampled one's speed, --prices coreSpeed):\n` +
          shown.map((c) =>
            `  ${c.instanceType.padEnd(12)} ${c.arch.padEnd(6)} ${c.vcpus} vCPU  $${c.usdPerInstanceHour.toFixed(4)}/h  ${String(c.networkGbps).padStart(5)} Gbit/s  ` +
            `CPU ${c.instanceSecondsPerFile.cpu.toFixed(2)} s, network ${c.instanceSecondsPerFile.network.toFixed(2)} s: ${c.bound === 'network' ? 'network' : 'CPU'}-bound, ` +
            `$${(c.usdPerFile * 1000).toPrecision(3)} per 1,000 files${c.launchable ? '' : ` (${c.arch}: not in the image, WIKIREVERSE_IMAGE_ARCHS=${config.imageArchs})`}\n`).join('') +
          (p.candidates.length > shown.length ? `  (${p.candidates.length - shown.length} more: --json)\n` : '') +
          `fleet: ${o.instances} x ${p.instanceType} (${p.arch}, ${p.vcpus} vCPUs, $${p.usdPerInstanceHour.toFixed(4)}/h spot, ${priceSource}; \`run --fleet ec2 --instance-types ${p.instanceType}\`)\n` +
          `projected wall time: ${(p.wallHours * 60).toFixed(1)} min; instance-hours ${p.instanceHours.toFixed(3)}; bound by ${p.bound === 'network' ? 'the network' : 'CPU'} ` +
          `(per file and instance: CPU ${p.instanceSecondsPerFile.cpu.toFixed(2)} s, network ${p.instanceSecondsPerFile.network.toFixed(2)} s at the ${p.networkGbps} Gbit/s baseline of ${p.instanceType})\n` +
          `S3 requests: map ${p.requests.inputGets} GETs${sampled.some(inputRequestsBilled) ? '' : ' (not billed to you: Common Crawl\'s bucket, an https site or local files)'} + ${p.requests.mapPuts} PUTs; coordinator ${p.requests.coordinatorLists} LISTs + ${p.requests.coordinatorGets} GETs; ` +
          `reduce (${partitions} partitions) ${p.requests.reduceGets} GETs + ${p.requests.reducePuts} PUTs\n` +
          `projected cost: $${p.totalUsd.toFixed(4)} (EC2 $${p.ec2Usd.toFixed(4)}, EBS $${p.ebsUsd.toFixed(4)}, S3 requests $${p.s3Usd.toFixed(4)}, ` +
          `fixed items $${p.fixedUsd.toFixed(4)}${Object.keys(prices.fixedPerHour).length === 0 ? ': none priced; add the Redis host and the coordinator with --prices' : ''})\n`,
      );
    }
  });
}
