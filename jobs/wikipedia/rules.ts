/**
 * Which links point at a Wikipedia article, and which article: `classifyLink(href, base)`. Pure.
 *
 * Accepted: http(s) links to `<lang>.wikipedia.org` or `<lang>.m.wikipedia.org` (any case) of a known edition, with
 * a `/wiki/<title>` path or a `/w/index.php?title=<title>` view, whose title is a main-namespace article.
 * Rejected views: an `action` other than `view`, and `diff` or `oldid` (a revision or a diff, not the article).
 */
import { EDITIONS, EDITION_ALIASES, GLOBAL_NAMESPACES, INTERWIKI_PREFIXES, type Edition } from './editions.generated.js';
import { normalizeTitleText, percentDecode, titleProblem, upperFirst } from './normalize.js';

export type RejectReason =
  /** The href is not a parsable URL, or its title has invalid percent-encoding. */
  | 'bad_url'
  /** Not an http(s) link to a `*.wikipedia.org` host. */
  | 'not_wikipedia'
  /** A wikipedia.org host that is not a known edition (`www.`, `wikipedia.org`, unknown codes). */
  | 'unknown_language'
  /** Neither `/wiki/<title>` nor `/w/index.php?title=<title>`. */
  | 'not_article_path'
  /** `action` other than `view`, or a `diff` / `oldid` parameter. */
  | 'action_view'
  | 'empty_title'
  /** The edition's main page, or `Main_Page` (any case). */
  | 'main_page'
  /** A namespace prefix: canonical English, alias, or the edition's localized name. */
  | 'namespace'
  /** An interwiki prefix: another language edition (`fr:`) or another project (`wikt:`). */
  | 'interwiki'
  /** A character MediaWiki forbids in titles (after decoding), or a relative-path title (`../x`). */
  | 'illegal_char'
  /** More than 255 bytes of UTF-8. */
  | 'too_long';

export type LinkVerdict = { ok: true; lang: string; article: string } | { ok: false; reason: RejectReason };

/** Every reason once, a record over the type: a reason added to `RejectReason` and not here fails the typecheck. */
const EVERY_REASON: Record<RejectReason, true> = {
  bad_url: true,
  not_wikipedia: true,
  unknown_language: true,
  not_article_path: true,
  action_view: true,
  empty_title: true,
  main_page: true,
  namespace: true,
  interwiki: true,
  illegal_char: true,
  too_long: true,
};

/** All reasons (the `links_rejected.<reason>` counters), for reports and tests. */
export const REJECT_REASONS: readonly RejectReason[] = Object.keys(EVERY_REASON) as RejectReason[];

const WIKIPEDIA_SUFFIX = '.wikipedia.org';
const MENTIONS_WIKIPEDIA = /wikipedia\.org/i;

function reject(reason: RejectReason): LinkVerdict {
  return { ok: false, reason };
}

/** Lower-cases a host name and drops a trailing dot. */
export function normalizeHost(hostname: string): string {
  const h = hostname.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** True for wikipedia.org, wikimedia.org and their subdomains (pages whose links are Wikipedia's own). */
export function isWikimediaHost(hostname: string): boolean {
  const h = normalizeHost(hostname);
  return (
    h === 'wikipedia.org' || h.endsWith('.wikipedia.org') || h === 'wikimedia.org' || h.endsWith('.wikimedia.org')
  );
}

/**
 * The edition code for a host: `en` for `en.wikipedia.org` and `EN.m.wikipedia.org`; aliases map to their edition
 * (`nb` -> `no`). `undefined` when the host is not under wikipedia.org, null when it is but is no known edition.
 */
export function editionOfHost(hostname: string): string | null | undefined {
  const h = normalizeHost(hostname);
  if (!h.endsWith(WIKIPEDIA_SUFFIX)) return h === 'wikipedia.org' ? null : undefined;
  let sub = h.slice(0, -WIKIPEDIA_SUFFIX.length);
  if (sub.endsWith('.m')) sub = sub.slice(0, -2);
  const lang = EDITION_ALIASES.get(sub) ?? sub;
  return EDITIONS.has(lang) ? lang : null;
}

const namespaceSets = new Map<string, ReadonlySet<string>>();

function localNamespaces(lang: string, edition: Edition): ReadonlySet<string> {
  let set = namespaceSets.get(lang);
  if (set === undefined) {
    set = new Set(edition.namespaces);
    namespaceSets.set(lang, set);
  }
  return set;
}

/**
 * The edition's main page or `Main_Page`, compared without regard to case: `Main_page` and the like are redirects
 * to the main page on the large editions, and no article is named like a main page in another case.
 */
function isMainPage(article: string, mainPage: string): boolean {
  const n = article.length;
  if (n !== mainPage.length && n !== 9) return false;
  const lower = article.toLowerCase();
  return lower === 'main_page' || lower === mainPage.toLowerCase();
}

/**
 * Classifies a title already taken out of the URL and percent-decoded, for edition `lang`:
 * the normalised article name, or why it is not an article.
 */
export function classifyTitle(lang: string, decodedTitle: string): LinkVerdict {
  const edition = EDITIONS.get(lang);
  if (edition === undefined) return reject('unknown_language');
  const text = normalizeTitleText(decodedTitle);
  const problem = titleProblem(text);
  if (problem !== null) return reject(problem);
  const article = edition.caseSensitive ? text : upperFirst(text);
  if (isMainPage(article, edition.mainPage)) return reject('main_page');
  const colon = article.indexOf(':');
  if (colon > 0) {
    const prefix = article.slice(0, colon).replace(/_+$/, '').toLowerCase();
    if (GLOBAL_NAMESPACES.has(prefix) || localNamespaces(lang, edition).has(prefix)) return reject('namespace');
    if (INTERWIKI_PREFIXES.has(prefix) || EDITIONS.has(prefix) || EDITION_ALIASES.has(prefix)) {
      return reject('interwiki');
    }
  }
  return { ok: true, lang, article };
}

interface QueryFacts {
  /** The raw (still encoded) `title` value, when present. */
  title: string | undefined;
  /** True when the query asks for something other than a plain view. */
  notView: boolean;
}

function readQuery(search: string): QueryFacts {
  const facts: QueryFacts = { title: undefined, notView: false };
  if (search.length < 2) return facts;
  for (const part of search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const key = (percentDecode(eq === -1 ? part : part.slice(0, eq), true) ?? '').toLowerCase();
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (key === 'title') {
      if (facts.title === undefined) facts.title = value;
    } else if (key === 'action') {
      if ((percentDecode(value, true) ?? value).trim().toLowerCase() !== 'view') facts.notView = true;
    } else if (key === 'diff' || key === 'oldid') {
      facts.notView = true;
    }
  }
  return facts;
}

/**
 * Classifies one href found on a page. `base` is what relative hrefs resolve against (the page URL, or its
 * `<base href>` resolved against the page URL); without it, relative hrefs are `bad_url` and protocol-relative
 * ones (`//en.wikipedia.org/...`) are taken as https.
 */
export function classifyLink(href: string, base?: string | URL): LinkVerdict {
  // Fast path: most links on a page are not Wikipedia's, and URL parsing is the expensive part.
  if (!MENTIONS_WIKIPEDIA.test(href)) {
    const baseHost = base === undefined ? '' : typeof base === 'string' ? base : base.hostname;
    if (!MENTIONS_WIKIPEDIA.test(baseHost)) return reject('not_wikipedia');
  }
  let url: URL;
  try {
    url = base === undefined && href.trimStart().startsWith('//') ? new URL(`https:${href.trim()}`) : new URL(href, base);
  } catch {
    return reject('bad_url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return reject('not_wikipedia');
  const lang = editionOfHost(url.hostname);
  if (lang === undefined) return reject('not_wikipedia');
  if (lang === null) return reject('unknown_language');

  const path = url.pathname;
  const query = readQuery(url.search);
  let rawTitle: string | undefined;
  let plusIsSpace: boolean;
  if (path.startsWith('/wiki/')) {
    rawTitle = path.slice('/wiki/'.length);
    plusIsSpace = false;
  } else if (path === '/w/index.php') {
    rawTitle = query.title;
    plusIsSpace = true;
    if (rawTitle === undefined) return reject('not_article_path');
  } else {
    return reject('not_article_path');
  }
  if (query.notView) return reject('action_view');
  const decoded = percentDecode(rawTitle, plusIsSpace);
  if (decoded === null) return reject('bad_url');
  return classifyTitle(lang, decoded);
}
