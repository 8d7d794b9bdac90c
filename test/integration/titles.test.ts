/**
 * `run --titles DIR` end to end (issue 28): dump files in the published format (src/fixtures/dumps.ts) with tricky rows
 * (escaped quotes, multi-byte titles, double redirects, loops, redirects to another namespace, with a fragment, out
 * to an interwiki, to nothing, a chain longer than the hops followed, an edition with sitelinks but no page dump), a
 * WARC of pages linking each of them plus a bundled real sample, a real redis-server and a worker process. Every
 * link's canonical_article and wikidata_id must be exactly as planted; a malformed dump fails the run before any map
 * work, naming the file and the byte offset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { dumpSql, pageRows, writeDumps, type DumpSet } from '../../src/fixtures/dumps.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { numbered, tempDir } from '../helpers/fixtures.js';

const DUMPS: DumpSet = {
  date: '20241201',
  wikis: {
    enwiki: {
      pages: [
        { id: 1, ns: 0, title: 'United_States' },
        { id: 2, ns: 0, title: 'USA', redirect: true },
        { id: 3, ns: 0, title: 'US_of_A', redirect: true },
        { id: 4, ns: 0, title: 'Loop_A', redirect: true },
        { id: 5, ns: 0, title: 'Loop_B', redirect: true },
        { id: 6, ns: 0, title: 'To_category', redirect: true },
        { id: 7, ns: 0, title: "O'Brien" },
        { id: 8, ns: 0, title: 'History_of_X', redirect: true },
        { id: 9, ns: 0, title: 'X' },
        { id: 10, ns: 0, title: 'Broken', redirect: true },
        { id: 11, ns: 0, title: 'Interwiki_redirect', redirect: true },
        { id: 12, ns: 1, title: 'USA' }, // Talk:USA: not an article
        { id: 13, ns: 0, title: 'Redirect_no_row', redirect: true },
        { id: 14, ns: 0, title: 'Strongly_connected_component' },
        { id: 15, ns: 0, title: 'Public_Suffix_List', redirect: true },
        { id: 16, ns: 0, title: 'Public_suffix_list' },
        ...[1, 2, 3, 4, 5].map((n) => ({ id: 20 + n, ns: 0, title: `Chain_${n}`, redirect: true })),
        { id: 26, ns: 0, title: 'Chain_6' },
        { id: 99, ns: 0, title: 'United_States' }, // a tampered dump repeats a title: it must not join a link twice
      ],
      redirects: [
        { from: 2, ns: 0, title: 'United_States' },
        { from: 3, ns: 0, title: 'USA' },
        { from: 4, ns: 0, title: 'Loop_B' },
        { from: 5, ns: 0, title: 'Loop_A' },
        { from: 6, ns: 14, title: 'Things' },
        { from: 8, ns: 0, title: 'X', fragment: 'Early_history' },
        { from: 10, ns: 0, title: 'Nowhere' },
        { from: 11, ns: 0, title: 'Foo', interwiki: 'wikt' },
        { from: 15, ns: 0, title: 'Public_suffix_list' },
        ...[1, 2, 3, 4, 5].map((n) => ({ from: 20 + n, ns: 0, title: `Chain_${n + 1}` })),
      ],
    },
    dewiki: {
      pages: [{ id: 1, ns: 0, title: 'Vereinigte_Staaten' }, { id: 2, ns: 0, title: 'Zürich' }, { id: 3, ns: 0, title: 'Strasse', redirect: true }, { id: 4, ns: 0, title: 'Straße' }],
      redirects: [{ from: 3, ns: 0, title: 'Straße' }],
    },
  },
  sitelinks: [
    { item: 30, site: 'enwiki', page: 'United States' },
    { item: 30, site: 'dewiki', page: 'Vereinigte Staaten' },
    { item: 30, site: 'jawiki', page: 'アメリカ合衆国' },
    { item: 999, site: 'enwiki', page: "O'Brien" },
    { item: 42, site: 'enwiki', page: 'X' },
    { item: 72, site: 'dewiki', page: 'Zürich' },
    { item: 34442, site: 'dewiki', page: 'Straße' },
    { item: 1137726, site: 'enwiki', page: 'Strongly connected component' },
    { item: 1341, site: 'enwiki', page: 'Public suffix list' },
    { item: 5, site: 'commonswiki', page: 'USA' }, // not an edition
    { item: 43, site: 'enwiki', page: 'X' }, // a second item for a sitelink (tampered): the first id is kept
  ],
};

/** Every (lang, article as linked) of the inputs, and what the dumps make of it: [canonical_article, wikidata_id]. */
const PLANTED: Record<string, [string | null, string | null]> = {
  'en\tUSA': ['United_States', 'Q30'],
  'en\tUS_of_A': ['United_States', 'Q30'], // a double redirect
  'en\tUnited_States': ['United_States', 'Q30'],
  'en\tLoop_A': [null, null], // a loop
  'en\tTo_category': [null, null], // out of the articles (Category:Things)
  "en\tO'Brien": ["O'Brien", 'Q999'],
  'en\tHistory_of_X': ['X', 'Q42'], // the fragment dropped
  'en\tBroken': [null, null], // to a page that does not exist
  'en\tInterwiki_redirect': [null, null],
  'en\tRedirect_no_row': [null, null],
  'en\tChain_1': [null, null], // 5 redirects: more than the 4 followed
  'en\tChain_2': ['Chain_6', null], // 4 redirects, no item
  'en\tNot_in_the_dump': [null, null],
  'de\tStrasse': ['Straße', 'Q34442'],
  'de\tZürich': ['Zürich', 'Q72'],
  'de\tVereinigte_Staaten': ['Vereinigte_Staaten', 'Q30'],
  'ja\tアメリカ合衆国': [null, 'Q30'], // sitelinks but no page dump: the item of the title as linked
  'fr\tParis': [null, null], // no dumps at all
  // The bundled sample (wget-2024-commoncrawl-blog.warc.gz) links these three.
  'en\tStrongly_connected_component': ['Strongly_connected_component', 'Q1137726'],
  'en\tPublic_Suffix_List': ['Public_suffix_list', 'Q1341'],
  'en\tReverse_domain_name_notation': [null, null],
};

function response(url: string, html: string): Buffer {
  const http = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`);
  const head = `WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: ${url}\r\nWARC-Date: 2024-06-01T12:00:00Z\r\nWARC-Record-ID: <urn:uuid:${url.length}-${html.length}>\r\n` +
    `Content-Type: application/http; msgtype=response\r\nContent-Length: ${http.length}\r\n\r\n`;
  return gzipSync(Buffer.concat([Buffer.from(head), http, Buffer.from('\r\n\r\n')]));
}

const wiki = (key: string): string => {
  const [lang, title] = key.split('\t') as [string, string];
  return `https://${lang}.wikipedia.org/wiki/${encodeURIComponent(title).replace(/%2F/g, '/')}`;
};

let redis: EmbeddedRedis;
let work: string;
let listing: string;
let dumps: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('titles');
  dumps = path.join(work, 'dumps');
  await writeDumps(dumps, DUMPS);
  const mine = Object.keys(PLANTED).filter((k) => !/Strongly|Public_Suffix|Reverse_domain/.test(k));
  const input = path.join(work, 'pages.warc.gz');
  await fsp.writeFile(input, Buffer.concat([
    response('https://www.example.org/a', `<html><head><title>A</title></head><body>${mine.map((k) => `<a href="${wiki(k)}">${k}</a>`).join(' ')}</body></html>`),
    response('https://blog.example.net/b', `<html><body><a href="${wiki('en\tUSA')}">USA</a> <a href="${wiki('en\tUnited_States')}">US</a></body></html>`),
  ]));
  listing = path.join(work, 'listing.txt');
  await fsp.writeFile(listing, `${input}\n${path.resolve('test/fixtures/samples/wget-2024-commoncrawl-blog.warc.gz')}\n`);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('run --titles', () => {
  it('gives every link its canonical article and Wikidata item exactly as the dumps say, the articles table too', async () => {
    const out = path.join(work, 'out');
    const res = await runCli(['run', '--paths', listing, '--titles', dumps, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'titles-1', '--partitions', '3', '--no-progress']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/titles lookup built: \d+ rows from 5 dump files/);
    const links = await readParquet(`${out}/titles-1/links/*.parquet`);
    expect(Object.keys(links[0] ?? {})).toEqual(['lang', 'article', 'canonical_article', 'wikidata_id', 'source_url', 'source_host', 'source_domain', 'source_title',
      'anchor_text', 'warc_date', 'crawl', 'input_file']);
    const got: Record<string, [unknown, unknown]> = {};
    for (const l of links) got[`${String(l.lang)}\t${String(l.article)}`] = [l.canonical_article, l.wikidata_id];
    expect(got).toEqual(PLANTED);
    expect(links).toHaveLength(Object.keys(PLANTED).length + 2); // page b links two of them again

    const articles = numbered(await readParquet(`${out}/titles-1/articles/*.parquet`, 'lang, article'));
    const usa = articles.filter((a) => a.canonical_article === 'United_States').map((a) => [a.article, a.wikidata_id, a.link_count]);
    expect(usa).toEqual([['USA', 'Q30', 2], ['US_of_A', 'Q30', 1], ['United_States', 'Q30', 2]]);
    expect(articles).toHaveLength(Object.keys(PLANTED).length);

    // Across partitions: per canonical article (its redirects' links with its own), per Wikidata item, per domain.
    const canonical = numbered(await readParquet(`${out}/titles-1/canonical_articles/*.parquet`, 'lang, article'));
    expect(canonical.find((a) => a.article === 'United_States')).toMatchObject({
      lang: 'en', wikidata_id: 'Q30', linked_as: ['USA', 'US_of_A', 'United_States'], link_count: 2, host_count: 2, domain_count: 2, crawls: 0,
      first_seen: '2024-06-01T12:00:00Z', last_seen: '2024-06-01T12:00:00Z',
    });
    const canonicalKeys = [...new Set(Object.values(PLANTED).map(([c], i) => (c === null ? null : `${Object.keys(PLANTED)[i]?.split('\t')[0]}\t${c}`)).filter((k) => k !== null))].sort();
    expect(canonical.map((a) => `${String(a.lang)}\t${String(a.article)}`).sort()).toEqual(canonicalKeys);
    const items = numbered(await readParquet(`${out}/titles-1/items/*.parquet`, 'wikidata_id'));
    expect(items.find((i) => i.wikidata_id === 'Q30')).toEqual({ wikidata_id: 'Q30', languages: ['de', 'en', 'ja'], links: 7, pages: 2, hosts: 2, domains: 2 });
    expect(items.map((i) => i.wikidata_id).sort()).toEqual([...new Set(Object.values(PLANTED).map(([, q]) => q).filter((q) => q !== null))].sort());
    const domains = numbered(await readParquet(`${out}/titles-1/domains/*.parquet`, 'source_domain'));
    expect(domains).toEqual([
      { source_domain: 'commoncrawl.org', links: 3, articles: 3, pages: 1, languages: 1 },
      { source_domain: 'example.net', links: 2, articles: 2, pages: 1, languages: 1 },
      { source_domain: 'example.org', links: Object.keys(PLANTED).length - 3, articles: Object.keys(PLANTED).length - 3, pages: 1, languages: 4 },
    ]);

    const manifest = JSON.parse(await fsp.readFile(`${out}/titles-1/manifest.json`, 'utf8'));
    expect(manifest.settings.titles).toBe(dumps);
    expect(manifest.outputs.map((o: { output: string }) => o.output).sort()).toEqual(['articles', 'articles', 'articles', 'canonical_articles', 'domains', 'items', 'links', 'links', 'links']);
    expect(manifest.lookup).toMatchObject({ name: 'titles', sources: 5, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Kept with the run: the lookup's slices and its commit record.
    expect(fs.readdirSync(`${out}/titles-1/lookup/titles`).sort()).toEqual(expect.arrayContaining(['commit.json']));
  });

  it('without --titles the columns are there, null', async () => {
    const out = path.join(work, 'out-none');
    const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'titles-none', '--partitions', '2', '--no-progress']);
    expect(res.code, res.stderr).toBe(0);
    const links = await readParquet(`${out}/titles-none/links/*.parquet`);
    expect(links).toHaveLength(Object.keys(PLANTED).length + 2);
    expect(links.every((l) => 'canonical_article' in l && l.canonical_article === null && l.wikidata_id === null)).toBe(true);
    expect(fs.existsSync(`${out}/titles-none/lookup`)).toBe(false);
    // The domains without titles too; items and canonical articles need them.
    expect(numbered(await readParquet(`${out}/titles-none/domains/*.parquet`, 'source_domain')).map((d) => [d.source_domain, d.links])).toEqual([
      ['commoncrawl.org', 3], ['example.net', 2], ['example.org', Object.keys(PLANTED).length - 3],
    ]);
    expect(fs.existsSync(`${out}/titles-none/items`)).toBe(false);
    expect(fs.existsSync(`${out}/titles-none/canonical_articles`)).toBe(false);
  });

  it('a malformed dump fails the run before any map work, naming the file and the byte offset; an empty directory is a usage error', async () => {
    const bad = path.join(work, 'dumps-bad');
    await writeDumps(bad, DUMPS);
    const sql = dumpSql('dewiki', 'page', pageRows(DUMPS.wikis.dewiki?.pages ?? [])).replace("'Zürich'", 'Zürich');
    await fsp.writeFile(path.join(bad, 'dewiki-20241201-page.sql.gz'), gzipSync(sql));
    const offset = Buffer.byteLength(sql.slice(0, sql.indexOf('Zürich'))) + Buffer.byteLength('Zürich');
    const out = path.join(work, 'out-bad');
    const res = await runCli(['run', '--paths', listing, '--titles', bad, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'titles-bad', '--no-progress']);
    expect(res.code, res.stderr).toBe(1);
    const said = res.stdout + res.stderr;
    expect(said).toContain(`the titles lookup could not be built from ${bad}: ${path.join(bad, 'dewiki-20241201-page.sql.gz')}: a value that is neither NULL, a number nor a quoted string ("Zürich") at byte ${offset} of the SQL (after gunzip)`);
    const manifest = JSON.parse(await fsp.readFile(`${out}/titles-bad/manifest.json`, 'utf8'));
    expect(manifest.status).toBe('failed');
    expect(fs.existsSync(`${out}/titles-bad/partials`)).toBe(false); // no file was mapped
    // The dump fixed, the run resumes as the message says: the lookup is built, then the map and the reduce.
    await writeDumps(bad, DUMPS);
    const resumed = await runCli(['resume', 'titles-bad', '--out', out, '--redis', redis.url, '--workers', '1', '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const links = await readParquet(`${out}/titles-bad/links/*.parquet`);
    expect(links.find((l) => l.lang === 'de' && l.article === 'Zürich')).toMatchObject({ canonical_article: 'Zürich', wikidata_id: 'Q72' });

    const dry = await runCli(['run', '--paths', listing, '--titles', dumps, '--out', path.join(work, 'out-dry'), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`titles: ${dumps}: 5 dump files (dewiki-20241201-page.sql.gz, dewiki-20241201-redirect.sql.gz, enwiki-20241201-page.sql.gz, ` +
      'enwiki-20241201-redirect.sql.gz, wikidatawiki-20241201-wb_items_per_site.sql.gz), built into a lookup before the map');

    const empty = path.join(work, 'dumps-empty');
    await fsp.mkdir(empty);
    const none = await runCli(['run', '--paths', listing, '--titles', empty, '--out', path.join(work, 'out-empty'), '--workers', '1', '--redis', redis.url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--titles ${empty}: no Wikimedia dump files`);
    const noneDry = await runCli(['run', '--paths', listing, '--titles', empty, '--out', path.join(work, 'out-empty'), '--dry-run']);
    expect(noneDry.code).toBe(2);
    expect(noneDry.stderr).toContain(`--titles ${empty}: no Wikimedia dump files`);
  });
});
