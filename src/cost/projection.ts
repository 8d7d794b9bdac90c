/**
 * Projecting a whole selection from a measured sample (`estimate` and the scale bench alike), as a pure function:
 * per-file time measured on one core, spread over `instances` x vCPUs worker slots, and per-file input bytes over each
 * instance's baseline network bandwidth: the slower of the two bounds the run, and the projection names it. Priced at
 * the cheapest chosen type's spot price; the S3 requests of the map and the reduce by class (input GETs only when the
 * reader pays for them: Common Crawl's bucket and https site bill their owner); fixed hourly items over the wall time.
 * (The reduce's own compute is not projected: it is small beside the map's, about 0.1 s per 10,000 rows.)
 */
import type { PriceTable } from './prices.js';

export interface ProjectionInput {
  /** Files measured, their wall seconds (one core), and their compressed bytes. */
  readonly sample: { readonly files: number; readonly seconds: number; readonly bytes: number };
  readonly filesTotal: number;
  readonly instances: number;
  readonly instanceTypes: readonly string[];
  /** Current spot prices per type (API); types missing here use the table. */
  readonly spotPerHour: Readonly<Record<string, number>>;
  readonly prices: PriceTable;
  /** GET requests per input file: 1 (a file is streamed with one GET), or its records for a selection through the index. */
  readonly requestsPerFile: number;
  /** Whether the reader pays for the input GETs (false for Common Crawl's public bucket and its https site). */
  readonly inputRequestsBilled: boolean;
  /** The run's layout, for the map and reduce requests: output partitions, reduce tasks, outputs per partition. */
  readonly partitions: number;
  readonly reduceTasks: number;
  readonly outputsPerPartition: number;
}

/** S3 requests of a run, by phase and class (the layout in src/storage/layout.ts). */
export interface ProjectedRequests {
  /** Input reads (class B). */
  readonly inputGets: number;
  /** Map commits: a partial object and a commit record per file (class A). */
  readonly mapPuts: number;
  /** The coordinator: commit records listed (one LIST per 1,000) and read once each, the reduce inputs list written. */
  readonly coordinatorLists: number;
  readonly coordinatorGets: number;
  /** Reduce tasks: one ranged GET per file and task, the list read per task; outputs and a commit record per partition. */
  readonly reduceGets: number;
  readonly reducePuts: number;
}

/** What bounds a run's throughput: the instances' CPU or their network bandwidth. */
export type ProjectionBound = 'cpu' | 'network';

export interface Projection {
  readonly instanceType: string;
  readonly vcpus: number;
  /** The type's baseline network bandwidth, Gbit/s. */
  readonly networkGbps: number;
  /** Which bounds the run, and the seconds per file per instance each allows (CPU: per-file time / vCPUs). */
  readonly bound: ProjectionBound;
  readonly instanceSecondsPerFile: { readonly cpu: number; readonly network: number };
  readonly usdPerInstanceHour: number;
  readonly secondsPerFile: number;
  readonly filesTotal: number;
  readonly bytesTotal: number;
  readonly instanceHours: number;
  readonly wallHours: number;
  readonly ec2Usd: number;
  readonly ebsUsd: number;
  readonly s3Usd: number;
  readonly requests: ProjectedRequests;
  /** Fixed hourly items of the price table (the Redis host, the coordinator's instance) over the wall time. */
  readonly fixedUsd: number;
  readonly totalUsd: number;
}

/**
 * Whether whoever reads `location` pays for its GET requests: an object in another S3 bucket, yes; Common Crawl's
 * public bucket (`s3://commoncrawl/`, paid by its owner), an https site and a local file, no.
 */
export function inputRequestsBilled(location: string): boolean {
  return /^s3:\/\//i.test(location) && !/^s3:\/\/commoncrawl\//i.test(location);
}

export function projectRun(i: ProjectionInput): Projection {
  const { prices } = i;
  const priced = i.instanceTypes.map((t) => {
    const vcpus = prices.vcpus[t] ?? 2;
    const perHour = i.spotPerHour[t] ?? prices.spotPerHour[t] ?? vcpus * prices.spotPerVcpuHour;
    return { t, vcpus, perHour, perVcpu: perHour / vcpus };
  });
  // price-capacity-optimized usually lands on the cheapest per vCPU; project with that one.
  const best = priced.sort((a, b) => a.perVcpu - b.perVcpu)[0] ?? { t: 'unknown', vcpus: 2, perHour: 2 * prices.spotPerVcpuHour, perVcpu: prices.spotPerVcpuHour };
  const secondsPerFile = i.sample.files > 0 ? i.sample.seconds / i.sample.files : 0;
  const bytesPerFile = i.sample.files > 0 ? i.sample.bytes / i.sample.files : 0;
  const instances = Math.max(1, i.instances);
  const slots = instances * best.vcpus;
  const networkGbps = prices.networkGbps[best.t] ?? prices.networkGbpsDefault;
  // An instance's time per file: its CPU (per-file time shared by its vCPUs) or its network (the file's bytes at baseline).
  const perFile = { cpu: secondsPerFile / best.vcpus, network: (bytesPerFile * 8) / (networkGbps * 1e9) };
  const bound: ProjectionBound = perFile.network > perFile.cpu ? 'network' : 'cpu';
  // CPU: whole waves of files, a slot processing its files one after the other; network: each instance's share of the bytes.
  const cpuWallHours = (Math.ceil(i.filesTotal / slots) * secondsPerFile) / 3600;
  const networkWallHours = (Math.ceil(i.filesTotal / instances) * perFile.network) / 3600;
  const wallHours = Math.max(cpuWallHours, networkWallHours);
  const instanceHours = Math.max((i.filesTotal * Math.max(perFile.cpu, perFile.network)) / 3600, (instances * 60) / 3600);
  const ec2Usd = instanceHours * best.perHour;
  const ebsUsd = (instanceHours * prices.ebsVolumeGb * prices.ebsGbMonth) / 730;
  const n = i.filesTotal;
  const requests: ProjectedRequests = {
    inputGets: n * i.requestsPerFile,
    mapPuts: 2 * n,
    coordinatorLists: Math.ceil(n / 1000),
    coordinatorGets: n,
    reduceGets: n * i.reduceTasks + i.reduceTasks,
    reducePuts: i.partitions * (i.outputsPerPartition + 1) + 1,
  };
  const classA = requests.mapPuts + requests.coordinatorLists + requests.reducePuts;
  const classB = (i.inputRequestsBilled ? requests.inputGets : 0) + requests.coordinatorGets + requests.reduceGets;
  const s3Usd = (classB / 1000) * prices.s3ClassBPer1000 + (classA / 1000) * prices.s3ClassAPer1000;
  const fixedUsd = Object.values(prices.fixedPerHour).reduce((sum, perHour) => sum + perHour * wallHours, 0);
  return {
    instanceType: best.t, vcpus: best.vcpus, networkGbps, bound, instanceSecondsPerFile: perFile, usdPerInstanceHour: best.perHour, secondsPerFile, filesTotal: i.filesTotal,
    bytesTotal: Math.round(bytesPerFile * i.filesTotal), instanceHours, wallHours, ec2Usd, ebsUsd, s3Usd, requests, fixedUsd,
    totalUsd: ec2Usd + ebsUsd + s3Usd + fixedUsd,
  };
}
