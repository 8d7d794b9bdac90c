import { describe, expect, it } from 'vitest';
import {
  classifyLink,
  classifyTitle,
  cleanText,
  EDITIONS,
  editionOfHost,
  isWikimediaHost,
  percentDecode,
  REJECT_REASONS,
  upperFirst,
  type LinkVerdict,
  type RejectReason,
} from '../../jobs/wikipedia/index.js';

const ok = (lang: string, article: string): LinkVerdict => ({ ok: true, lang, article });
const no = (reason: RejectReason): LinkVerdict => ({ ok: false, reason });

describe('editions data', () => {
  it('holds the 2014 editions, newer ones, and localized names', () => {
    expect(EDITIONS.size).toBeGreaterThanOrEqual(287);
    expect(EDITIONS.get('en')?.mainPage).toBe('Main_Page');
    expect(EDITIONS.get('de')?.mainPage).toBe('Wikipedia:Hauptseite');
    expect(EDITIONS.get('de')?.namespaces).toContain('datei');
    expect(EDITIONS.get('fr')?.namespaces).toContain('catégorie');
    expect(EDITIONS.get('ru')?.namespaces).toContain('категория');
    expect(EDITIONS.has('azb')).toBe(true); // opened 2015
  });
});

describe('hosts', () => {
  it.each([
    ['en.wikipedia.org', 'en'],
    ['EN.WikiPedia.ORG', 'en'],
    ['en.m.wikipedia.org', 'en'],
    ['de.wikipedia.org.', 'de'],
    ['be-x-old.wikipedia.org', 'be-x-old'],
    ['nb.wikipedia.org', 'no'],
    ['simple.m.wikipedia.org', 'simple'],
  ])('%s is edition %s', (host, lang) => {
    expect(editionOfHost(host)).toBe(lang);
  });

  it.each(['www.wikipedia.org', 'wikipedia.org', 'xx.wikipedia.org', 'en.zero.wikipedia.org'])(
    '%s is under wikipedia.org but no edition',
    (host) => expect(editionOfHost(host)).toBeNull(),
  );

  it.each(['example.com', 'en.wikipedia.org.evil.com', 'commons.wikimedia.org', 'notwikipedia.org'])(
    '%s is not Wikipedia',
    (host) => expect(editionOfHost(host)).toBeUndefined(),
  );

  it('recognises Wikimedia source hosts', () => {
    for (const h of ['an.wikipedia.org', 'wikipedia.org', 'commons.wikimedia.org', 'WIKIMEDIA.ORG', 'en.m.wikipedia.org']) {
      expect(isWikimediaHost(h)).toBe(true);
    }
    for (const h of ['example.com', 'wikipedia.org.example.com', 'mywikipedia.org', 'en.wikipedia.com']) {
      expect(isWikimediaHost(h)).toBe(false);
    }
  });
});

describe('classifyLink: accepted links', () => {
  it.each<[string, LinkVerdict]>([
    ['https://en.wikipedia.org/wiki/Strongly_connected_component', ok('en', 'Strongly_connected_component')],
    ['http://en.wikipedia.org/wiki/Foo', ok('en', 'Foo')],
    ['HTTPS://EN.WIKIPEDIA.ORG/wiki/Foo', ok('en', 'Foo')],
    ['https://en.m.wikipedia.org/wiki/Foo', ok('en', 'Foo')],
    ['https://DE.M.wikipedia.org/wiki/Berlin', ok('de', 'Berlin')],
    ['https://en.wikipedia.org/wiki/foo_bar', ok('en', 'Foo_bar')],
    ['https://ru.wikipedia.org/wiki/%D0%BC%D0%BE%D1%81%D0%BA%D0%B2%D0%B0', ok('ru', 'Москва')],
    ['https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0', ok('ru', 'Москва')],
    ['https://ja.wikipedia.org/wiki/東京都', ok('ja', '東京都')],
    ['https://en.wikipedia.org/wiki/Foo#History', ok('en', 'Foo')],
    ['https://en.wikipedia.org/wiki/New%20York%20City', ok('en', 'New_York_City')],
    ['https://en.wikipedia.org/wiki/New__York___City_', ok('en', 'New_York_City')],
    ['https://en.wikipedia.org/wiki/_Foo', ok('en', 'Foo')],
    ['https://en.wikipedia.org/wiki/C++', ok('en', 'C++')],
    ['https://en.wikipedia.org/wiki/C%2B%2B', ok('en', 'C++')],
    ['https://en.wikipedia.org/wiki/AT%26T', ok('en', 'AT&T')],
    ['https://en.wikipedia.org/wiki/AT&amp;T', ok('en', 'AT&T')],
    ['https://en.wikipedia.org/wiki/Caf&eacute;', ok('en', 'Café')],
    ['https://en.wikipedia.org/wiki/AC/DC', ok('en', 'AC/DC')],
    ['https://en.wikipedia.org/wiki/Star_Wars:_Episode_IV_%E2%80%93_A_New_Hope', ok('en', 'Star_Wars:_Episode_IV_–_A_New_Hope')],
    ['https://en.wikipedia.org/wiki/%C3%A9cole', ok('en', 'École')],
    ['https://de.wikipedia.org/wiki/Stra%C3%9Fe', ok('de', 'Straße')],
    ['https://de.wikipedia.org/wiki/%C3%9Fpiel', ok('de', 'ßpiel')], // ß has no one-letter upper case
    ['https://ka.wikipedia.org/wiki/%E1%83%97%E1%83%91%E1%83%98%E1%83%9A%E1%83%98%E1%83%A1%E1%83%98', ok('ka', 'თბილისი')],
    ['https://en.wikipedia.org/wiki/:Foo', ok('en', 'Foo')],
    ['https://en.wikipedia.org/w/index.php?title=Foo_Bar', ok('en', 'Foo_Bar')],
    ['https://en.wikipedia.org/w/index.php?title=Foo+Bar&action=view', ok('en', 'Foo_Bar')],
    ['https://en.wikipedia.org/w/index.php?title=C%2B%2B&redirect=no', ok('en', 'C++')],
    ['https://en.wikipedia.org/wiki/Foo?action=view', ok('en', 'Foo')],
    ['https://en.wikipedia.org/wiki/Foo?uselang=de', ok('en', 'Foo')],
    ['https://en.wikipedia.org/wiki/Foo%E2%80%8E', ok('en', 'Foo')], // direction mark dropped
    ['https://en.wikipedia.org/wiki/Foo%C2%A0Bar', ok('en', 'Foo_Bar')], // no-break space
  ])('%s', (href, verdict) => {
    expect(classifyLink(href)).toEqual(verdict);
  });

  it('resolves protocol-relative and relative links against the base', () => {
    expect(classifyLink('//en.wikipedia.org/wiki/Foo', 'http://example.com/a/b')).toEqual(ok('en', 'Foo'));
    expect(classifyLink('//fr.wikipedia.org/wiki/Paris')).toEqual(ok('fr', 'Paris'));
    expect(classifyLink('/wiki/Foo', 'https://en.wikipedia.org/')).toEqual(ok('en', 'Foo'));
    expect(classifyLink('Foo', new URL('https://de.wikipedia.org/wiki/'))).toEqual(ok('de', 'Foo'));
    expect(classifyLink('/wiki/Foo', 'https://example.com/')).toEqual(no('not_wikipedia'));
    expect(classifyLink('/wiki/Foo')).toEqual(no('not_wikipedia'));
  });
});

/** Links and the reason each is rejected for: every reason has at least one ('lists every reason' below checks). */
const REJECTED: Array<[string, RejectReason]> = [
  ['https://example.com/wiki/Foo', 'not_wikipedia'],
  ['https://en.wikipedia.org.example.com/wiki/Foo', 'not_wikipedia'],
  ['https://commons.wikimedia.org/wiki/File:X.jpg', 'not_wikipedia'],
  ['ftp://en.wikipedia.org/wiki/Foo', 'not_wikipedia'],
  ['mailto:someone@en.wikipedia.org', 'not_wikipedia'],
  ['https://xx.wikipedia.org/wiki/Foo', 'unknown_language'],
  ['https://www.wikipedia.org/', 'unknown_language'],
  ['https://wikipedia.org/wiki/Foo', 'unknown_language'],
  ['https://en.wikipedia.org/', 'not_article_path'],
  ['https://en.wikipedia.org/w/index.php?search=foo', 'not_article_path'],
  ['https://en.wikipedia.org/WIKI/Foo', 'not_article_path'],
  ['https://en.wikipedia.org/w/api.php?title=Foo', 'not_article_path'],
  ['https://en.wikipedia.org/w/index.php?title=Foo&action=edit', 'action_view'],
  ['https://en.wikipedia.org/w/index.php?title=Foo&action=history', 'action_view'],
  ['https://en.wikipedia.org/w/index.php?title=Foo&ACTION=Edit', 'action_view'],
  ['https://en.wikipedia.org/wiki/Foo?action=edit', 'action_view'],
  ['https://en.wikipedia.org/w/index.php?title=Foo&oldid=123', 'action_view'],
  ['https://en.wikipedia.org/w/index.php?title=Foo&diff=124&oldid=123', 'action_view'],
  ['https://en.wikipedia.org/wiki/', 'empty_title'],
  ['https://en.wikipedia.org/wiki/___', 'empty_title'],
  ['https://en.wikipedia.org/wiki/#Foo', 'empty_title'],
  ['https://en.wikipedia.org/w/index.php?title=', 'empty_title'],
  ['https://en.wikipedia.org/wiki/Main_Page', 'main_page'],
  ['https://en.wikipedia.org/wiki/main_page', 'main_page'],
  ['https://en.wikipedia.org/wiki/Main%20Page', 'main_page'],
  ['https://de.wikipedia.org/wiki/Wikipedia:Hauptseite', 'main_page'],
  ['https://de.wikipedia.org/wiki/Main_Page', 'main_page'],
  ['https://fr.wikipedia.org/wiki/Wikip%C3%A9dia:Accueil_principal', 'main_page'],
  ['https://ru.wikipedia.org/wiki/%D0%97%D0%B0%D0%B3%D0%BB%D0%B0%D0%B2%D0%BD%D0%B0%D1%8F_%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0', 'main_page'],
  ['https://en.wikipedia.org/wiki/Talk:Foo', 'namespace'],
  ['https://en.wikipedia.org/wiki/File:Foo.jpg', 'namespace'],
  ['https://en.wikipedia.org/wiki/Image:Foo.jpg', 'namespace'],
  ['https://en.wikipedia.org/wiki/Special:Random', 'namespace'],
  ['https://en.wikipedia.org/wiki/special:random', 'namespace'],
  ['https://en.wikipedia.org/wiki/Help:Contents', 'namespace'],
  ['https://en.wikipedia.org/wiki/Template:Infobox', 'namespace'],
  ['https://en.wikipedia.org/wiki/Category:Physics', 'namespace'],
  ['https://en.wikipedia.org/wiki/User:Jimbo_Wales', 'namespace'],
  ['https://en.wikipedia.org/wiki/User_talk:Jimbo_Wales', 'namespace'],
  ['https://en.wikipedia.org/wiki/User%20talk:Jimbo_Wales', 'namespace'],
  ['https://en.wikipedia.org/wiki/Wikipedia:About', 'namespace'],
  ['https://en.wikipedia.org/wiki/WP:NPOV', 'namespace'],
  ['https://en.wikipedia.org/wiki/Portal:Science', 'namespace'],
  ['https://en.wikipedia.org/wiki/Media:Foo.ogg', 'namespace'],
  ['https://en.wikipedia.org/wiki/MediaWiki:Common.css', 'namespace'],
  ['https://en.wikipedia.org/wiki/Module:Citation', 'namespace'],
  ['https://en.wikipedia.org/wiki/Draft:Foo', 'namespace'],
  ['https://en.wikipedia.org/wiki/Category_:Physics', 'namespace'],
  ['https://en.wikipedia.org/w/index.php?title=Special:Search&search=x', 'namespace'],
  ['https://de.wikipedia.org/wiki/Datei:Foo.jpg', 'namespace'],
  ['https://de.wikipedia.org/wiki/datei:Foo.jpg', 'namespace'],
  ['https://de.wikipedia.org/wiki/Benutzer_Diskussion:X', 'namespace'],
  ['https://de.wikipedia.org/wiki/File:Foo.jpg', 'namespace'],
  ['https://fr.wikipedia.org/wiki/Cat%C3%A9gorie:Physique', 'namespace'],
  ['https://fr.wikipedia.org/wiki/Discussion%20utilisateur:X', 'namespace'],
  ['https://ru.wikipedia.org/wiki/%D0%9A%D0%B0%D1%82%D0%B5%D0%B3%D0%BE%D1%80%D0%B8%D1%8F:%D0%A4%D0%B8%D0%B7%D0%B8%D0%BA%D0%B0', 'namespace'],
  ['https://en.wikipedia.org/wiki/fr:Paris', 'interwiki'],
  ['https://en.wikipedia.org/wiki/wikt:foo', 'interwiki'],
  ['https://en.wikipedia.org/wiki/A%7CB', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A<B>', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/%5BFoo%5D', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/%7BFoo%7D', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A%23B', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A%0AB', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A%01B', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A%2541', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/..%2FFoo', 'illegal_char'],
  ['https://en.wikipedia.org/wiki/A~~~', 'illegal_char'],
  [`https://en.wikipedia.org/wiki/${'x'.repeat(256)}`, 'too_long'],
  ['https://en.wikipedia.org/wiki/%E0%A4%A', 'bad_url'],
  ['https://en.wikipedia.org/wiki/%zz', 'bad_url'],
  ['https://en.wikipedia.org/wiki/%C3%28', 'bad_url'],
  ['https://en.wikipedia.org/w/index.php?title=%FF', 'bad_url'],
  ['https://[en.wikipedia.org/wiki/Foo', 'bad_url'],
  ['//en.wikipedia.org:99999/wiki/Foo', 'bad_url'],
];

describe('classifyLink: rejected links', () => {
  it.each(REJECTED)('%s -> %s', (href, reason) => {
    expect(classifyLink(href)).toEqual(no(reason));
  });

  it('a colon that is no namespace or interwiki prefix is part of the title', () => {
    expect(classifyLink('https://en.wikipedia.org/wiki/Re:Zero')).toEqual(ok('en', 'Re:Zero'));
    expect(classifyLink('https://de.wikipedia.org/wiki/Talking:Heads')).toEqual(ok('de', 'Talking:Heads'));
    expect(classifyLink('https://de.wikipedia.org/wiki/Kategorisch:X')).toEqual(ok('de', 'Kategorisch:X'));
    // a localized name of another edition is a plain title here
    expect(classifyLink('https://en.wikipedia.org/wiki/Datei:X')).toEqual(ok('en', 'Datei:X'));
  });

  it('lists every reason, and each is what some link gets', () => {
    // The list is a record over RejectReason (a reason missing from it fails the typecheck); here: no reason is listed
    // that classifyLink never gives, and every reason classifyLink gives to the links above is listed, once.
    expect(new Set(REJECT_REASONS).size).toBe(REJECT_REASONS.length);
    const given = new Set(REJECTED.map(([href]) => classifyLink(href)).map((v) => (v.ok ? 'accepted' : v.reason)));
    expect([...given].sort()).toEqual([...REJECT_REASONS].sort());
  });
});

describe('title helpers', () => {
  it('classifyTitle works on decoded titles', () => {
    expect(classifyTitle('en', 'foo bar')).toEqual(ok('en', 'Foo_bar'));
    expect(classifyTitle('xx', 'Foo')).toEqual(no('unknown_language'));
    expect(classifyTitle('jbo', 'ralju ckupau')).toEqual(no('main_page'));
    expect(classifyTitle('jbo', 'lojban')).toEqual(ok('jbo', 'lojban')); // case-sensitive edition
  });

  it('upperFirst is Unicode-aware', () => {
    expect(upperFirst('école')).toBe('École');
    expect(upperFirst('ßa')).toBe('ßa');
    expect(upperFirst('ǳ')).toBe('Ǳ');
    expect(upperFirst('𐐨x')).toBe('𐐀x');
    expect(upperFirst('1a')).toBe('1a');
    expect(upperFirst('')).toBe('');
  });

  it('percentDecode: plus is a space only in queries; bad escapes are null', () => {
    expect(percentDecode('a+b%20c', false)).toBe('a+b c');
    expect(percentDecode('a+b%20c', true)).toBe('a b c');
    expect(percentDecode('%E0%A4%A', false)).toBeNull();
  });

  it('cleanText trims and collapses whitespace; empty is null', () => {
    expect(cleanText('  a \n\t b  ')).toBe('a b');
    expect(cleanText(' \n ')).toBeNull();
    expect(cleanText(null)).toBeNull();
    expect(cleanText('x'.repeat(5000))?.length).toBe(1000);
  });
});
