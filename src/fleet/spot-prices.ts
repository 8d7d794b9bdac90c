/** Spot prices from the EC2 API: the history of one instance type in one AZ, and the current price of types. */
import { DescribeSpotPriceHistoryCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { PricePoint } from '../cost/ledger.js';

/** Price points of `instanceType` in `az` over [from, to]; the first one is the price in effect at `from`. */
export async function spotHistory(client: EC2Client, instanceType: string, az: string, fromMillis: number, toMillis: number): Promise<PricePoint[]> {
  const points: PricePoint[] = [];
  let NextToken: string | undefined;
  do {
    const res = await client.send(new DescribeSpotPriceHistoryCommand({
      InstanceTypes: [instanceType as never], AvailabilityZone: az || undefined, ProductDescriptions: ['Linux/UNIX'],
      StartTime: new Date(fromMillis), EndTime: new Date(toMillis), NextToken,
    }));
    for (const p of res.SpotPriceHistory ?? []) {
      if (p.Timestamp && p.SpotPrice) points.push({ atMillis: p.Timestamp.getTime(), usdPerHour: Number(p.SpotPrice) });
    }
    NextToken = res.NextToken || undefined;
  } while (NextToken);
  return points.sort((a, b) => a.atMillis - b.atMillis);
}

/** The lowest current spot price of each type across the region's AZs. */
export async function currentSpotPrices(client: EC2Client, instanceTypes: readonly string[]): Promise<Record<string, number>> {
  const res = await client.send(new DescribeSpotPriceHistoryCommand({
    InstanceTypes: instanceTypes as never[], ProductDescriptions: ['Linux/UNIX'], StartTime: new Date(), EndTime: new Date(),
  }));
  const out: Record<string, number> = {};
  for (const p of res.SpotPriceHistory ?? []) {
    const t = String(p.InstanceType);
    const v = Number(p.SpotPrice);
    if (Number.isFinite(v) && (out[t] === undefined || v < out[t])) out[t] = v;
  }
  return out;
}

/** Caches histories per type/AZ and refreshes them at most every `maxAgeMillis`. */
export class SpotHistoryCache {
  private readonly cache = new Map<string, { at: number; points: PricePoint[] }>();
  constructor(private readonly client: EC2Client, private readonly maxAgeMillis = 300_000) {}

  async get(instanceType: string, az: string, fromMillis: number, toMillis: number): Promise<PricePoint[]> {
    const key = `${instanceType}/${az}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.maxAgeMillis && (hit.points[0]?.atMillis ?? Infinity) <= fromMillis) return hit.points;
    const points = await spotHistory(this.client, instanceType, az, fromMillis, toMillis);
    this.cache.set(key, { at: Date.now(), points });
    return points;
  }
}
