/**
 * Projecting a whole selection from a measured sample (`estimate` and the scale bench alike), as a pure function.
 * For each candidate instance type: the sample's CPU seconds per input byte (one core), scaled to the selection's
 * bytes per file and divided by the type's vCPUs and their speed (`coreSpeed`, an assumption for architectures not
 * measured), against the file's bytes at the type's baseline network bandwidth: the slower bounds that type, and its
 * cost per file follows from its spot price. The projection takes the launchable candidate with the lowest cost per
 * file, and lists every candidate with its bound. Then the S3 requests of the map and the reduce by class (input GETs
 * only when the reader pays for them: Common Crawl's bucket and https site bill their owner); fixed hourly items over
 * the wall time. (The reduce's own compute is not projected: it is small beside the map's, about 0.1 s per 10,000 rows.)
 */
import { archOfType, type PriceTable } from './prices.js';

export interface ProjectionInput {
  /** Files measured, their seconds (one core), and their compressed bytes. */
  readonly sample: { readonly files: number; readonly seconds: number; readonly bytes: number };
  readonly filesTotal: number;
  /**
   * The selection's mean compressed bytes per file, when known beyond the sample (its listing's sizes): the sample's
   * seconds per byte then scale to it. Default: the sample's own bytes per file.
   */
  readonly bytesPerFile?: number;
  readonly instances: number;
  /** The candidate types (the cheapest per file among the launchable ones is projected). */
  readonly instanceTypes: readonly string[];
  /** Architectures the fleet can launch (the worker image's); default: every one. */
  readonly launchableArchs?: readonly string[];
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
  /** Outputs aggregated across partitions (domains, items, ...): each partition shuffles its rows of them into a bucket a reduce task. */
  readonly rollups: number;
}

/** S3 requests of a run, by phase and class (the layout in src/storage/layout.ts). */
export interface ProjectedRequests {
  /** Input reads (class B). */
  readonly inputGets: number;
  /** Map commits: one PUT per file, its partial object with its commit record inside (class A). */
  readonly mapPuts: number;
  /** The coordinator: partials listed (one LIST per 1,000) and each one's commit record read (one suffix-range GET). */
  readonly coordinatorLists: number;
  readonly coordinatorGets: number;
  /** Reduce tasks: one ranged GET per file and task, the list read per task; outputs and a commit record per partition. */
  readonly reduceGets: number;
  readonly reducePuts: number;
}

/** What bounds a run's throughput: the instances' CPU or their network bandwidth. */
export type ProjectionBound = 'cpu' | 'network';

/** One candidate instance type: what bounds it, and what a file costs on it. */
export interface CandidateProjection {
  readonly instanceType: string;
  readonly arch: string;
  readonly vcpus: number;
  /** The assumed speed of its vCPUs relative to the sampled one (`coreSpeed`). */
  readonly coreSpeed: number;
  readonly usdPerInstanceHour: number;
  readonly networkGbps: number;
  readonly bound: ProjectionBound;
  /** Seconds per file and instance: CPU (the file's CPU seconds over the vCPUs) and network (its bytes at baseline). */
  readonly instanceSecondsPerFile: { readonly cpu: number; readonly network: number };
  readonly usdPerFile: number;
  /** Whether the fleet can launch it (its architecture is the image's). */
  readonly launchable: boolean;
}

export interface Projection {
  readonly instanceType: string;
  readonly arch: string;
  readonly vcpus: number;
  readonly coreSpeed: number;
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
  /** Every candidate, cheapest per file first. */
  readonly candidates: readonly CandidateProjection[];
}

/**
 * Whether whoever reads `location` pays for its GET requests: an object in another S3 bucket, yes; Common Crawl's
 * public bucket (`s3://commoncrawl/`, paid by its owner), an https site and a local file, no.
 */
export function inputRequestsBilled(location: string): boolean {
  return /^s3:\/\//i.test(location) && !/^s3:\/\/commoncrawl\//i.test(location);
}

/** Each type of `i` with its bound and cost per file, cheapest per file first. */
function candidatesOf(i: ProjectionInput, secondsPerFile: number, bytesPerFile: number): CandidateProjection[] {
  const { prices } = i;
  return i.instanceTypes
    .map((t): CandidateProjection => {
      const vcpus = prices.vcpus[t] ?? 2;
      const arch = archOfType(t);
      const coreSpeed = prices.coreSpeed[arch] ?? 1;
      const usdPerInstanceHour = i.spotPerHour[t] ?? prices.spotPerHour[t] ?? vcpus * prices.spotPerVcpuHour;
      const networkGbps = prices.networkGbps[t] ?? prices.networkGbpsDefault;
      const perFile = { cpu: secondsPerFile / (vcpus * coreSpeed), network: (bytesPerFile * 8) / (networkGbps * 1e9) };
      const bound: ProjectionBound = perFile.network > perFile.cpu ? 'network' : 'cpu';
      const usdPerFile = (Math.max(perFile.cpu, perFile.network) * usdPerInstanceHour) / 3600;
      const launchable = i.launchableArchs === undefined || i.launchableArchs.includes(arch);
      return { instanceType: t, arch, vcpus, coreSpeed, usdPerInstanceHour, networkGbps, bound, instanceSecondsPerFile: perFile, usdPerFile, launchable };
    })
    .sort((a, b) => a.usdPerFile - b.usdPerFile || a.instanceType.localeCompare(b.instanceType));
}

export function projectRun(i: ProjectionInput): Projection {
  const { prices } = i;
  const sampleBytesPerFile = i.sample.files > 0 ? i.sample.bytes / i.sample.files : 0;
  const bytesPerFile = i.bytesPerFile ?? sampleBytesPerFile;
  // CPU scales with the bytes a file has (the sample's seconds per byte), or is the sample's per file when it has none.
  const sampleSecondsPerFile = i.sample.files > 0 ? i.sample.seconds / i.sample.files : 0;
  const secondsPerFile = sampleBytesPerFile > 0 ? (sampleSecondsPerFile * bytesPerFile) / sampleBytesPerFile : sampleSecondsPerFile;
  const candidates = candidatesOf(i, secondsPerFile, bytesPerFile);
  const fallback: CandidateProjection = {
    instanceType: 'unknown', arch: 'x86_64', vcpus: 2, coreSpeed: 1, usdPerInstanceHour: 2 * prices.spotPerVcpuHour, networkGbps: prices.networkGbpsDefault,
    bound: 'cpu', instanceSecondsPerFile: { cpu: secondsPerFile / 2, network: (bytesPerFile * 8) / (prices.networkGbpsDefault * 1e9) }, usdPerFile: 0, launchable: true,
  };
  // price-capacity-optimized lands on what is cheap: project with the launchable type that costs least per file.
  const best = candidates.find((c) => c.launchable) ?? candidates[0] ?? fallback;
  const instances = Math.max(1, i.instances);
  const slots = instances * best.vcpus;
  const perFile = best.instanceSecondsPerFile;
  // CPU: whole waves of files, a slot processing its files one after the other (each at the slot's speed); network:
  // each instance's share of the bytes.
  const cpuWallHours = (Math.ceil(i.filesTotal / slots) * (secondsPerFile / best.coreSpeed)) / 3600;
  const networkWallHours = (Math.ceil(i.filesTotal / instances) * perFile.network) / 3600;
  const wallHours = Math.max(cpuWallHours, networkWallHours);
  const instanceHours = Math.max((i.filesTotal * Math.max(perFile.cpu, perFile.network)) / 3600, (instances * 60) / 3600);
  const ec2Usd = instanceHours * best.usdPerInstanceHour;
  const ebsUsd = (instanceHours * prices.ebsVolumeGb * prices.ebsGbMonth) / 730;
  const n = i.filesTotal;
  const requests: ProjectedRequests = {
    inputGets: n * i.requestsPerFile,
    mapPuts: n,
    coordinatorLists: Math.ceil(n / 1000),
    coordinatorGets: n,
    // Each reduce task a range per file; each rollup task (one a bucket, a bucket a reduce task) every partition's
    // record and its shuffled file per rollup.
    reduceGets: n * i.reduceTasks + i.reduceTasks + (i.rollups > 0 ? i.reduceTasks * (i.partitions * (1 + i.rollups) + 1) : 0),
    // Each partition its outputs, its commit record and (at most) a shuffled file per rollup and bucket; each rollup
    // task its outputs and its record.
    reducePuts: i.partitions * (i.outputsPerPartition + 1) + 1 + (i.rollups > 0 ? i.partitions * i.rollups * i.reduceTasks + i.reduceTasks * (i.rollups + 1) : 0),
  };
  const classA = requests.mapPuts + requests.coordinatorLists + requests.reducePuts;
  const classB = (i.inputRequestsBilled ? requests.inputGets : 0) + requests.coordinatorGets + requests.reduceGets;
  const s3Usd = (classB / 1000) * prices.s3ClassBPer1000 + (classA / 1000) * prices.s3ClassAPer1000;
  const fixedUsd = Object.values(prices.fixedPerHour).reduce((sum, perHour) => sum + perHour * wallHours, 0);
  return {
    instanceType: best.instanceType, arch: best.arch, vcpus: best.vcpus, coreSpeed: best.coreSpeed, networkGbps: best.networkGbps, bound: best.bound,
    instanceSecondsPerFile: perFile, usdPerInstanceHour: best.usdPerInstanceHour, secondsPerFile, filesTotal: i.filesTotal,
    bytesTotal: Math.round(bytesPerFile * i.filesTotal), instanceHours, wallHours, ec2Usd, ebsUsd, s3Usd, requests, fixedUsd,
    totalUsd: ec2Usd + ebsUsd + s3Usd + fixedUsd, candidates,
  };
}
