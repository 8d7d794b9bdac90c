/**
 * Text and title normalisation, as MediaWiki does it (Title::newFromText / MediaWikiTitleCodec::splitTitleString),
 * reduced to what matters for main-namespace article titles. Pure functions.
 */
import { decodeHTMLStrict } from 'entities';

/** Longest title MediaWiki accepts, in UTF-8 bytes. */
export const MAX_TITLE_BYTES = 255;

/** Longest anchor text / page title kept, in UTF-16 code units (longer ones are cut). */
export const MAX_TEXT_LENGTH = 1000;

const WHITESPACE_RUN = /\s+/g;

/** Trims and collapses whitespace; empty (or absent) becomes null; cut to MAX_TEXT_LENGTH. */
export function cleanText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  let t = text.replace(WHITESPACE_RUN, ' ').trim();
  if (t === '') return null;
  if (t.length > MAX_TEXT_LENGTH) {
    t = t.slice(0, MAX_TEXT_LENGTH);
    const last = t.charCodeAt(t.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) t = t.slice(0, -1); // do not leave half a surrogate pair
  }
  return t;
}

/**
 * Percent-decodes one URL component (UTF-8). `plusIsSpace` for query strings (`title=A+B` is `A B`);
 * in a path `+` is a literal plus. Returns null on invalid percent-encoding or invalid UTF-8.
 */
export function percentDecode(text: string, plusIsSpace: boolean): string | null {
  const t = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  if (!t.includes('%')) return t;
  try {
    return decodeURIComponent(t);
  } catch {
    return null;
  }
}

/** Characters MediaWiki maps to a space (then an underscore) in titles. */
const TITLE_SPACES = /[ _\u00A0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/g;
/** Direction marks MediaWiki strips from titles. */
const DIRECTION_MARKS = /[\u200E\u200F\u202A-\u202E]/g;
/**
 * What MediaWiki forbids in titles: `# < > [ ] | { }`, control characters, U+FFFD, and percent-escapes that are
 * still there after decoding (`%41`).
 */
const ILLEGAL = /[#<>[\]|{}\u0000-\u001F\u007F\uFFFD]|%[0-9A-Fa-f]{2}/;

/**
 * Normalises a decoded title: HTML entities, direction marks, spaces to underscores (collapsed, trimmed),
 * one leading colon dropped. Case is not changed here (see `upperFirst`).
 */
export function normalizeTitleText(decoded: string): string {
  let t = decoded.includes('&') ? decodeHTMLStrict(decoded) : decoded;
  t = t.replace(DIRECTION_MARKS, '').replace(TITLE_SPACES, '_');
  if (t.startsWith('_')) t = t.replace(/^_+/, '');
  if (t.startsWith(':')) t = t.slice(1).replace(/^_+/, '');
  if (t.endsWith('_')) t = t.replace(/_+$/, '');
  return t;
}

/** Why a normalised title is not a valid MediaWiki title, or null when it is. */
export function titleProblem(title: string): 'empty_title' | 'illegal_char' | 'too_long' | null {
  if (title === '') return 'empty_title';
  if (ILLEGAL.test(title)) return 'illegal_char';
  if (title.includes('~~~')) return 'illegal_char';
  if (
    title === '.' ||
    title === '..' ||
    title.startsWith('./') ||
    title.startsWith('../') ||
    title.includes('/./') ||
    title.includes('/../') ||
    title.endsWith('/.') ||
    title.endsWith('/..')
  ) {
    return 'illegal_char';
  }
  if (title.length > MAX_TITLE_BYTES / 4 && Buffer.byteLength(title, 'utf8') > MAX_TITLE_BYTES) return 'too_long';
  return null;
}

/** Georgian Mkhedruli letters: MediaWiki keeps them lower-case (JS would map them to Mtavruli). */
const NO_UPPER = /^[\u10D0-\u10FF]/;

/**
 * Upper-cases the first code point, as MediaWiki does for wikis with capital links. Letters whose upper case
 * is more than one character (German ß) and Georgian letters stay as they are.
 */
export function upperFirst(title: string): string {
  const cp = title.codePointAt(0);
  if (cp === undefined || cp < 0x61) return title; // fast path: ASCII upper case, digits, punctuation
  const first = String.fromCodePoint(cp);
  if (NO_UPPER.test(first)) return title;
  const upper = first.toUpperCase();
  if (upper === first || upper.length !== first.length) return title;
  return upper + title.slice(first.length);
}
