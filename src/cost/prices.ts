/**
 * Prices the ledger uses when they are not fetched from the AWS API (us-east-1 list prices, USD, 2025).
 * The user overrides any of them with a JSON file (`--prices FILE` or `WIKIREVERSE_PRICES`) holding a partial table,
 * e.g. `{"ebsGbMonth": 0.1, "fixedPerHour": {"redis-host": 0.0208}}`; nested maps are merged key by key.
 */
import fs from 'node:fs';

export interface PriceTable {
  /** Spot price per hour by instance type, used when DescribeSpotPriceHistory is not available (estimate, offline). */
  readonly spotPerHour: Readonly<Record<string, number>>;
  /** vCPUs by instance type (throughput projections). */
  readonly vcpus: Readonly<Record<string, number>>;
  /**
   * Baseline network bandwidth by instance type, Gbit/s (AWS's published baseline: bursts above it last minutes, not a
   * crawl's hours). A worker reads its inputs at most this fast per instance; types missing here use `networkGbpsDefault`.
   */
  readonly networkGbps: Readonly<Record<string, number>>;
  readonly networkGbpsDefault: number;
  /**
   * The speed of one vCPU of each architecture relative to the vCPU the sample was measured on (`estimate`, the scale
   * bench): the sample's CPU seconds per file are divided by it. Graviton cannot be measured here: an assumption, printed.
   */
  readonly coreSpeed: Readonly<Record<string, number>>;
  /** Spot price per vCPU-hour, for projecting a local run's CPU time onto EC2. */
  readonly spotPerVcpuHour: number;
  /** EBS gp3 storage, per GB-month (730 hours). */
  readonly ebsGbMonth: number;
  /** Root volume size per instance, GB (what the launch template asks for). */
  readonly ebsVolumeGb: number;
  /** S3 requests per 1,000: class A (PUT, COPY, POST, LIST), class B (GET, HEAD, others). DELETE and aborts are free. */
  readonly s3ClassAPer1000: number;
  readonly s3ClassBPer1000: number;
  /** S3 bytes read within the region, per GB (0 in-region; set it for cross-region or internet egress). */
  readonly s3TransferPerGb: number;
  /** HTTPS (data.commoncrawl.org) requests and bytes; free for the reader. */
  readonly httpPer1000: number;
  readonly httpTransferPerGb: number;
  /** S3 Standard storage, per GB-month (the outputs; reported per month, not added to the run's total). */
  readonly s3StorageGbMonth: number;
  /** Fixed hourly items charged for the run's whole wall time, e.g. the Redis host or the coordinator's instance. */
  readonly fixedPerHour: Readonly<Record<string, number>>;
}

export const DEFAULT_PRICES: PriceTable = {
  // Spot, us-east-1, typical of 2025 (DescribeSpotPriceHistory gives the current ones); the types a user would pick for
  // this job: current x86 and Graviton compute and general-purpose types, and the network-optimised ones.
  spotPerHour: {
    'c6i.large': 0.032, 'c6a.large': 0.029, 'c7i.large': 0.036, 'c7a.large': 0.041, 'm6i.large': 0.035, 'm6a.large': 0.032,
    'm5.large': 0.036, 'm7i.large': 0.04, 'c5.large': 0.03, 'm6i.xlarge': 0.07, 'c6i.xlarge': 0.064, 'c7i.xlarge': 0.07,
    'c6in.large': 0.041,
    // Graviton (arm64)
    'c7g.medium': 0.015, 'c7g.large': 0.029, 'c7g.xlarge': 0.058, 'c6g.medium': 0.014, 'c6g.large': 0.027, 'c8g.medium': 0.017,
    'c8g.large': 0.033, 'm7g.large': 0.033, 'c7gn.medium': 0.022, 'c7gn.large': 0.043,
  },
  vcpus: {
    'c6i.large': 2, 'c6a.large': 2, 'c7i.large': 2, 'c7a.large': 2, 'm6i.large': 2, 'm6a.large': 2, 'm5.large': 2, 'm7i.large': 2,
    'c5.large': 2, 'm6i.xlarge': 4, 'c6i.xlarge': 4, 'c7i.xlarge': 4, 'c6in.large': 2,
    'c7g.medium': 1, 'c7g.large': 2, 'c7g.xlarge': 4, 'c6g.medium': 1, 'c6g.large': 2, 'c8g.medium': 1, 'c8g.large': 2,
    'm7g.large': 2, 'c7gn.medium': 1, 'c7gn.large': 2,
  },
  // AWS's published baseline bandwidth (EC2 User Guide, "Network performance" of each family, Gbit/s).
  networkGbps: {
    'c6i.large': 0.781, 'c6a.large': 0.781, 'c7i.large': 0.781, 'c7a.large': 0.781, 'm6i.large': 0.781, 'm6a.large': 0.781,
    'm5.large': 0.75, 'm7i.large': 0.781, 'c5.large': 0.75, 'm6i.xlarge': 1.562, 'c6i.xlarge': 1.562, 'c7i.xlarge': 1.562,
    'c6in.large': 3.125,
    'c7g.medium': 0.52, 'c7g.large': 0.937, 'c7g.xlarge': 1.876, 'c6g.medium': 0.5, 'c6g.large': 0.75, 'c8g.medium': 0.52,
    'c8g.large': 0.937, 'm7g.large': 0.937, 'c7gn.medium': 3.125, 'c7gn.large': 6.25,
  },
  // An assumption, not a measurement (no Graviton here): a vCPU of each architecture as fast as the sampled one.
  // An x86 vCPU is a hyperthread and a Graviton vCPU a whole core, so 1 is conservative for arm64; override it.
  coreSpeed: { x86_64: 1, arm64: 1 },
  networkGbpsDefault: 0.75,
  spotPerVcpuHour: 0.0175,
  ebsGbMonth: 0.08,
  ebsVolumeGb: 30,
  s3ClassAPer1000: 0.005,
  s3ClassBPer1000: 0.0004,
  s3TransferPerGb: 0,
  httpPer1000: 0,
  httpTransferPerGb: 0,
  s3StorageGbMonth: 0.023,
  fixedPerHour: {},
};

export const HOURS_PER_MONTH = 730;

/** Every instance type the table prices (`estimate --instance-types all`, the benchmarks' candidates). */
export function pricedTypes(prices: PriceTable): string[] {
  return Object.keys(prices.spotPerHour);
}

/**
 * The CPU architecture of an instance type by EC2's naming (a `g` after the generation: c7g, c7gn, m7gd, c8g are
 * Graviton): for projections, offline. A fleet asks EC2 itself (src/fleet/architectures.ts).
 */
export function archOfType(type: string): 'x86_64' | 'arm64' {
  return /^[a-z]+\d+g[a-z]*\./.test(type) ? 'arm64' : 'x86_64';
}

/** The default table with a user's partial table merged over it. */
export function mergePrices(base: PriceTable, override: Partial<Record<keyof PriceTable, unknown>>): PriceTable {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (!(k in base)) throw new Error(`Unknown price "${k}" in the price table; known: ${Object.keys(base).join(', ')}`);
    const cur = (base as unknown as Record<string, unknown>)[k];
    if (typeof cur === 'object' && cur !== null) {
      if (typeof v !== 'object' || v === null) throw new Error(`Price "${k}" must be an object of numbers`);
      out[k] = { ...cur, ...checkNumbers(k, v as Record<string, unknown>) };
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`Price "${k}" must be a non-negative number, got ${JSON.stringify(v)}`);
      out[k] = v;
    }
  }
  return out as unknown as PriceTable;
}

function checkNumbers(k: string, o: Record<string, unknown>): Record<string, number> {
  for (const [name, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`Price "${k}.${name}" must be a non-negative number`);
  }
  return o as Record<string, number>;
}

/** The price table: defaults, with the JSON file at `file` merged over them when given. */
export function loadPrices(file?: string): PriceTable {
  if (!file) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the price table ${file}: ${(err as Error).message}. It must be a JSON object such as {"ebsGbMonth": 0.08}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`The price table ${file} must be a JSON object`);
  return mergePrices(DEFAULT_PRICES, parsed);
}
