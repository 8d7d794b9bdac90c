/**
 * S3 end to end against a real S3 protocol server on loopback (s3rver in a child process), through @aws-sdk/client-s3:
 * a run that writes to `--out s3://...` (outputs downloaded and read back with DuckDB), a run whose inputs are
 * s3:// objects, multipart uploads and paged listings of the S3 store, and secrets that never leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { S3Store, footerMember, readCommit } from '../../src/storage/index.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { expectedArticles, keyOf, numbered, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { S3_ACCESS_KEY, startS3, type TestS3 } from '../helpers/s3.js';
import { testIoSession } from '../helpers/storage.js';
import { LatencyProxy } from '../../src/bench/latency-proxy.js';

let redis: EmbeddedRedis;
let s3: TestS3;
let work: string;
let planted: PlantedSet;

beforeAll(async () => {
  work = await tempDir('s3');
  [redis, s3] = await Promise.all([startRedisServer(), startS3(path.join(work, 's3rver'), ['out', 'in'])]);
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 2, pagesPerFile: 200, seed: 21, wikiLinkRate: 0.2, prefix: 'wat' },
    { kind: 'warc', files: 1, pagesPerFile: 150, seed: 22, wikiLinkRate: 0.2, prefix: 'warc' },
  ]);
  for (const f of planted.files) await s3.put('in', `data/${path.basename(f)}`, await fsp.readFile(f));
  await s3.put('in', 'data/listing.txt', planted.files.map((f) => path.basename(f)).join('\n') + '\n');
});

afterAll(async () => {
  await Promise.all([redis?.stop(), s3?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const keys = (rows: Array<Record<string, unknown>>): string[] => rows.map(keyOf).sort();

describe('S3', () => {
  it('run --out s3://bucket/prefix writes partials, Parquet outputs and the manifest to S3', async () => {
    const res = await runCli(
      ['run', '--paths', planted.listing, '--out', 's3://out/results/v1', '--s3-endpoint', s3.endpoint, '--workers', '2', '--redis', redis.url, '--run-id', 's3-out-1', '--partitions', '2'],
      s3.env,
    );
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('outputs: s3://out/results/v1/s3-out-1/');

    const objects = await s3.list('out', 'results/v1/s3-out-1/');
    expect(objects).toContain('results/v1/s3-out-1/manifest.json');
    expect(objects.filter((k) => /\/links\/part-\d+\.parquet$/.test(k))).toHaveLength(2);
    expect(objects.filter((k) => /\/articles\/part-\d+\.parquet$/.test(k))).toHaveLength(2);
    // Per input file: one object with all its partitions and its commit record (never one object per partition).
    const partials = objects.filter((k) => k.includes('/partials/'));
    expect(partials.filter((k) => k.endsWith('.jsonl.gz'))).toHaveLength(3);
    expect(partials).toHaveLength(3);
    // Reduce tasks commit each partition, from the committed files' list.
    expect(objects.filter((k) => /\/reduce\/part-\d+\.commit\.json$/.test(k))).toHaveLength(2);
    expect(objects).toContain('results/v1/s3-out-1/reduce/inputs.jsonl');

    const local = path.join(work, 'download');
    await s3.download('out', 'results/v1/s3-out-1/', local);
    const dir = path.join(local, 'results/v1/s3-out-1');
    expect(keys(await readParquet(`${dir}/links/*.parquet`))).toEqual(keys(planted.expected as unknown as Array<Record<string, unknown>>));
    const articles = await readParquet(`${dir}/articles/*.parquet`, 'lang, article');
    expect(numbered(articles))
      .toEqual(expectedArticles(planted.expected));

    const manifest = JSON.parse(await fsp.readFile(`${dir}/manifest.json`, 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.options.out).toBe('s3://out/results/v1');
    expect(manifest.options.s3Endpoint).toBe(s3.endpoint); // as given: a URL without secrets is recorded unchanged
    const c = manifest.counters as Record<string, number>;
    // Workers: one PUT per file with rows and its commit record; reduce tasks: 4 Parquet uploads and 2 partition commits,
    // a GET of the list and a ranged GET per file with rows; coordinator: the lists, manifests, commit reads.
    const withRows = partials.filter((k) => k.endsWith('.jsonl.gz')).length;
    expect(c['io.s3.put']).toBeGreaterThanOrEqual(withRows + 3 + 4 + 2 + 1 + 2);
    expect(c['io.s3.get']).toBeGreaterThanOrEqual(3 + 1 + withRows);
    // The reduce task's own requests are in its partitions' commit records, in the manifest and in the cost ledger.
    const reduceCounters: Record<string, number> = {};
    for (const p of [0, 1]) {
      const r = JSON.parse(await fsp.readFile(`${dir}/reduce/part-0000${p}.commit.json`, 'utf8')) as { counters: Record<string, number> };
      for (const [k, v] of Object.entries(r.counters)) reduceCounters[k] = (reduceCounters[k] ?? 0) + v;
    }
    expect(reduceCounters['io.s3.get']).toBeGreaterThanOrEqual(1 + withRows); // the inputs list + one ranged GET per file
    // 4 Parquet files, 2 commit records (each counts its own PUT) and each partition's rows of the domains rollup (one bucket).
    expect(reduceCounters['io.s3.put']).toBe(4 + 2 + 2);
    expect(c['io.s3.get']).toBeGreaterThanOrEqual((reduceCounters['io.s3.get'] ?? 0) + 3); // + the coordinator's commit record reads
    // The run's totals in Redis (what the cost ledger reads) count every PUT under partials/, commit records included.
    const { connect, readRunUsage } = await import('../../src/redis/index.js');
    const conn = connect(redis.url, 'test-usage');
    const usage = await readRunUsage(conn, 's3-out-1');
    conn.disconnect();
    expect(usage.counters['io.s3.put']).toBeGreaterThanOrEqual(partials.length + 4 + 2);
    const cost = JSON.parse(await fsp.readFile(`${dir}/cost.json`, 'utf8')) as { items: Array<{ name: string; quantity: number }> };
    const classB = cost.items.find((i) => i.name.startsWith('requests class B'));
    // The ledger prices every GET of the workers and reduce tasks; of the coordinator's, those before the run's end (the
    // final ledger is computed before report.html reads the run back, and the manifest counts those reads too).
    const coordinatorGets = (manifest.coordinatorIo as Record<string, number> | undefined)?.['io.s3.get'] ?? 0;
    expect(classB?.quantity).toBeGreaterThanOrEqual((c['io.s3.get'] ?? Infinity) - coordinatorGets);
    expect(classB?.quantity).toBeLessThanOrEqual(c['io.s3.get'] ?? 0);
    expect(c['io.s3.bytes_out']).toBeGreaterThan(0);
    expect(c['io.s3.bytes_in']).toBeGreaterThan(0);
    console.log('s3 out counters:', JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('io.')))));
  });

  it("the workers' request counters equal the requests S3 received for partials, commit records and outputs", async () => {
    // Every request passes through a recording proxy: what the run says it did is compared with what the server saw.
    const proxy = new LatencyProxy(s3.port, 0, true);
    const endpoint = await proxy.start();
    try {
      const res = await runCli(
        ['run', '--paths', planted.listing, '--out', 's3://out/counted', '--s3-endpoint', endpoint, '--workers', '2', '--redis', redis.url, '--run-id', 'counted-1', '--partitions', '3'],
        // cost.json rewritten every 100 ms: many coordinator-side writes, which must be counted too.
        { ...s3.env, WIKIREVERSE_COST_INTERVAL_MS: '100' },
      );
      expect(res.code, res.stderr).toBe(0);
      const manifest = JSON.parse((await s3.get('out', 'counted/counted-1/manifest.json')).toString('utf8')) as {
        counters: Record<string, number>; coordinatorIo?: Record<string, number>;
      };
      const workerPuts = (manifest.counters['io.s3.put'] ?? 0) - (manifest.coordinatorIo?.['io.s3.put'] ?? 0);
      const WORKER_PUT = /^PUT \/out\/counted\/counted-1\/(partials\/|reduce\/part-|links\/|articles\/|shuffle\/|domains\/)/;
      const seenPuts = proxy.seen.filter((r) => WORKER_PUT.test(r));
      // 3 files: one PUT each (the partial, its commit record inside); 3 partitions: 6 Parquet files and 3 commit records.
      expect(seenPuts.filter((r) => r.includes('/partials/')), proxy.seen.join('\n')).toHaveLength(3);
      expect(seenPuts.filter((r) => r.includes('.commit.json')), proxy.seen.join('\n')).toHaveLength(3);
      expect(workerPuts).toBe(seenPuts.length);
      // The coordinator's own PUTs (file list, manifests, cost.json, timeline, the reduce inputs, and the observers' last
      // writes: the final cost.json, timeline.json and report.html), every one: exactly what the server saw of them. The
      // manifest is the last object written, and it counts its own PUT.
      const seen = proxy.seen.map((r) => r.replace(/\?.*$/, ''));
      const coordinatorSeen = seen.filter((r) => r.startsWith('PUT /out/counted/counted-1/') && !WORKER_PUT.test(r));
      expect(coordinatorSeen.at(-1)).toBe('PUT /out/counted/counted-1/manifest.json');
      expect(coordinatorSeen.slice(-4, -1).sort()).toEqual(['cost.json', 'report.html', 'timeline.json'].map((f) => `PUT /out/counted/counted-1/${f}`));
      expect(coordinatorSeen.filter((r) => r.endsWith('/cost.json')).length, proxy.seen.join('\n')).toBeGreaterThan(1);
      expect(manifest.coordinatorIo?.['io.s3.put']).toBe(coordinatorSeen.length);
      expect(manifest.counters['io.s3.multipart_parts'] ?? 0).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('run --paths s3://... reads its listing and inputs from S3 (endpoint from WIKIREVERSE_S3_ENDPOINT)', async () => {
    const out = path.join(work, 'out-s3-in');
    const res = await runCli(
      ['run', '--paths', 's3://in/data/listing.txt', '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 's3-in-1', '--partitions', '2'],
      { ...s3.env, WIKIREVERSE_S3_ENDPOINT: s3.endpoint },
    );
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);
    const want = planted.expected.map((r) => ({ ...r, input_file: `s3://in/data/${path.basename(r.input_file)}` }));
    expect(keys(await readParquet(`${out}/s3-in-1/links/*.parquet`))).toEqual(keys(want as unknown as Array<Record<string, unknown>>));
    const manifest = JSON.parse(await fsp.readFile(`${out}/s3-in-1/manifest.json`, 'utf8'));
    const c = manifest.counters as Record<string, number>;
    let total = 0;
    for (const f of planted.files) total += (await fsp.stat(f)).size;
    // 3 inputs, the listing, and the pre-flight's one-byte probe of each input (up to 5 are probed).
    expect(c['io.s3.get']).toBe(3 + 1 + 3);
    expect(c['io.s3.bytes_in']).toBe(total + Buffer.byteLength(planted.files.map((f) => path.basename(f)).join('\n') + '\n') + 3);
  });

  it('never prints, logs or records secrets (AWS_SECRET_ACCESS_KEY, credentials in the endpoint URL)', async () => {
    const envSecret = 'envSecretValue-7f3a9c';
    const urlSecret = 'urlSecretValue-b81e44';
    const endpoint = `http://${S3_ACCESS_KEY}:${urlSecret}@127.0.0.1:${s3.port}`;
    await s3.put('in', 'data/listing-with-missing.txt', ['wat-00000.warc.wat.gz', 'missing-00000.warc.wat.gz'].join('\n'));
    // The pre-flight probes the listed objects first: the missing one stops the run before it starts (issue 26, item 9).
    const refused = await runCli(['run', '--paths', 's3://in/data/listing-with-missing.txt', '--out', 's3://out/secret-test', '--s3-endpoint', endpoint, '--dry-run'],
      { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY', AWS_SECRET_ACCESS_KEY: envSecret });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/^error: s3:\/\/in\/data\/listing-with-missing\.txt: 1 of 2 inputs checked cannot be read: s3:\/\/in\/data\/missing-00000\.warc\.wat\.gz: .*NoSuchKey.*add --no-preflight/m);
    expect(refused.stderr + refused.stdout).not.toContain(urlSecret);
    const res = await runCli(
      ['run', '--paths', 's3://in/data/listing-with-missing.txt', '--out', 's3://out/secret-test', '--s3-endpoint', endpoint, '--workers', '1', '--redis', redis.url,
        '--run-id', 'secret-1', '--partitions', '1', '--attempts', '1', '--log-level', 'debug', '--no-preflight'],
      { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY', AWS_SECRET_ACCESS_KEY: envSecret, WIKIREVERSE_IO_ATTEMPTS: '2', WIKIREVERSE_IO_BACKOFF_MS: '10' },
    );
    expect(res.code).toBe(1); // the missing input failed; the rest succeeded
    expect(res.stdout).toMatch(/failed: s3:\/\/in\/data\/missing-00000\.warc\.wat\.gz: .*NoSuchKey/);
    const everything = [res.stdout, res.stderr];
    for (const key of await s3.list('out', 'secret-test/')) everything.push((await s3.get('out', key)).toString('latin1'));
    for (const text of everything) {
      expect(text).not.toContain(envSecret);
      expect(text).not.toContain(urlSecret);
    }
    const manifest = JSON.parse((await s3.get('out', 'secret-test/secret-1/manifest.json')).toString('utf8'));
    expect(manifest.options.s3Endpoint).toBe(`http://***@127.0.0.1:${s3.port}`);
  });

  it('uploads large objects in parts, pages through long listings, removes prefixes', async () => {
    const io = testIoSession({ s3Endpoint: `http://${S3_ACCESS_KEY}:x@127.0.0.1:${s3.port}` });
    try {
      const store = new S3Store('s3://out/store-test', io, { listPageSize: 100 });
      const big = Buffer.alloc(19 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
      const w = await store.openWrite('big/object.bin');
      for (let i = 0; i < big.length; i += 1 << 20) w.stream.write(big.subarray(i, i + (1 << 20)));
      await w.commit();
      expect(io.counters.get('s3', 'multipart_parts')).toBe(3);
      expect(io.counters.get('s3', 'multipart_complete')).toBe(1);
      expect((await store.get('big/object.bin'))?.equals(big)).toBe(true);
      expect(await store.get('big/absent')).toBeNull();

      const n = 250; // three ListObjectsV2 pages of 100: truncated answers and continuation tokens
      await Promise.all(Array.from({ length: n }, (_, i) => store.put(`many/${String(i).padStart(5, '0')}`, 'x')));
      const listed = await store.list('many');
      expect(listed).toHaveLength(n);
      expect(listed[0]).toBe('many/00000');
      expect(io.counters.get('s3', 'list')).toBe(3);
      await store.removePrefix('many');
      expect(await store.list('many')).toEqual([]);

      // A partial's commit record read from its tail (issue 25): s3rver takes `bytes=-N` for the first N bytes, so
      // past 64 kB the store reads the tail again by its offset; a small object's tail is the whole object.
      const record = JSON.stringify({ fileId: 'f1', pad: 'x'.repeat(70_000) });
      for (const rows of [Buffer.alloc(10, 1), big.subarray(0, 300_000)]) {
        await store.put('partials/f1.jsonl.gz', Buffer.concat([rows, footerMember(record)]));
        expect(await readCommit(store, 'partials/f1.jsonl.gz')).toEqual({ record, rowsEnd: rows.length });
      }
      const tail = await store.readTail('big/object.bin', 1000);
      expect(tail?.size).toBe(big.length);
      expect(tail?.bytes.equals(big.subarray(big.length - 1000))).toBe(true);
      expect(await store.readTail('big/absent', 1000)).toBeNull();
      await store.remove('big/object.bin');
      expect(await store.get('big/object.bin')).toBeNull();
    } finally {
      io.close();
    }
  });
});
