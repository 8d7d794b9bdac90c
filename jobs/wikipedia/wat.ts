/**
 * Reading a WAT metadata record (the JSON envelope Common Crawl writes for each WARC record). Pure.
 *
 * Header values may be a string or, for headers repeated in the record (Common Crawl since December 2024),
 * a list of strings: `firstString` takes the first.
 * WAT anchor texts and titles are raw HTML text (entities not decoded, e.g. `&mdash;`): they are decoded here,
 * and so are hrefs that contain `&` (`?title=A&amp;action=edit`).
 */
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import type { ExtractedPage, PageLink } from './page.js';

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** A header value: the string itself, or the first string of a list; undefined otherwise. */
export function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'string') return v;
  }
  return undefined;
}

function stripBrackets(uri: string): string {
  const t = uri.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

function decodeText(text: string): string {
  return text.includes('&') ? decodeHTML(text) : text;
}

function* anchorLinks(links: unknown): Generator<PageLink> {
  if (!Array.isArray(links)) return;
  for (const entry of links) {
    const link = obj(entry);
    if (link === undefined || link.path !== 'A@/href') continue;
    const url = link.url;
    if (typeof url !== 'string') continue;
    const text = link.text;
    yield {
      href: url.includes('&') ? decodeHTMLAttribute(url) : url,
      text: typeof text === 'string' ? decodeText(text) : null,
    };
  }
}

/**
 * The page described by a parsed WAT envelope (links: its `A@/href` entries), or null when the record is not about an HTML response
 * (request and non-HTML response records, WARC metadata records). `url` and `warcDate` are '' when absent:
 * the caller falls back to the record's own headers.
 */
export function watPage(json: unknown): ExtractedPage | null {
  const envelope = obj(obj(json)?.Envelope);
  if (envelope === undefined) return null;
  const warcHeaders = obj(envelope['WARC-Header-Metadata']);
  const warcType = firstString(warcHeaders?.['WARC-Type']);
  if (warcType !== undefined && warcType !== 'response') return null;
  const html = obj(obj(obj(envelope['Payload-Metadata'])?.['HTTP-Response-Metadata'])?.['HTML-Metadata']);
  if (html === undefined) return null;
  const head = obj(html.Head);
  const title = firstString(head?.Title);
  const base = firstString(head?.Base);
  return {
    url: stripBrackets(firstString(warcHeaders?.['WARC-Target-URI']) ?? ''),
    warcDate: (firstString(warcHeaders?.['WARC-Date']) ?? '').trim(),
    title: title === undefined ? null : decodeText(title),
    base: base === undefined ? null : base,
    links: [...anchorLinks(html.Links)],
  };
}
