/**
 * Deep markup in a response's HTML (issue 24, finding 3): what costs an HTML parser more than its bytes. Nesting (the
 * audit's quadratic tag stack), many or huge attributes and unterminated quotes, comments left open or repeated, and
 * entities (numeric, named, out of range) inside and around links to Wikipedia. A page stays at most about 1 MiB of
 * markup (Common Crawl cuts payloads there); the record's Content-Length is adjusted most of the time, so the page is
 * parsed rather than failing the framing.
 */
import type { Rng } from '../fixtures/rng.js';
import { blockStartAfter, httpHeads, splice, withLengthDelta } from './warc-bytes.js';

/** Markup inserted at most (bytes). */
const MAX_MARKUP_BYTES = 1 << 20;
const TAGS = ['div', 'span', 'b', 'i', 'a', 'table', 'tr', 'td', 'ul', 'li', 'font', 'p', 'svg', 'math', 'select', 'option', 'script', 'template', 'x-y'];
const WIKI = ['https://en.wikipedia.org/wiki/Apple', '//de.wikipedia.org/wiki/Berlin', 'http://fr.m.wikipedia.org/wiki/Paris', 'https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC'];
const ENTITIES = ['&amp;', '&#x41;', '&#65;', '&#x1F600;', '&#99999999999;', '&#x110000;', '&#0;', '&nbsp', '&notanentity;', '&', '&#', '&#x;', '&amp;amp;'];

export const MARKUP_SHAPES = ['nesting', 'attributes', 'comments', 'entities', 'links'] as const;
type Shape = (typeof MARKUP_SHAPES)[number];

/** A count from 10 up to what fits in `budget` bytes at `unit` bytes each, log-uniform. */
function count(rng: Rng, unit: number, budget = MAX_MARKUP_BYTES): number {
  const hi = Math.max(10, Math.floor(budget / Math.max(1, unit)));
  return Math.min(hi, Math.floor(Math.exp(Math.log(10) + rng.next() * (Math.log(hi + 1) - Math.log(10)))));
}

function markup(shape: Shape, rng: Rng): string {
  const link = rng.pick(WIKI);
  switch (shape) {
    case 'nesting': {
      const tag = rng.pick(TAGS);
      const open = rng.chance(0.3) ? `<${tag} class="c${rng.int(100)}">` : `<${tag}>`;
      const n = count(rng, open.length + (rng.chance(0.5) ? tag.length + 3 : 0));
      const inner = rng.chance(0.7) ? `<a href="${link}">deep</a>` : '';
      const close = rng.pick(['all', 'none', 'wrong'] as const);
      const closers = close === 'all' ? `</${tag}>`.repeat(n) : close === 'wrong' ? `</${rng.pick(TAGS)}>`.repeat(Math.min(n, 1000)) : '';
      return open.repeat(n) + inner + closers;
    }
    case 'attributes': {
      const style = rng.pick(['many', 'huge', 'unterminated', 'duplicate-href'] as const);
      if (style === 'many') return `<a href="${link}" ${Array.from({ length: count(rng, 8) }, (_, i) => `a${i}=v`).join(' ')}>x</a>`;
      if (style === 'huge') return `<a title="${'t'.repeat(count(rng, 1))}" href="${link}">x</a>`;
      if (style === 'unterminated') return `<a href="${link}" title="${'<a href=x>'.repeat(count(rng, 10))}`;
      return `<a ${Array.from({ length: count(rng, link.length + 8) }, () => `href="${link}"`).join(' ')}>x</a>`;
    }
    case 'comments': {
      const style = rng.pick(['open', 'many', 'nested', 'cdata'] as const);
      if (style === 'open') return `<!-- ${'<a href="' + link + '">x</a>'.repeat(count(rng, link.length + 16))}`;
      if (style === 'many') return '<!---->'.repeat(count(rng, 7)) + `<a href="${link}">after</a>`;
      if (style === 'nested') return '<!-- <!-- -- --!> '.repeat(count(rng, 18)) + `<a href="${link}">x</a>`;
      return `<![CDATA[${']]'.repeat(count(rng, 2))}<a href="${link}">x</a>`;
    }
    case 'entities': {
      const e = rng.pick(ENTITIES);
      const n = count(rng, e.length + 1);
      return rng.chance(0.5) ? `<a href="${link}${e.repeat(Math.min(n, 100_000))}">${e.repeat(n)}</a>` : e.repeat(n) + `<a href="${link}">x</a>`;
    }
    case 'links': {
      const n = count(rng, link.length + 14);
      return rng.chance(0.5) ? `<a href="${link}">`.repeat(n) : `<a href="${link}">x</a>`.repeat(n);
    }
  }
}

/** Deep markup inserted in the body of one HTTP response of `buf` (plain WARC bytes). */
export function deepMarkup(buf: Buffer, rng: Rng): { bytes: Buffer; detail: string } {
  const heads = httpHeads(buf);
  if (heads.length === 0) return { bytes: buf, detail: 'deep-markup: no HTTP response' };
  const h = rng.pick(heads);
  const bodyStart = h.headersEnd + 4;
  const blockStart = blockStartAfter(buf, h.recordStart);
  const m = /\r\nContent-Length:[ \t]*(\d+)/i.exec(buf.toString('latin1', h.recordStart, blockStart));
  const bodyEnd = Math.min(buf.length, blockStart + Number(m?.[1] ?? 0));
  const at = bodyStart + rng.int(Math.max(1, bodyEnd - bodyStart));
  const shape = rng.pick(MARKUP_SHAPES);
  const added = Buffer.from(markup(shape, rng), 'utf8');
  const replace = rng.chance(0.3) ? Math.max(0, bodyEnd - at) : 0; // the rest of the page replaced, or the markup added
  const out = splice(buf, at, replace, added);
  const framed = rng.chance(0.85);
  return {
    bytes: framed ? withLengthDelta(out, h.recordStart, added.length - replace) : out,
    detail: `${added.length} bytes of ${shape} markup ${replace > 0 ? 'replacing the rest' : 'inserted'} at ${at} (response at ${h.recordStart})${framed ? ', Content-Length adjusted' : ''}`,
  };
}
