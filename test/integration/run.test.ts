/**
 * `wikireverse run` end to end against a real redis-server: generated WAT and WARC inputs with planted links,
 * 2 local worker processes, Parquet outputs read back with DuckDB and compared with the planted set exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli } from '../helpers/cli.js';
import { getDomain } from 'tldts';
import { readParquet } from '../helpers/parquet.js';
import { expectedArticles, keyOf, numbered, plant, readFileList, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('run');
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 3, pagesPerFile: 300, seed: 11, wikiLinkRate: 0.2, prefix: 'wat' },
    { kind: 'warc', files: 2, pagesPerFile: 200, seed: 12, wikiLinkRate: 0.2, prefix: 'warc' },
    { kind: 'wat', files: 1, pagesPerFile: 100, seed: 13, wikiLinkRate: 0.2, prefix: 'plainwat', gzip: false },
  ]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('run', () => {
  it('outputs exactly the planted links, sorted and partitioned, with a complete manifest', async () => {
    const out = path.join(work, 'out');
    const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'planted-1', '--partitions', '4']);
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/files 6\/6 \(failed 0\)/);

    const links = await readParquet(`${out}/planted-1/links/*.parquet`);
    expect(planted.expected.length).toBeGreaterThan(50);
    expect(links.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    for (const l of links) expect(typeof l.source_domain).toBe('string');

    const articles = await readParquet(`${out}/planted-1/articles/*.parquet`, 'lang, article');
    expect(numbered(articles))
      .toEqual(expectedArticles(planted.expected));

    // Per registrable domain, across partitions (the rollup): exactly what the planted rows give.
    const byDomain = new Map<string, { links: number; articles: Set<string>; pages: Set<string>; langs: Set<string> }>();
    for (const r of planted.expected) {
      const d = getDomain(r.source_host) ?? r.source_host;
      const e = byDomain.get(d) ?? { links: 0, articles: new Set(), pages: new Set(), langs: new Set() };
      e.links++;
      e.articles.add(`${r.lang}\t${r.article}`);
      e.pages.add(r.source_url);
      e.langs.add(r.lang);
      byDomain.set(d, e);
    }
    const domains = numbered(await readParquet(`${out}/planted-1/domains/*.parquet`, 'source_domain'));
    expect(byDomain.size).toBeGreaterThan(5);
    expect(domains).toEqual([...byDomain.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([d, e]) => ({ source_domain: d, links: e.links, articles: e.articles.size, pages: e.pages.size, languages: e.langs.size })));

    // Each part file is sorted by (lang, article) and a key lives in exactly one partition.
    const seen = new Map<string, string>();
    for (let p = 0; p < 4; p++) {
      const file = `${out}/planted-1/links/part-0000${p}.parquet`;
      const rows = await readParquet(file);
      const keys = rows.map((r) => `${String(r.lang)}\u0000${String(r.article)}`);
      expect(keys).toEqual([...keys].sort());
      for (const k of new Set(keys)) {
        expect(seen.get(k)).toBeUndefined();
        seen.set(k, file);
      }
    }

    const manifest = JSON.parse(await fsp.readFile(`${out}/planted-1/manifest.json`, 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.files).toEqual({ total: 6, done: 6, failed: 0, retried: 0, retriedDone: 0, workerSeconds: expect.any(Number) });
    const listed = await readFileList(out, 'planted-1');
    expect(listed).toHaveLength(6);
    expect(listed.every((f) => f.status === 'done')).toBe(true);
    expect((await fsp.stat(`${out}/planted-1/manifest.json`)).size).toBeLessThan(8192); // the per-file detail is in the list, not the manifest
    expect(manifest.summary.links).toBe(planted.expected.length);
    expect(manifest.summary.articles).toBe(expectedArticles(planted.expected).length);
    expect(manifest.counters.pages).toBe(300 * 3 + 200 * 2 + 100);
    const outputRows = manifest.outputs.filter((o: { output: string }) => o.output === 'links').reduce((s: number, o: { rows: number }) => s + o.rows, 0);
    expect(outputRows).toBe(planted.expected.length);
  });

  it('keeps the crawl per row: the same pages in two crawls are two rows each, counted once per crawl (issue 28, item 3)', async () => {
    // The planted files as two crawls hold them (Common Crawl's layout), and once more outside any crawl.
    const crawls = ['CC-MAIN-2024-22', 'CC-MAIN-2024-26'];
    const entries: string[] = [];
    for (const crawl of crawls) {
      const dir = path.join(work, 'crawls', 'crawl-data', crawl, 'segments', '1', 'wat');
      await fsp.mkdir(dir, { recursive: true });
      for (const f of planted.files.slice(0, 2)) {
        await fsp.copyFile(f, path.join(dir, path.basename(f)));
        entries.push(path.join(dir, path.basename(f)));
      }
    }
    entries.push(planted.files[0] as string);
    const listing = path.join(work, 'listing-crawls.txt');
    await fsp.writeFile(listing, entries.join('\n') + '\n');
    const out = path.join(work, 'out-crawls');
    const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'crawls-1', '--partitions', '3', '--no-progress']);
    expect(res.code, res.stderr).toBe(0);
    const base = planted.expected.filter((r) => planted.files.slice(0, 2).includes(r.input_file));
    const want = [
      ...crawls.flatMap((crawl) => base.map((r) => ({ ...r, crawl, input_file: r.input_file.replace(path.join(work, 'in'), path.join(work, 'crawls', 'crawl-data', crawl, 'segments', '1', 'wat')) }))),
      ...base.filter((r) => r.input_file === planted.files[0]).map((r) => ({ ...r, crawl: null })),
    ];
    expect(base.length).toBeGreaterThan(20);
    const links = await readParquet(`${out}/crawls-1/links/*.parquet`);
    expect(links).toHaveLength(want.length);
    expect(links.map(keyOf).sort()).toEqual(want.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    const articles = numbered(await readParquet(`${out}/crawls-1/articles/*.parquet`, 'lang, article'));
    expect(articles).toEqual(expectedArticles(want as never));
    expect(articles.some((a) => a.crawls === 2)).toBe(true);
    expect(articles.every((a) => a.crawls === 2)).toBe(true); // each planted article is in both crawls
  });

  it('starts and stops its own redis-server when --redis is not given', async () => {
    const out = path.join(work, 'out-embedded');
    const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '1', '--run-id', 'embedded-1', '--partitions', '2']);
    expect(res.code).toBe(0);
    const links = await readParquet(`${out}/embedded-1/links/*.parquet`);
    expect(links).toHaveLength(planted.expected.length);
  });

  it('writes 32 partitions per file without a warning in its log (one pipeline per partial, not one per partition)', async () => {
    const out = path.join(work, 'out-32');
    const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'parts-32', '--partitions', '32', '--no-progress']);
    expect(res.code).toBe(0);
    // The commit record is the partial's last gzip member: the object gunzips whole, its last line the record.
    const whole = zlib.gunzipSync(await fsp.readFile(`${out}/parts-32/partials/${(await readFileList(out, 'parts-32'))[0]!.fileId}.jsonl.gz`)).toString('utf8');
    const commit = JSON.parse(whole.trimEnd().split('\n').at(-1)!) as { parts: unknown[] };
    expect(commit.parts.length).toBeGreaterThan(10); // more than EventEmitter's default of 10 listeners
    expect(res.stderr).not.toMatch(/Warning/);
    const links = await readParquet(`${out}/parts-32/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
  });

  it('a listing naming files that are not there fails the pre-flight in --dry-run and run, before anything starts; --no-preflight starts anyway (issue 26, item 9)', async () => {
    const listing = path.join(work, 'listing-missing.txt');
    const gone = [path.join(work, 'gone-1.warc.wat.gz'), path.join(work, 'gone-2.warc.wat.gz')];
    await fsp.writeFile(listing, [...planted.files, ...gone, work].join('\n') + '\n');
    const out = path.join(work, 'out-preflight');
    for (const extra of [['--dry-run'], ['--workers', '1', '--redis', redis.url, '--run-id', 'pre-1']]) {
      const res = await runCli(['run', '--paths', listing, '--out', out, ...extra]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(`${listing}: 3 of ${planted.files.length + 3} inputs checked cannot be read: ${gone[0]}: no such file; ${gone[1]}: no such file; ${work}: not a file. ` +
        'Fix the listing, or add --no-preflight to start anyway (those files will fail)');
      expect(res.stdout).toBe('');
    }
    expect(fs.existsSync(out)).toBe(false); // nothing written
    const started = await runCli(['run', '--paths', listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'pre-2', '--no-preflight', '--attempts', '1', '--no-progress']);
    expect(started.code, started.stderr).toBe(1);
    expect(started.stdout).toContain(`failed: ${gone[0]}: Cannot read input ${gone[0]}: no such file`);
  });

  it('says how to install redis-server when it is missing', async () => {
    const res = await runCli(['run', '--paths', planted.listing, '--out', path.join(work, 'out-missing')], { WIKIREVERSE_REDIS_SERVER: 'redis-server-not-here' });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/apt-get install -y redis-server/);
    expect(res.stderr).toMatch(/--redis/);
  });
});
