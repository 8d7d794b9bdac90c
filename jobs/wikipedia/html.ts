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
}

/** Extracts title, base and anchors from HTML text. Entities in text and attributes are decoded. */
export function extractHtml(html: string): HtmlPage {
  const links: PageLink[] = [];
  let href: string | null = null;
  let text = '';
  let inTitle = false;
  let title: string | null = null;
  let base: string | null = null;

  const closeAnchor = (): void => {
    if (href !== null) links.push({ href, text: text === '' ? null : text });
    href = null;
    text = '';
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'a') {
          closeAnchor(); // <a> cannot nest: a new one ends the previous one
          const value = attribs.href;
          if (value !== undefined) href = value;
        } else if (name === 'title') {
          inTitle = title === null;
          if (inTitle) title = '';
        } else if (name === 'base' && base === null) {
          const value = attribs.href;
          if (value !== undefined && value.trim() !== '') base = value;
        }
      },
      ontext(data) {
        if (href !== null && text.length < MAX_RAW_TEXT) text += data;
        if (inTitle && title !== null && title.length < MAX_RAW_TEXT) title += data;
      },
      onclosetag(name) {
        if (name === 'a') closeAnchor();
        else if (name === 'title') inTitle = false;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  closeAnchor();
  return { title, base, links };
}
