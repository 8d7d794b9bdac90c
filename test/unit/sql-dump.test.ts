/** The MySQL dump reader (jobs/wikipedia/titles) on dump files in the published format, whole and broken. */
import { describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { dumpSql, pageRows, sitelinkRows, writeDumps } from '../../src/fixtures/dumps.js';
import { dumpRows, findDumps, SqlDumpParser, type SqlValue } from '../../jobs/wikipedia/titles/index.js';

function parse(sql: string | Buffer, chunk = 1 << 16): { columns: Record<string, readonly string[]>; rows: Array<[string, readonly SqlValue[]]> } {
  const columns: Record<string, readonly string[]> = {};
  const rows: Array<[string, readonly SqlValue[]]> = [];
  const p = new SqlDumpParser((t, c) => (columns[t] = [...c]), (t, v) => rows.push([t, [...v]]));
  const buf = Buffer.isBuffer(sql) ? sql : Buffer.from(sql);
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  p.end();
  return { columns, rows };
}

const TRICKY = ["O'Brien", 'Back\\slash', 'Say_"hi"', 'Zürich', 'アメリカ合衆国', 'Line\nbreak', 'Nul\0byte', 'Ctrl\x1aZ', '50%_and_under_score'];

describe('SqlDumpParser', () => {
  it('reads the columns of CREATE TABLE and every row of extended INSERTs, escapes and NULLs included, in any chunking', () => {
    const pages = TRICKY.map((title, i) => ({ id: i + 1, ns: i % 2, title, redirect: i === 3 }));
    const sql = dumpSql('enwiki', 'page', pageRows(pages), 4);
    for (const chunk of [1, 7, 1 << 16]) {
      const { columns, rows } = parse(sql, chunk);
      expect(columns.page).toEqual(['page_id', 'page_namespace', 'page_title', 'page_is_redirect', 'page_is_new', 'page_random', 'page_touched',
        'page_links_updated', 'page_latest', 'page_len', 'page_content_model', 'page_lang']);
      expect(rows.map(([t, v]) => [t, v[0], v[1], v[2], v[3], v[7], v[5]])).toEqual(pages.map((p) => ['page', p.id, p.ns, p.title, p.redirect ? 1 : 0, null, 0.123456789]));
    }
  });

  it.each([
    ['a truncated INSERT', (s: string) => s.slice(0, s.indexOf("'Zürich'") + 4), /the file ends inside an INSERT statement \(truncated\?\) at byte \d+/],
    ['a bare word for a value', (s: string) => s.replace("'Zürich'", 'Zurich'), /neither NULL, a number nor a quoted string \("Zurich"\) at byte \d+/],
    ['a row of the wrong width', (s: string) => s.replace(",'wikitext',NULL)", ",'wikitext')"), /a row of 11 values in table `page` of 12 columns at byte \d+/],
    ['an unknown escape', (s: string) => s.replace("O\\'Brien", 'O\\qBrien'), /an unknown escape \\q in a string at byte \d+/],
    ['junk between rows', (s: string) => s.replace('),(', ') (',), /expected ',' or ';' after a row at byte \d+/],
    ['an INSERT before its CREATE TABLE', (s: string) => s.replace('CREATE TABLE `page` (', 'CREATE TABLE `other` ('), /INSERT INTO `page` before its CREATE TABLE at byte \d+/],
  ])('fails on %s, naming the byte offset', (_name, damage, message) => {
    const sql = dumpSql('enwiki', 'page', pageRows(TRICKY.map((title, i) => ({ id: i + 1, ns: 0, title }))));
    const bad = damage(sql);
    expect(bad).not.toBe(sql);
    expect(() => parse(bad)).toThrow(message);
    // The offset is where the damage is: within the first INSERT line that differs.
    const at = Number(/at byte (\d+)/.exec((() => { try { parse(bad); } catch (e) { return (e as Error).message; } return ''; })())?.[1]);
    const firstInsert = bad.indexOf('INSERT INTO');
    expect(at).toBeGreaterThanOrEqual(Math.min(firstInsert, Buffer.byteLength(bad.slice(0, bad.indexOf('INSERT INTO')))));
    expect(at).toBeLessThanOrEqual(Buffer.byteLength(bad));
  });
});

describe('dump files', () => {
  it('finds the newest dump of each edition and kind, maps database names to editions, and reads only articles', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wr-dumps-'));
    try {
      await writeDumps(dir, { date: '20240101', wikis: { enwiki: { pages: [{ id: 1, ns: 0, title: 'Old' }] } } });
      await writeDumps(dir, {
        date: '20241201',
        wikis: { enwiki: { pages: [{ id: 1, ns: 0, title: 'New' }, { id: 2, ns: 1, title: 'Talk_page' }, { id: 3, ns: 0, title: "O'Brien", redirect: true }] }, zh_yuewiki: { redirects: [{ from: 9, ns: 0, title: '香港' }] } },
        sitelinks: [{ item: 30, site: 'enwiki', page: 'United States' }, { item: 31, site: 'commonswiki', page: 'Category:X' }, { item: 32, site: 'zh_yuewiki', page: '香港' }],
      });
      await fsp.writeFile(path.join(dir, 'README.txt'), 'not a dump');
      const dumps = await findDumps(dir);
      expect(dumps.map((d) => [path.basename(d.file), d.lang, d.kind])).toEqual([
        ['enwiki-20241201-page.sql.gz', 'en', 'page'],
        ['wikidatawiki-20241201-wb_items_per_site.sql.gz', 'wikidata', 'wb_items_per_site'],
        ['zh_yuewiki-20241201-redirect.sql.gz', 'zh-yue', 'redirect'],
      ]);
      const rows = async (i: number): Promise<unknown[][]> => {
        const out: unknown[][] = [];
        for await (const b of dumpRows(dumps[i] as never)) out.push(...b);
        return out;
      };
      expect(await rows(0)).toEqual([['en', 1, 'New', false], ['en', 3, "O'Brien", true]]);
      expect(await rows(1)).toEqual([['en', 'United_States', 30], ['zh-yue', '香港', 32]]); // commonswiki is no edition
      expect(await rows(2)).toEqual([['zh-yue', 9, 0, '香港', null, null]]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('a file that is not gzip, not its table, or malformed fails naming the file (and the offset)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wr-dumps-'));
    try {
      const read = async (name: string, body: Buffer): Promise<string> => {
        await fsp.writeFile(path.join(dir, name), body);
        const d = (await findDumps(dir)).find((x) => x.file.endsWith(name));
        try {
          for await (const _ of dumpRows(d as never)) { /* drain */ }
        } catch (err) {
          return (err as Error).message;
        } finally {
          await fsp.rm(path.join(dir, name));
        }
        return 'no error';
      };
      expect(await read('enwiki-20241201-page.sql.gz', Buffer.from('plain text'))).toMatch(new RegExp(`^${dir}/enwiki-20241201-page.sql.gz: cannot read it as gzip .* after 0 bytes of SQL$`));
      const items = gzipSync(dumpSql('wikidatawiki', 'wb_items_per_site', sitelinkRows([{ item: 1, site: 'enwiki', page: 'X' }])));
      expect(await read('enwiki-20241201-page.sql.gz', items)).toMatch(/enwiki-20241201-page.sql.gz: no CREATE TABLE `page` \(is it a page dump\?\) at byte \d+/);
      const cut = gzipSync(dumpSql('enwiki', 'page', pageRows([{ id: 1, ns: 0, title: 'Abc' }])).replace("(1,0,'Abc'", "(1,0,'Abc"));
      expect(await read('enwiki-20241201-page.sql.gz', cut)).toMatch(/enwiki-20241201-page.sql.gz: .* at byte \d+ of the SQL \(after gunzip\)$/);
      await expect(findDumps(path.join(dir, 'none'))).rejects.toThrow(/--titles .*none: cannot read the directory \(ENOENT\)/);
      await expect(findDumps(dir)).rejects.toThrow(/no Wikimedia dump files/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
