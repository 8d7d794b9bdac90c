import { describe, expect, it } from 'vitest';
import type { MapContext, RecordView } from '../../src/job/types.js';
import { MAX_NESTING } from '../../jobs/wikipedia/html.js';
import {
  crawlOfInput,
  extractHtml,
  mentionsWikipedia,
  sniffCharset,
  wikipediaLinksJob as job,
  type LinkRow,
} from '../../jobs/wikipedia/index.js';

const INPUT = 's3://commoncrawl/crawl-data/x.warc.gz';

function context(): MapContext & { counters: Record<string, number> } {
  const counters: Record<string, number> = {};
  return {
    inputFile: INPUT,
    counters,
    count(name: string, n = 1) {
      counters[name] = (counters[name] ?? 0) + n;
    },
  };
}

function run(record: RecordView): { rows: LinkRow[]; counters: Record<string, number> } {
  const ctx = context();
  expect(job.wants(record)).toBe(true);
  return { rows: [...job.map(record, ctx)], counters: ctx.counters };
}

function htmlRecord(targetUri: string, body: string | Buffer, contentType = 'text/html; charset=utf-8'): RecordView {
  return {
    warcType: 'response',
    targetUri,
    date: '2024-05-18T01:58:10Z',
    contentType,
    payload: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    truncated: false,
  };
}

interface WatOptions {
  uri?: unknown;
  date?: unknown;
  title?: unknown;
  base?: string;
  links: { url: string; text?: string; path?: string }[];
}

function watRecord(targetUri: string, o: WatOptions): RecordView {
  const envelope = {
    Envelope: {
      Format: 'WARC',
      'WARC-Header-Metadata': {
        'WARC-Type': 'response',
        'WARC-Date': 'date' in o ? o.date : '2024-05-18T01:58:10Z',
        'WARC-Target-URI': 'uri' in o ? o.uri : targetUri,
      },
      'Payload-Metadata': {
        'Actual-Content-Type': 'application/http; msgtype=response',
        'HTTP-Response-Metadata': {
          Headers: { 'Content-Type': 'text/html' },
          'HTML-Metadata': {
            Head: { ...(o.title === undefined ? {} : { Title: o.title }), ...(o.base ? { Base: o.base } : {}) },
            Links: o.links.map((l) => ({ path: l.path ?? 'A@/href', url: l.url, ...(l.text ? { text: l.text } : {}) })),
          },
        },
      },
    },
  };
  return {
    warcType: 'metadata',
    targetUri,
    date: '2024-05-31T01:17:49Z',
    contentType: 'application/json',
    payload: Buffer.from(JSON.stringify(envelope)),
    truncated: false,
  };
}

function row(lang: string, article: string, more: Partial<LinkRow> = {}): LinkRow {
  return {
    lang,
    article,
    source_url: 'https://www.example.co.uk/page',
    source_host: 'www.example.co.uk',
    source_domain: 'example.co.uk',
    source_title: 'A page',
    anchor_text: null,
    warc_date: '2024-05-18T01:58:10Z',
    crawl: crawlOfInput(INPUT),
    input_file: INPUT,
    ...more,
  };
}

const PAGE = 'https://www.example.co.uk/page';

describe('wants', () => {
  it.each([
    ['metadata', 'application/json', true],
    ['metadata', 'application/json; charset=utf-8', true],
    ['metadata', 'application/warc-fields', false],
    ['response', 'text/html', true],
    ['response', 'TEXT/HTML; charset=iso-8859-1', true],
    ['response', 'application/xhtml+xml', true],
    ['response', '', true],
    ['response', 'application/pdf', false],
    ['response', 'image/png', false],
    ['request', 'application/http; msgtype=request', false],
    ['warcinfo', 'application/warc-fields', false],
    ['conversion', 'text/plain', false],
  ])('%s %s -> %s', (warcType, contentType, want) => {
    expect(job.wants({ warcType, contentType, targetUri: PAGE, date: '' })).toBe(want);
  });
});

describe('job definition', () => {
  it('has the documented shape', () => {
    expect(job.name).toBe('wikipedia-links');
    expect(job.rowsOutput).toBe('links');
    expect(job.columns.map((c) => c.name)).toEqual(Object.keys(row('en', 'X')));
    expect(job.partitionKey(row('en', 'Foo'))).toBe('en\tFoo');
    expect(job.uniqueKey).toEqual(['lang', 'article', 'source_url', 'crawl']);
    expect(job.derived.map((d) => d.name)).toEqual(['articles']);
  });
});

describe('crawlOfInput', () => {
  it.each([
    ['s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/wat/CC-MAIN-20240517233122-20240518023122-00000.warc.wat.gz', 'CC-MAIN-2024-22'],
    ['https://data.commoncrawl.org/crawl-data/CC-MAIN-2013-20/segments/1368696381249/warc/CC-MAIN-20130516092621-00000-ip-10-60-113-184.ec2.internal.warc.gz', 'CC-MAIN-2013-20'],
    ['/data/samples/CC-MAIN-2024-22-whirlwind.warc.wat.gz', 'CC-MAIN-2024-22'],
    ['/data/CC-MAIN-2015-18/renamed-by-hand/CC-MAIN-2024-51-sample.warc.gz', 'CC-MAIN-2024-51'], // the last one names the file
    ['/data/CC-MAIN-20240517233122-00000.warc.gz', null], // a file's timestamp, not a crawl
    ['/data/CC-MAIN-2024-99/x.warc.gz', null], // no week 99
    ['/data/CC-MAIN-2024-221/x.warc.gz', null],
    ['test/fixtures/samples/wget-2024-commoncrawl-blog.warc.gz', null],
  ])('%s -> %s', (input, crawl) => {
    expect(crawlOfInput(input)).toBe(crawl);
  });

  it('puts the crawl of the input on every row', () => {
    const input = 's3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/1/wat/x.warc.wat.gz';
    const rows = [...job.map(watRecord(PAGE, { links: [{ url: 'https://en.wikipedia.org/wiki/Foo' }] }), { inputFile: input, count: () => undefined })];
    expect(rows.map((r) => [r.article, r.crawl, r.input_file])).toEqual([['Foo', 'CC-MAIN-2024-22', input]]);
  });
});

describe('WAT records', () => {
  const links = [
    { url: 'https://en.wikipedia.org/wiki/Foo', text: '  The  Foo\n page ' },
    { url: 'https://example.com/' },
    { url: '//de.wikipedia.org/wiki/Datei:X.jpg' },
    { url: '/wiki/Relative' },
    { url: 'https://en.wikipedia.org/wiki/Foo#Section', text: 'second Foo' },
    { url: 'https://en.wikipedia.org/w/index.php?title=Bar&amp;action=edit' },
    { url: 'https://fr.wikipedia.org/wiki/Caf%C3%A9', text: 'caf&eacute;' },
    { url: 'https://en.wikipedia.org/wiki/Img', path: 'IMG@/src' },
  ];
  const expected = [
    row('en', 'Foo', { anchor_text: 'The Foo page' }),
    row('fr', 'Café', { anchor_text: 'café' }),
  ];
  const expectedCounters = {
    pages: 1,
    pages_parsed: 1,
    links_seen: 7,
    links_kept: 2,
    links_duplicate: 1,
    'links_rejected.not_wikipedia': 2,
    'links_rejected.namespace': 1,
    'links_rejected.action_view': 1,
  };

  it('reads single-string headers', () => {
    const { rows, counters } = run(watRecord(PAGE, { title: ' A \n page ', links }));
    expect(rows).toEqual(expected);
    expect(counters).toEqual(expectedCounters);
  });

  it('reads list-form headers (repeated headers, Common Crawl since Dec 2024)', () => {
    const record = watRecord('', {
      uri: [PAGE, 'https://other.example/'],
      date: ['2024-05-18T01:58:10Z', '2024-05-19T00:00:00Z'],
      title: ['A page', 'Second title'],
      links,
    });
    const { rows, counters } = run(record);
    expect(rows).toEqual(expected);
    expect(counters).toEqual(expectedCounters);
  });

  it('falls back to the record headers and resolves against Head.Base', () => {
    const record = watRecord(PAGE, { uri: null, date: null, base: 'https://en.wikipedia.org/wiki/', links: [
      { url: 'Relative_Link', text: 'rel' },
      { url: '/wiki/Root_Relative' },
    ] });
    const { rows } = run(record);
    expect(rows).toEqual([
      row('en', 'Relative_Link', { anchor_text: 'rel', source_title: null, warc_date: '2024-05-31T01:17:49Z' }),
      row('en', 'Root_Relative', { source_title: null, warc_date: '2024-05-31T01:17:49Z' }),
    ]);
  });

  it('skips Wikipedia and Wikimedia source pages', () => {
    for (const uri of ['https://an.wikipedia.org/wiki/Escopete', 'https://commons.wikimedia.org/wiki/X']) {
      const { rows, counters } = run(watRecord(uri, { links }));
      expect(rows).toEqual([]);
      expect(counters).toEqual({ pages: 1, pages_internal: 1 });
    }
  });

  it('pre-filters pages that never mention wikipedia.org, without parsing the JSON', () => {
    const record = watRecord(PAGE, { links: [{ url: 'https://example.com/' }] });
    const broken = { ...record, payload: Buffer.concat([record.payload, Buffer.from('}}} not json')]) };
    const { rows, counters } = run(broken);
    expect(rows).toEqual([]);
    expect(counters).toEqual({ pages: 1, pages_prefiltered: 1 });
  });

  it('counts invalid JSON and does not throw', () => {
    const payload = Buffer.from('{"Envelope":{"HTML-Metadata":"https://en.wikipedia.org/wiki/X" ');
    const { rows, counters } = run({ ...watRecord(PAGE, { links: [] }), payload, truncated: true });
    expect(rows).toEqual([]);
    expect(counters).toEqual({ pages: 1, records_invalid_json: 1 });
  });
});

describe('HTML responses', () => {
  const html = `<!doctype html><html><head><title> A
    page </title><base href="/base/"></head><body>
    <a href="https://en.wikipedia.org/wiki/Foo">The <b>Foo</b>   page</a>
    <a href="//EN.M.WIKIPEDIA.ORG/wiki/foo">again</a>
    <a href="https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0">Москва</a>
    <a href="https://de.wikipedia.org/wiki/Wikipedia:Hauptseite">Hauptseite</a>
    <a href="https://en.wikipedia.org/wiki/AT&amp;T"></a>
    <a href="relative.html">relative</a>
    <a name="anchor">no href</a>
    <a href="https://xx.wikipedia.org/wiki/Foo">unknown</a>
  </body></html>`;

  it('extracts rows and counters', () => {
    const { rows, counters } = run(htmlRecord(PAGE, html));
    expect(rows).toEqual([
      row('en', 'Foo', { anchor_text: 'The Foo page' }),
      row('ru', 'Москва', { anchor_text: 'Москва' }),
      row('en', 'AT&T'),
    ]);
    expect(counters).toEqual({
      pages: 1,
      pages_parsed: 1,
      links_seen: 7,
      links_kept: 3,
      links_duplicate: 1,
      'links_rejected.main_page': 1,
      'links_rejected.not_wikipedia': 1,
      'links_rejected.unknown_language': 1,
    });
  });

  it('resolves relative links against <base>, itself resolved against the page URL', () => {
    const body = '<base href="//en.wikipedia.org/wiki/"><a href="Bar">bar</a><a href="../wiki/Baz">baz</a>';
    const { rows } = run(htmlRecord('http://example.com/x', body, ''));
    expect(rows.map((r) => [r.article, r.anchor_text, r.source_title])).toEqual([
      ['Bar', 'bar', null],
      ['Baz', 'baz', null],
    ]);
    expect(rows[0]?.source_domain).toBe('example.com');
  });

  it('skips Wikipedia source pages', () => {
    const { rows, counters } = run(htmlRecord('https://an.wikipedia.org/wiki/Escopete', html));
    expect(rows).toEqual([]);
    expect(counters).toEqual({ pages: 1, pages_internal: 1 });
  });

  it('pre-filters pages without wikipedia.org and never parses them', () => {
    // unbalanced markup that the parser would happily read: the counters show it was not parsed
    const { rows, counters } = run(htmlRecord(PAGE, '<a href="https://example.com/wiki/Foo">x</a><title>t'));
    expect(rows).toEqual([]);
    expect(counters).toEqual({ pages: 1, pages_prefiltered: 1 });
  });

  it('decodes with the declared charset (header, then <meta>)', () => {
    const latin1 = Buffer.from('<title>Caf\xe9</title><a href="https://fr.wikipedia.org/wiki/Caf%C3%A9">caf\xe9</a>', 'latin1');
    const fromHeader = run(htmlRecord(PAGE, latin1, 'text/html; charset=ISO-8859-1')).rows;
    expect(fromHeader.map((r) => [r.article, r.anchor_text, r.source_title])).toEqual([['Café', 'café', 'Café']]);
    const withMeta = Buffer.concat([Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'), latin1]);
    const fromMeta = run(htmlRecord(PAGE, withMeta, 'text/html')).rows;
    expect(fromMeta.map((r) => r.anchor_text)).toEqual(['café']);
    expect(sniffCharset(Buffer.from('<meta charset="utf-16">'), '')).toBe('utf-8');
    expect(sniffCharset(Buffer.from('<meta charset=Shift_JIS>'), '')).toBe('shift_jis');
    expect(sniffCharset(Buffer.from('x'), 'text/html; charset="koi8-r"')).toBe('koi8-r');
  });

  it('counts response records for non-http URIs and ignores other record types', () => {
    const ctx = context();
    expect([...job.map(htmlRecord('dns:example.com', 'x wikipedia.org', ''), ctx)]).toEqual([]);
    expect([...job.map({ ...htmlRecord(PAGE, html), warcType: 'request' }, ctx)]).toEqual([]);
    expect(ctx.counters).toEqual({ records_not_http: 1 });
  });

  it('extractHtml: anchors end at the next <a>; text is raw; title and base are the first ones', () => {
    const page = extractHtml('<title>One</title><title>Two</title><base href="/a/"><base href="/b/"><a href="x">1<a href="y">2</a> <a href=z></a>');
    expect(page).toEqual({
      title: 'One',
      base: '/a/',
      links: [
        { href: 'x', text: '1' },
        { href: 'y', text: '2' },
        { href: 'z', text: null },
      ],
      nestingCut: false,
    });
  });

  it('extractHtml: one parser for every page, reset between them (a page cut short leaves nothing to the next)', () => {
    const clean = '<title>T &amp; U</title><a href="https://en.wikipedia.org/wiki/A">A&eacute;</a>';
    const alone = extractHtml(clean);
    // Pages that end inside a tag, an attribute, an entity, a comment, a <script> and an <a>'s text.
    for (const cut of ['<a href="x', '<a href=x', '<p>&eac', '<!-- open', '<script>var a = "<a href=y>"', '<title>t<a href=w>text']) {
      extractHtml(cut);
      expect(extractHtml(clean)).toEqual(alone);
    }
    expect(alone).toEqual({ title: 'T & U', base: null, links: [{ href: 'https://en.wikipedia.org/wiki/A', text: 'Aé' }], nestingCut: false });
  });
});

describe('hostile HTML', () => {
  it('a page nested far deeper than any real one (Common Crawl\'s 1 MiB cap of `<div>`s, then links) is read to its end, every link kept, and counted', () => {
    // htmlparser2's open-element stack costs O(depth) per tag: this page took 12 s before the cap, ~5 ms after (Node 24).
    const deep = (open: string, n: number) => `<title>deep</title><a href="https://en.wikipedia.org/wiki/Before">b</a>${open.repeat(n)}` +
      '<a href="https://en.wikipedia.org/wiki/After">a</a></div></span><a href="https://de.wikipedia.org/wiki/Danach">d</a>';
    for (const open of ['<div>', '<span class="x">', '<svg>', '<b><i>', '<table><tr><td>']) {
      const page = deep(open, Math.floor((1 << 20) / open.length));
      const t0 = performance.now();
      const { rows, counters } = run(htmlRecord(PAGE, page));
      const ms = performance.now() - t0;
      expect(rows.map((r) => `${r.lang}/${r.article}`), open).toEqual(['en/Before', 'en/After', 'de/Danach']);
      expect(counters.pages_nesting_cut, open).toBe(1);
      console.log(`deep ${open} x ${Math.floor((1 << 20) / open.length)}: ${ms.toFixed(0)} ms`);
    }
    // A page of ordinary depth is not cut.
    expect(extractHtml(`${'<div>'.repeat(MAX_NESTING - 10)}<a href="x">x</a>`).nestingCut).toBe(false);
    expect(extractHtml(`${'<div>'.repeat(MAX_NESTING + 10)}<a href="x">x</a>`)).toMatchObject({ nestingCut: true, links: [{ href: 'x', text: 'x' }] });
  });
});

describe('mentionsWikipedia', () => {
  it.each([
    ['https://en.wikipedia.org/wiki/X', true],
    ['HTTPS://EN.WIKIPEDIA.ORG/WIKI/X', true],
    ['https://en.WikiPedia.Org/wiki/X', true],
    ['wikipedia.org', true],
    ['.wikipedia.org.', true],
    ['wikipedia.or', false],
    ['wikipedia org', false],
    ['ikipedia.org', false],
    ['https://example.com/a.b.c', false],
    ['', false],
  ])('%s -> %s', (text, want) => {
    expect(mentionsWikipedia(Buffer.from(text))).toBe(want);
  });
});
