/**
 * Reading an HTML response body: charset, `<title>`, `<base href>` and every `<a href>` with its text.
 * Streaming htmlparser2 callbacks, no DOM. Pure.
 */
import { TextDecoder } from 'node:util';
import { Parser } from 'htmlparser2';
import type { PageLink } from './page.js';

/** How many bytes are searched for a `<meta>` charset declaration. */
export const CHARSET_SNIFF_BYTES = 2048;

/** Raw anchor text kept per link while parsing (an unclosed `<a>` must not collect the rest of the page). */
const MAX_RAW_TEXT = 4096;

/**
 * Open elements the parser keeps at most. htmlparser2 keeps them in an array it `unshift`s and searches at every tag,
 * so a page nested n deep costs O(n^2): one of Common Crawl's 1 MiB pages of `<div>`s took 12 s (Node 24.22.3). Past
 * this depth the outermost open elements are forgotten (never closed: this job needs none of them, only `<a>` and
 * `<title>`, which it tracks itself), the parse goes on to the page's end at O(n x MAX_NESTING), and the page is counted
 * as `nestingCut`. Real pages nest tens deep (the bundled samples: 12 at the median, 37 at most); forgetting an outer
 * element changes nothing this job reads, but for an `<a>` forgotten before its end (its text then runs on, bounded).
 */
export const MAX_NESTING = 128;

const HEADER_CHARSET = /charset\s*=\s*["']?\s*([^"';\s,]+)/i;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)/i;

/**
 * The charset to decode a body with: byte-order mark, then the Content-Type header's `charset`, then a
 * `<meta charset>` / `http-equiv` declaration in the first CHARSET_SNIFF_BYTES bytes, then utf-8.
 */
export function sniffCharset(body: Buffer, contentType: string): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  const fromHeader = HEADER_CHARSET.exec(contentType)?.[1];
  if (fromHeader !== undefined) return fromHeader.toLowerCase();
  const head = body.toString('latin1', 0, Math.min(body.length, CHARSET_SNIFF_BYTES));
  const fromMeta = META_CHARSET.exec(head)?.[1]?.toLowerCase();
  // A <meta> can only be read if the bytes are ASCII-compatible, so a utf-16 declaration there is wrong (HTML spec).
  if (fromMeta !== undefined && !fromMeta.startsWith('utf-16')) return fromMeta;
  return 'utf-8';
}

const decoders = new Map<string, TextDecoder>();

function decoderFor(charset: string): TextDecoder {
  let decoder = decoders.get(charset);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(charset, { fatal: false });
    } catch {
      decoder = decoders.get('utf-8') ?? new TextDecoder('utf-8', { fatal: false }); // unknown label
    }
    decoders.set(charset, decoder);
  }
  return decoder;
}

/** Decodes an HTML body to text (see `sniffCharset`); unknown charsets decode as utf-8, bad bytes as U+FFFD. */
export function decodeHtml(body: Buffer, contentType: string): string {
  return decoderFor(sniffCharset(body, contentType)).decode(body);
}

export interface HtmlPage {
  readonly title: string | null;
  /** The first `<base href>`, as written. */
  readonly base: string | null;
  /** Every `<a href>`, in document order; text is the raw text content (whitespace not yet collapsed). */
  readonly links: readonly PageLink[];
  /** Nested deeper than MAX_NESTING somewhere (its outermost elements were forgotten; every link was still read). */
  readonly nestingCut: boolean;
}

/** What the callbacks collect from the page being parsed. */
interface PageState {
  readonly links: PageLink[];
  href: string | null;
  text: string;
  inTitle: boolean;
  title: string | null;
  base: string | null;
  nestingCut: boolean;
}

function closeAnchor(s: PageState): void {
  if (s.href !== null) s.links.push({ href: s.href, text: s.text === '' ? null : s.text });
  s.href = null;
  s.text = '';
}

/** The page `extractHtml` is parsing (it runs to the end synchronously, so one at a time). */
let current: PageState | null = null;

/**
 * The parser's callbacks, and below the parser itself: one for every page, not made anew per page. Optimized code
 * holds the objects it was specialized on weakly; when they died with their page at a full GC, V8 threw that code away
 * ("embedded weak objects cleared": 245 deopts in a timed pass over the WARC benchmark file on Node 24 without
 * incremental marking, the parser's methods compiled again and again).
 */
const handler = {
  onopentag(name: string, attribs: Record<string, string>): void {
    const s = current as PageState;
    const open = (parsing as unknown as ParserInternals).stack;
    if (open.length > MAX_NESTING) {
      open.length = MAX_NESTING; // the newest first: the outermost go
      const foreign = (parsing as unknown as ParserInternals).foreignContext;
      if (foreign.length > MAX_NESTING) foreign.length = MAX_NESTING;
      s.nestingCut = true;
    }
    if (name === 'a') {
      closeAnchor(s); // <a> cannot nest: a new one ends the previous one
      const value = attribs.href;
      if (value !== undefined) s.href = value;
    } else if (name === 'title') {
      s.inTitle = s.title === null;
      if (s.inTitle) s.title = '';
    } else if (name === 'base' && s.base === null) {
      const value = attribs.href;
      if (value !== undefined && value.trim() !== '') s.base = value;
    }
  },
  ontext(data: string): void {
    const s = current as PageState;
    if (s.href !== null && s.text.length < MAX_RAW_TEXT) s.text += data;
    if (s.inTitle && s.title !== null && s.title.length < MAX_RAW_TEXT) s.title += data;
  },
  onclosetag(name: string): void {
    const s = current as PageState;
    if (name === 'a') closeAnchor(s);
    else if (name === 'title') s.inTitle = false;
  },
};

const PARSER_OPTIONS = { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true } as const;

/** What of htmlparser2 12's Parser the nesting cap reaches into (both arrays hold the newest element first). */
interface ParserInternals {
  stack: string[];
  foreignContext: unknown[];
}

/** The parser of every page: `parseComplete` resets it before each one. */
const shared = new Parser(handler, PARSER_OPTIONS);
if (!Array.isArray((shared as unknown as ParserInternals).stack) || !Array.isArray((shared as unknown as ParserInternals).foreignContext)) {
  throw new Error('htmlparser2 keeps its open elements elsewhere than the nesting cap expects (jobs/wikipedia/html.ts)');
}
/** The parser running now. */
let parsing: Parser = shared;

/** Extracts title, base and anchors from HTML text. Entities in text and attributes are decoded. */
export function extractHtml(html: string): HtmlPage {
  const s: PageState = { links: [], href: null, text: '', inTitle: false, title: null, base: null, nestingCut: false };
  const outer = current;
  const outerParser = parsing;
  current = s;
  try {
    // Called again from inside a parse (never, today): a parser of its own, the shared one being in use.
    parsing = outer === null ? shared : new Parser(handler, PARSER_OPTIONS);
    parsing.parseComplete(html);
  } finally {
    current = outer;
    parsing = outerParser;
  }
  closeAnchor(s);
  return { title: s.title, base: s.base, links: s.links, nestingCut: s.nestingCut };
}
