/** The cost ledger as a pure function, against hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { billedSeconds, checkLedger, computeLedger, DEFAULT_PRICES, inputRequestsBilled, integratePrice, mergePrices, projectRun, s3RequestClass, type LedgerInput } from '../../src/cost/index.js';

const T0 = Date.parse('2025-05-01T10:00:00Z');
const H = 3_600_000;
const prices = mergePrices(DEFAULT_PRICES, { ebsGbMonth: 0.073, ebsVolumeGb: 10, fixedPerHour: {} });

function input(over: Partial<LedgerInput>): LedgerInput {
  return { runId: 'r1', nowMillis: T0 + 2 * H, startedAtMillis: T0, instances: [], spotHistory: {}, counters: {}, outputBytes: 0, cpuSeconds: 0, prices, ...over };
}

describe('cost ledger', () => {
  it('integrates a price change in the middle of an instance\'s life', () => {
    // 10:00-10:30 at $0.04/h (price set at 09:00), 10:30-11:30 at $0.10/h: 0.02 + 0.10 = $0.12.
    const history = [{ atMillis: T0 - H, usdPerHour: 0.04 }, { atMillis: T0 + H / 2, usdPerHour: 0.1 }];
    expect(integratePrice(history, T0, T0 + 1.5 * H, 99)).toBeCloseTo(0.12, 10);
    const l = computeLedger(input({
      instances: [{ instanceId: 'i-1', instanceType: 'm6i.large', az: 'us-east-1a', launchedAtMillis: T0, terminatedAtMillis: T0 + 1.5 * H }],
      spotHistory: { 'm6i.large/us-east-1a': history },
    }));
    expect(l.instances[0]?.billedSeconds).toBe(5400);
    expect(l.instances[0]?.ec2Usd).toBeCloseTo(0.12, 6);
    // EBS: 10 GB x $0.073/GB-month x 1.5 h / 730 h = $0.0015.
    expect(l.instances[0]?.ebsUsd).toBeCloseTo(0.0015, 6);
    expect(l.totalUsd).toBeCloseTo(0.1215, 6);
    expect(l.byCategory).toEqual({ ec2: 0.12, ebs: 0.0015 });
  });

  it('bills an instance shorter than 60 s for 60 s', () => {
    expect(billedSeconds(T0, T0 + 12_300)).toBe(60);
    expect(billedSeconds(T0, T0 + 60_001)).toBe(61);
    const l = computeLedger(input({
      instances: [{ instanceId: 'i-2', instanceType: 'c6i.large', az: 'us-east-1b', launchedAtMillis: T0, terminatedAtMillis: T0 + 12_300 }],
      spotHistory: { 'c6i.large/us-east-1b': [{ atMillis: T0 - H, usdPerHour: 0.36 }] },
    }));
    // 60 s at $0.36/h = $0.006.
    expect(l.instances[0]?.billedSeconds).toBe(60);
    expect(l.instances[0]?.ec2Usd).toBeCloseTo(0.006, 9);
  });

  it('bills an instance still running up to now, and falls back to the table without a history', () => {
    const l = computeLedger(input({
      nowMillis: T0 + 30 * 60_000,
      instances: [{ instanceId: 'i-3', instanceType: 'm5.large', az: 'us-east-1c', launchedAtMillis: T0, terminatedAtMillis: null }],
    }));
    // 30 min at the table's $0.036/h = $0.018.
    expect(l.instances[0]?.terminatedAt).toBeNull();
    expect(l.instances[0]?.billedSeconds).toBe(1800);
    expect(l.instances[0]?.ec2Usd).toBeCloseTo(0.018, 9);
  });

  it('prices S3 requests by class, with DELETE free and http inputs free', () => {
    expect(s3RequestClass('put')).toBe('A');
    expect(s3RequestClass('multipart_parts')).toBe('A');
    expect(s3RequestClass('get')).toBe('B');
    expect(s3RequestClass('delete')).toBe('free');
    const l = computeLedger(input({
      counters: {
        'io.s3.get': 100_000, 'io.s3.head': 20_000, 'io.s3.put': 3000, 'io.s3.list': 1000, 'io.s3.multipart_parts': 1000,
        'io.s3.delete': 500, 'io.s3.bytes_in': 5 * 1024 ** 3, 'io.s3.retries': 7, 'io.http.get': 999, 'io.http.bytes_in': 1024 ** 3, pages: 12,
      },
    }));
    const a = l.items.find((i) => i.name.startsWith('requests class A'));
    const b = l.items.find((i) => i.name.startsWith('requests class B'));
    // A: 5000 x $0.005/1000 = $0.025; B: 120000 x $0.0004/1000 = $0.048; in-region bytes and https: $0.
    expect(a).toMatchObject({ quantity: 5000, usd: 0.025 });
    expect(b).toMatchObject({ quantity: 120_000, usd: 0.048 });
    expect(l.items.find((i) => i.name === 'bytes read')).toMatchObject({ quantity: 5, usd: 0 });
    expect(l.totalUsd).toBeCloseTo(0.073, 9);
  });

  it('adds fixed hourly items for the run\'s wall time, storage per month, and projects CPU time onto spot', () => {
    const p = mergePrices(prices, { fixedPerHour: { 'redis-host': 0.05 }, spotPerVcpuHour: 0.02 });
    const l = computeLedger(input({ prices: p, endedAtMillis: T0 + 3 * H, nowMillis: T0 + 5 * H, outputBytes: 2 * 1024 ** 3, cpuSeconds: 7200 }));
    expect(l.items).toEqual([{ category: 'fixed', name: 'redis-host', quantity: 3, unit: 'hours', usd: 0.15 }]);
    expect(l.monthlyStorageUsd).toBeCloseTo(0.046, 9);
    expect(l.projected).toEqual({ cpuSeconds: 7200, vcpuHours: 2, ec2SpotUsd: 0.04 });
  });

  it('rejects unknown or negative prices in an override', () => {
    expect(() => mergePrices(DEFAULT_PRICES, { nope: 1 } as never)).toThrow(/Unknown price "nope"/);
    expect(() => mergePrices(DEFAULT_PRICES, { ebsGbMonth: -1 })).toThrow(/non-negative/);
  });

  it('projects a selection from a sample', () => {
    const p = projectRun({
      sample: { files: 1, seconds: 36, bytes: 100e6 }, filesTotal: 1000, instances: 10, instanceTypes: ['m6i.large', 'c6i.xlarge'],
      spotPerHour: { 'm6i.large': 0.04 }, prices: { ...DEFAULT_PRICES, fixedPerHour: { 'redis-host': 0.02, coordinator: 0.02 } },
      requestsPerFile: 13, inputRequestsBilled: true, partitions: 2, reduceTasks: 1, outputsPerPartition: 2, rollups: 1,
    });
    // m6i.large (API) $0.04/2 = $0.02 per vCPU-hour; c6i.xlarge (table) $0.064/4 = $0.016: the cheaper per vCPU wins.
    expect(p.instanceType).toBe('c6i.xlarge');
    // 1000 files x 36 s = 10 vCPU-hours = 2.5 instance-hours of 4 vCPUs; 40 slots -> 25 waves x 36 s = 15 min.
    expect(p.instanceHours).toBeCloseTo(2.5, 9);
    expect(p.wallHours).toBeCloseTo(0.25, 9);
    expect(p.ec2Usd).toBeCloseTo(0.16, 9);
    // Map: 13 GETs and 1 PUT per file; coordinator: 1 LIST, 1,000 commit reads; reduce: 1,000 ranged GETs + the list,
    // 2 partitions x (2 outputs + a commit) + the list; the rollup (1 bucket): 2 partition records + 2 shuffled files +
    // its own record read, 2 shuffled files written, its output and its record.
    expect(p.requests).toEqual({ inputGets: 13_000, mapPuts: 1000, coordinatorLists: 1, coordinatorGets: 1000, reduceGets: 1001 + 5, reducePuts: 7 + 4 });
    const classA = 1000 + 1 + 11;
    const classB = 13_000 + 1000 + 1006;
    expect(p.s3Usd).toBeCloseTo((classA / 1000) * DEFAULT_PRICES.s3ClassAPer1000 + (classB / 1000) * DEFAULT_PRICES.s3ClassBPer1000, 9);
    expect(p.fixedUsd).toBeCloseTo(0.04 * 0.25, 9);
    expect(p.totalUsd).toBeCloseTo(p.ec2Usd + p.ebsUsd + p.s3Usd + p.fixedUsd, 9);
    expect(p.bound).toBe('cpu'); // 9 s of CPU per file and instance against 0.51 s for 100 MB at 1.562 Gbit/s
  });

  it('is bound by the network when an instance cannot read its files as fast as its cores process them (issue 25)', () => {
    // 300 MB WAT files at 2 CPU-s each on c7g.large (2 vCPUs, 0.937 Gbit/s baseline): 1 s of CPU, 2.56 s of network per file.
    const input = {
      sample: { files: 1, seconds: 2, bytes: 300e6 }, filesTotal: 1000, instances: 10, instanceTypes: ['c7g.large'], spotPerHour: {}, prices: DEFAULT_PRICES,
      requestsPerFile: 1, inputRequestsBilled: false, partitions: 1, reduceTasks: 1, outputsPerPartition: 2, rollups: 0,
    };
    const p = projectRun(input);
    const network = (300e6 * 8) / 0.937e9;
    expect(p.bound).toBe('network');
    expect(p.networkGbps).toBe(0.937);
    expect(p.instanceSecondsPerFile).toEqual({ cpu: 1, network });
    expect(p.wallHours).toBeCloseTo((100 * network) / 3600, 9); // 100 files per instance, one after the other on its network
    expect(p.instanceHours).toBeCloseTo((1000 * network) / 3600, 9);
    expect(p.ec2Usd).toBeCloseTo(p.instanceHours * 0.029, 9);
    // The same run bound by CPU only would be 2.56x shorter: what a projection without the bandwidth term said.
    expect(p.wallHours / ((Math.ceil(1000 / 20) * 2) / 3600)).toBeCloseTo(network / 1, 6);
    // Common Crawl's GETs are its owner's: only the run's own requests are priced; another bucket's are the reader's.
    expect(p.requests.inputGets).toBe(1000);
    const billed = projectRun({ ...input, inputRequestsBilled: true });
    expect(billed.s3Usd - p.s3Usd).toBeCloseTo((1000 / 1000) * DEFAULT_PRICES.s3ClassBPer1000, 12);
    expect(inputRequestsBilled('s3://commoncrawl/crawl-data/CC-MAIN-2024-51/x.warc.wat.gz')).toBe(false);
    expect(inputRequestsBilled('https://data.commoncrawl.org/crawl-data/x.warc.wat.gz')).toBe(false);
    expect(inputRequestsBilled('/data/x.warc.wat.gz')).toBe(false);
    expect(inputRequestsBilled('s3://my-bucket/x.warc.wat.gz')).toBe(true);
  });
});

describe('the projection over candidate types (issue 25)', () => {
  const base = {
    sample: { files: 1, seconds: 4, bytes: 100e6 }, filesTotal: 1000, instances: 10, spotPerHour: {}, prices: DEFAULT_PRICES,
    requestsPerFile: 1, inputRequestsBilled: false, partitions: 1, reduceTasks: 1, outputsPerPartition: 2, rollups: 0,
  };

  it('takes the launchable type with the lowest cost per file, each candidate with its bound', () => {
    // 300 MB files at 4 s per 100 MB: 12 CPU-s a file. c6i.large: 6 s CPU vs 3.07 s network; c7g.large: 6 s vs 2.56 s.
    const types = ['c6i.large', 'c7g.large', 'c6in.large'];
    const p = projectRun({ ...base, bytesPerFile: 300e6, instanceTypes: types, launchableArchs: ['x86_64'] });
    expect(p.secondsPerFile).toBeCloseTo(12, 9);
    const byType = Object.fromEntries(p.candidates.map((c) => [c.instanceType, c]));
    expect(byType['c6i.large']).toMatchObject({ arch: 'x86_64', vcpus: 2, bound: 'cpu', launchable: true });
    expect(byType['c6i.large']?.instanceSecondsPerFile.cpu).toBeCloseTo(6, 9);
    expect(byType['c6i.large']?.usdPerFile).toBeCloseTo((6 * 0.032) / 3600, 12);
    expect(byType['c7g.large']).toMatchObject({ arch: 'arm64', vcpus: 2, bound: 'cpu', launchable: false });
    // Cheapest per file first: c7g.large (6 s x $0.029) < c6i.large (6 s x $0.032) < c6in.large (6 s x $0.041).
    expect(p.candidates.map((c) => c.instanceType)).toEqual(['c7g.large', 'c6i.large', 'c6in.large']);
    // The image is x86_64 only: the arm64 type is listed, the cheapest x86_64 one projected.
    expect(p.instanceType).toBe('c6i.large');
    expect(p.bytesTotal).toBe(300e9);
    expect(p.instanceHours).toBeCloseTo((1000 * 6) / 3600, 9);
    const arm = projectRun({ ...base, bytesPerFile: 300e6, instanceTypes: types });
    expect(arm.instanceType).toBe('c7g.large');
    expect(arm.ec2Usd).toBeCloseTo(((1000 * 6) / 3600) * 0.029, 9);
  });

  it('is network-bound where the bandwidth is the smaller rate, and takes the assumed core speed of an architecture', () => {
    // 1 CPU-s per 100 MB: on m6i.large 0.5 s CPU against 1.02 s network; a network-optimised type is cheaper per file.
    const fast = { ...base, sample: { files: 1, seconds: 1, bytes: 100e6 } };
    const p = projectRun({ ...fast, instanceTypes: ['m6i.large', 'c6in.large'] });
    const m6i = p.candidates.find((c) => c.instanceType === 'm6i.large');
    expect(m6i?.bound).toBe('network');
    expect(m6i?.instanceSecondsPerFile.network).toBeCloseTo((100e6 * 8) / 0.781e9, 9);
    expect(p.instanceType).toBe('c6in.large');
    expect(p.bound).toBe('cpu');
    // A Graviton vCPU assumed twice the sampled one's speed halves its CPU seconds (and the projection says so).
    const prices = mergePrices(DEFAULT_PRICES, { coreSpeed: { arm64: 2 } });
    const g = projectRun({ ...base, prices, instanceTypes: ['c7g.large'] });
    expect(g).toMatchObject({ arch: 'arm64', coreSpeed: 2 });
    expect(g.instanceSecondsPerFile.cpu).toBeCloseTo(4 / (2 * 2), 9);
    expect(g.wallHours).toBeCloseTo((Math.ceil(1000 / 20) * 2) / 3600, 9);
  });
});

describe('a ledger read back', () => {
  const written = (): Record<string, unknown> => JSON.parse(JSON.stringify({
    ...computeLedger(input({
      instances: [{ instanceId: 'i-1', instanceType: 'm6i.large', az: 'us-east-1a', launchedAtMillis: T0, terminatedAtMillis: null }],
      counters: { 'io.s3.put': 10, 'io.s3.get': 20 }, cpuSeconds: 30,
    })),
    status: 'running', budgetUsd: null,
  })) as Record<string, unknown>;

  it('is taken as written', () => {
    const l = written();
    expect(checkLedger(l, 'here')).toEqual(l);
  });

  it('is refused, naming where and the field, when anything is not as written', () => {
    const cases: Array<[string, (l: Record<string, unknown>) => unknown]> = [
      ['not an object', () => [1, 2]],
      ['totalUsd', (l) => ({ ...l, totalUsd: '1e9' })],
      ['items', (l) => ({ ...l, items: null })],
      ['items[0].usd', (l) => ({ ...l, items: [{ ...(l.items as object[])[0], usd: null }] })],
      ['items[0].category', (l) => ({ ...l, items: [{ ...(l.items as object[])[0], category: 'bribes' }] })],
      ['items[0].name', (l) => ({ ...l, items: [{ ...(l.items as object[])[0], name: 'x\u001b[2J' }] })],
      ['instances[0].terminatedAt', (l) => ({ ...l, instances: [{ ...(l.instances as object[])[0], terminatedAt: 5 }] })],
      ['projected', (l) => ({ ...l, projected: undefined })],
      ['byCategory.ec2', (l) => ({ ...l, byCategory: { ec2: 'lots' } })],
      ['items[0].name', (l) => ({ ...l, items: [{ ...(l.items as object[])[0], name: 'x\u009b2J' }] })],
      ['status', (l) => ({ ...l, status: 'x'.repeat(3000) })],
    ];
    for (const [field, spoil] of cases) {
      expect(() => checkLedger(spoil(written()), 'Redis k'), field).toThrow(`Redis k: not a cost ledger this version wrote (${field})`);
    }
  });
});
