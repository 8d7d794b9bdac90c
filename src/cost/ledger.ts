/**
 * The cost ledger of a run, as a pure function: (price history, instance lifetimes, counters, prices) -> ledger.
 * EC2 spot instances are billed per second with a 60-second minimum, at the spot price in effect at each moment
 * (integrated piecewise over the price history of their type and availability zone); their EBS volumes at the
 * GB-month rate for the same billed time; S3 requests by class, bytes by GB; fixed items by the hour of wall time.
 */
import { hasControlChars } from '../log/index.js';
import { HOURS_PER_MONTH, type PriceTable } from './prices.js';

/** A spot price that took effect at `atMillis` (as DescribeSpotPriceHistory returns them). */
export interface PricePoint {
  readonly atMillis: number;
  readonly usdPerHour: number;
}

export interface InstanceLife {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly az: string;
  readonly launchedAtMillis: number;
  /** Absent or null: still running (billed up to the ledger's `nowMillis`). */
  readonly terminatedAtMillis?: number | null;
  /** EBS GB attached (default: the price table's `ebsVolumeGb`). */
  readonly volumeGb?: number;
}

export interface LedgerInput {
  readonly runId: string;
  readonly nowMillis: number;
  /** Wall time of the run, for fixed hourly items. */
  readonly startedAtMillis: number;
  readonly endedAtMillis?: number | null;
  readonly instances: readonly InstanceLife[];
  /** Price history per `${instanceType}/${az}`; missing: the table's `spotPerHour` for the type. */
  readonly spotHistory: Readonly<Record<string, readonly PricePoint[]>>;
  /** The run's counters (`io.s3.get`, `io.s3.bytes_in`, ...). */
  readonly counters: Readonly<Record<string, number>>;
  /** Bytes of the run's outputs in the store (priced per month). */
  readonly outputBytes: number;
  /** CPU seconds the workers used (local runs: projected onto EC2 spot). */
  readonly cpuSeconds: number;
  readonly prices: PriceTable;
}

export interface LedgerItem {
  readonly category: 'ec2' | 'ebs' | 's3' | 'http' | 'fixed';
  readonly name: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface InstanceCost {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly az: string;
  readonly launchedAt: string;
  readonly terminatedAt: string | null;
  readonly billedSeconds: number;
  readonly ec2Usd: number;
  readonly ebsUsd: number;
}

export interface Ledger {
  readonly runId: string;
  readonly computedAt: string;
  readonly currency: 'USD';
  /** What the run has cost so far (EC2 + EBS + S3 + HTTP + fixed items). */
  readonly totalUsd: number;
  readonly byCategory: Readonly<Record<string, number>>;
  readonly items: readonly LedgerItem[];
  readonly instances: readonly InstanceCost[];
  /** S3 storage of the outputs, per month (recurring; not in the total). */
  readonly monthlyStorageUsd: number;
  /** The same CPU time on EC2 spot at the table's price per vCPU-hour (for local runs and estimates). */
  readonly projected: { readonly cpuSeconds: number; readonly vcpuHours: number; readonly ec2SpotUsd: number };
}

const GB = 1024 ** 3;
const MIN_BILLED_SECONDS = 60;

/** Seconds billed for a lifetime: whole seconds, rounded up, at least 60. */
export function billedSeconds(fromMillis: number, toMillis: number): number {
  return Math.max(MIN_BILLED_SECONDS, Math.ceil(Math.max(0, toMillis - fromMillis) / 1000));
}

/**
 * Integrates an hourly price over [fromMillis, toMillis). The price at a moment is the last point at or before it;
 * before the first point, the first point's price. `fallbackPerHour` applies when there is no history at all.
 */
export function integratePrice(history: readonly PricePoint[], fromMillis: number, toMillis: number, fallbackPerHour: number): number {
  if (toMillis <= fromMillis) return 0;
  const points = [...history].sort((a, b) => a.atMillis - b.atMillis);
  if (points.length === 0) return (fallbackPerHour * (toMillis - fromMillis)) / 3_600_000;
  let usd = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as PricePoint;
    const segStart = i === 0 ? -Infinity : p.atMillis;
    const segEnd = points[i + 1]?.atMillis ?? Infinity;
    const a = Math.max(fromMillis, segStart);
    const b = Math.min(toMillis, segEnd);
    if (b > a) usd += (p.usdPerHour * (b - a)) / 3_600_000;
  }
  return usd;
}

export function historyKey(instanceType: string, az: string): string {
  return `${instanceType}/${az}`;
}

/** S3 request class of a storage-layer counter (`io.s3.<what>`): A, B, or free. */
export function s3RequestClass(what: string): 'A' | 'B' | 'free' | null {
  if (['put', 'list', 'multipart_create', 'multipart_parts', 'multipart_complete', 'copy', 'post'].includes(what)) return 'A';
  if (['get', 'head', 'other'].includes(what)) return 'B';
  if (['delete', 'multipart_abort'].includes(what)) return 'free';
  return null;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function computeLedger(input: LedgerInput): Ledger {
  const { prices, nowMillis } = input;
  const items: LedgerItem[] = [];
  const instances: InstanceCost[] = [];
  for (const inst of input.instances) {
    const end = inst.terminatedAtMillis ?? nowMillis;
    const seconds = billedSeconds(inst.launchedAtMillis, end);
    const billedEnd = inst.launchedAtMillis + seconds * 1000;
    const history = input.spotHistory[historyKey(inst.instanceType, inst.az)] ?? [];
    const ec2Usd = integratePrice(history, inst.launchedAtMillis, billedEnd, prices.spotPerHour[inst.instanceType] ?? 0);
    const gb = inst.volumeGb ?? prices.ebsVolumeGb;
    const ebsUsd = (gb * prices.ebsGbMonth * seconds) / (HOURS_PER_MONTH * 3600);
    instances.push({
      instanceId: inst.instanceId, instanceType: inst.instanceType, az: inst.az,
      launchedAt: new Date(inst.launchedAtMillis).toISOString(),
      terminatedAt: inst.terminatedAtMillis ? new Date(inst.terminatedAtMillis).toISOString() : null,
      billedSeconds: seconds, ec2Usd: round6(ec2Usd), ebsUsd: round6(ebsUsd),
    });
  }
  const byType = new Map<string, { seconds: number; usd: number }>();
  for (const i of instances) {
    const t = byType.get(i.instanceType) ?? { seconds: 0, usd: 0 };
    byType.set(i.instanceType, { seconds: t.seconds + i.billedSeconds, usd: t.usd + i.ec2Usd });
  }
  for (const [type, t] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    items.push({ category: 'ec2', name: `spot ${type}`, quantity: round6(t.seconds / 3600), unit: 'instance-hours', usd: t.usd });
  }
  if (instances.length > 0) {
    const gbHours = input.instances.reduce((s, i, k) => s + (i.volumeGb ?? prices.ebsVolumeGb) * ((instances[k]?.billedSeconds ?? 0) / 3600), 0);
    items.push({ category: 'ebs', name: 'gp3 volumes', quantity: round6(gbHours), unit: 'GB-hours', usd: instances.reduce((s, i) => s + i.ebsUsd, 0) });
  }
  items.push(...requestItems(input.counters, prices));
  const wallHours = Math.max(0, (input.endedAtMillis ?? nowMillis) - input.startedAtMillis) / 3_600_000;
  for (const [name, perHour] of Object.entries(prices.fixedPerHour).sort(([a], [b]) => a.localeCompare(b))) {
    items.push({ category: 'fixed', name, quantity: round6(wallHours), unit: 'hours', usd: perHour * wallHours });
  }
  const rounded = items.map((i) => ({ ...i, usd: round6(i.usd) }));
  const byCategory: Record<string, number> = {};
  for (const i of rounded) byCategory[i.category] = round6((byCategory[i.category] ?? 0) + i.usd);
  const vcpuHours = input.cpuSeconds / 3600;
  return {
    runId: input.runId,
    computedAt: new Date(nowMillis).toISOString(),
    currency: 'USD',
    totalUsd: round6(rounded.reduce((s, i) => s + i.usd, 0)),
    byCategory,
    items: rounded,
    instances,
    monthlyStorageUsd: round6((input.outputBytes / GB) * prices.s3StorageGbMonth),
    projected: { cpuSeconds: round6(input.cpuSeconds), vcpuHours: round6(vcpuHours), ec2SpotUsd: round6(vcpuHours * prices.spotPerVcpuHour) },
  };
}

/** S3 requests by class and bytes read, HTTPS requests and bytes, from the storage layer's `io.*` counters. */
function requestItems(counters: Readonly<Record<string, number>>, prices: PriceTable): LedgerItem[] {
  let classA = 0;
  let classB = 0;
  let httpRequests = 0;
  for (const [key, n] of Object.entries(counters)) {
    const m = /^io\.(s3|http)\.(.+)$/.exec(key);
    if (!m) continue;
    const [, protocol, what] = m as unknown as [string, string, string];
    if (protocol === 's3') {
      const cls = s3RequestClass(what);
      if (cls === 'A') classA += n;
      else if (cls === 'B') classB += n;
    } else if (s3RequestClass(what) !== null) httpRequests += n;
  }
  const items: LedgerItem[] = [];
  if (classA > 0) items.push({ category: 's3', name: 'requests class A (PUT, LIST, multipart)', quantity: classA, unit: 'requests', usd: (classA / 1000) * prices.s3ClassAPer1000 });
  if (classB > 0) items.push({ category: 's3', name: 'requests class B (GET, HEAD)', quantity: classB, unit: 'requests', usd: (classB / 1000) * prices.s3ClassBPer1000 });
  const s3Bytes = counters['io.s3.bytes_in'] ?? 0;
  if (s3Bytes > 0) items.push({ category: 's3', name: 'bytes read', quantity: round6(s3Bytes / GB), unit: 'GB', usd: (s3Bytes / GB) * prices.s3TransferPerGb });
  const httpBytes = counters['io.http.bytes_in'] ?? 0;
  if (httpRequests > 0 || httpBytes > 0) {
    items.push({ category: 'http', name: 'https requests and bytes', quantity: round6(httpBytes / GB), unit: 'GB',
      usd: (httpRequests / 1000) * prices.httpPer1000 + (httpBytes / GB) * prices.httpTransferPerGb });
  }
  return items;
}

/** A human-readable breakdown (the `cost` command). */
export function formatLedger(l: Ledger): string {
  const lines = [`run ${l.runId}: $${l.totalUsd.toFixed(4)} (as of ${l.computedAt})`];
  for (const i of l.items) lines.push(`  ${i.category.padEnd(5)} ${i.name.padEnd(42)} ${String(i.quantity).padStart(12)} ${i.unit.padEnd(14)} $${i.usd.toFixed(4)}`);
  if (l.instances.length > 0) lines.push(`  instances: ${l.instances.length} (${l.instances.filter((i) => !i.terminatedAt).length} running)`);
  lines.push(`  output storage: $${l.monthlyStorageUsd.toFixed(4)} per month (not in the total)`);
  lines.push(`  CPU: ${l.projected.cpuSeconds.toFixed(1)} s = ${l.projected.vcpuHours.toFixed(4)} vCPU-hours; on EC2 spot: $${l.projected.ec2SpotUsd.toFixed(4)}`);
  return lines.join('\n') + '\n';
}

const LEDGER_CATEGORIES: ReadonlySet<string> = new Set(['ec2', 'ebs', 's3', 'http', 'fixed']);

/**
 * A ledger read back (from Redis or cost.json) as this module writes it, or an error naming `where` and the first field
 * that is not: what another process or a person left there is not printed or summed unchecked.
 */
export function checkLedger(raw: unknown, where: string): Ledger & { status?: string; budgetUsd?: number | null } {
  const fail = (field: string): never => {
    throw new Error(`${where}: not a cost ledger this version wrote (${field}); remove it (a running or resumable run writes it again)`);
  };
  const rec = (v: unknown, field: string): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(field));
  const num = (v: unknown, field: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : fail(field));
  // No control characters: the text reaches the terminal through formatLedger.
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v.length <= 2_000 && !hasControlChars(v) ? v : fail(field));
  const list = (v: unknown, field: string): unknown[] => (Array.isArray(v) && v.length <= 100_000 ? v : fail(field));
  const l = rec(raw, 'not an object');
  str(l.runId, 'runId');
  str(l.computedAt, 'computedAt');
  num(l.totalUsd, 'totalUsd');
  num(l.monthlyStorageUsd, 'monthlyStorageUsd');
  list(l.items, 'items').forEach((x, i) => {
    const item = rec(x, `items[${i}]`);
    if (!LEDGER_CATEGORIES.has(str(item.category, `items[${i}].category`))) fail(`items[${i}].category`);
    str(item.name, `items[${i}].name`);
    str(item.unit, `items[${i}].unit`);
    num(item.quantity, `items[${i}].quantity`);
    num(item.usd, `items[${i}].usd`);
  });
  list(l.instances, 'instances').forEach((x, i) => {
    const inst = rec(x, `instances[${i}]`);
    for (const k of ['instanceId', 'instanceType', 'az', 'launchedAt']) str(inst[k], `instances[${i}].${k}`);
    if (inst.terminatedAt !== null) str(inst.terminatedAt, `instances[${i}].terminatedAt`);
    for (const k of ['billedSeconds', 'ec2Usd', 'ebsUsd']) num(inst[k], `instances[${i}].${k}`);
  });
  for (const [k, v] of Object.entries(rec(l.byCategory, 'byCategory'))) {
    if (!LEDGER_CATEGORIES.has(k)) fail(`byCategory.${k.slice(0, 40)}`);
    num(v, `byCategory.${k}`);
  }
  const p = rec(l.projected, 'projected');
  for (const k of ['cpuSeconds', 'vcpuHours', 'ec2SpotUsd']) num(p[k], `projected.${k}`);
  if (l.status !== undefined) str(l.status, 'status');
  if (l.budgetUsd !== undefined && l.budgetUsd !== null) num(l.budgetUsd, 'budgetUsd');
  return raw as Ledger & { status?: string; budgetUsd?: number | null };
}
