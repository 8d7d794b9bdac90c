/**
 * Projecting a whole selection from a measured sample (the `estimate` command), as a pure function: per-file time
 * measured on one core, spread over `instances` x vCPUs worker slots, priced at the cheapest chosen type's spot price.
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
  /** GET requests per input file (ranged reads). */
  readonly requestsPerFile: number;
}

export interface Projection {
  readonly instanceType: string;
  readonly vcpus: number;
  readonly usdPerInstanceHour: number;
  readonly secondsPerFile: number;
  readonly filesTotal: number;
  readonly bytesTotal: number;
  readonly instanceHours: number;
  readonly wallHours: number;
  readonly ec2Usd: number;
  readonly ebsUsd: number;
  readonly s3Usd: number;
  readonly totalUsd: number;
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
  const slots = Math.max(1, i.instances) * best.vcpus;
  const cpuHours = (secondsPerFile * i.filesTotal) / 3600;
  // Whole waves of files: a slot processes its files one after the other.
  const wallHours = (Math.ceil(i.filesTotal / slots) * secondsPerFile) / 3600;
  const instanceHours = Math.max(cpuHours / best.vcpus, (Math.max(1, i.instances) * 60) / 3600);
  const ec2Usd = instanceHours * best.perHour;
  const ebsUsd = (instanceHours * prices.ebsVolumeGb * prices.ebsGbMonth) / 730;
  const s3Usd = ((i.filesTotal * i.requestsPerFile) / 1000) * prices.s3ClassBPer1000 + ((i.filesTotal * 10) / 1000) * prices.s3ClassAPer1000;
  return {
    instanceType: best.t, vcpus: best.vcpus, usdPerInstanceHour: best.perHour, secondsPerFile, filesTotal: i.filesTotal,
    bytesTotal: Math.round(bytesPerFile * i.filesTotal), instanceHours, wallHours, ec2Usd, ebsUsd, s3Usd, totalUsd: ec2Usd + ebsUsd + s3Usd,
  };
}
