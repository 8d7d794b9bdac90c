/**
 * The inflate that reads runs of whole gzip members (members.ts's fast path, where nearly all of a Common Crawl file's
 * bytes go): libdeflate through the project's addon (native/inflate.cc, built by `npm ci`) when it loads, else node's
 * zlib. Both take the same bytes and give the same answer: the inflated bytes of every member, each checked against
 * its trailer, or null when the bytes are not whole members only (the caller then reads them one by one with zlib,
 * which names the damage). The WIKIREVERSE_INFLATE setting chooses (passed down by the worker and `extract`): auto
 * (the addon when it loads), libdeflate (the addon or an error), zlib.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type { Config } from '../config/index.js';

export interface Inflate {
  /** What inflates, with its version: "libdeflate 1.14" or "zlib 1.3.1 (node)". */
  readonly name: string;
  /**
   * The inflated bytes of the gzip members that fill `members` exactly, each checked against its trailer; null when
   * `members` is anything else (a damaged member, bytes between members, a member cut short) or inflates to more than
   * `maxBytes`. `firstCapacity`: the output room to start with (it grows as needed). `into`: a buffer the caller
   * owns that the result may be written into (then it is a view of `into`, and no memory is allocated): what reads a
   * whole input inflates batch after batch into the same few buffers, instead of one new buffer a batch that V8
   * must account for (at 200 MB of output a file, that cost a full GC every 50 MB: a third of the reader's CPU).
   */
  gunzipMembers(members: Uint8Array, maxBytes: number, firstCapacity: number, into?: Buffer): Buffer | null;
}

/**
 * node's zlib. Its gunzip stops without an error at bytes after a member that start with a zero byte (it takes them
 * for padding): the members after them would be lost without a word, so the bytes it used must be all the bytes.
 */
export const zlibInflate: Inflate = {
  name: `zlib ${process.versions.zlib} (node)`,
  gunzipMembers(members, maxBytes, firstCapacity) {
    try {
      const out = zlib.gunzipSync(members, { info: true, maxOutputLength: maxBytes, chunkSize: Math.max(64, Math.min(firstCapacity, maxBytes)) }) as unknown as { buffer: Buffer; engine: zlib.Gunzip };
      return out.engine.bytesWritten === members.byteLength ? out.buffer : null;
    } catch {
      return null;
    }
  },
};

interface Addon {
  readonly engine: string;
  gunzip(input: Uint8Array, maxOutput: number, firstCapacity: number): Buffer | number;
  /** Bytes written into `out`, or -1 (not whole members), -2 (more than `limit` bytes). */
  gunzipInto?(input: Uint8Array, out: Uint8Array, limit: number): number;
}

const ADDON_FILE = path.join('native', 'build', 'Release', 'wikireverse_inflate.node');

/** The addon's file: in the package root, found upward from this module (dist/src/warc/ or src/warc/). */
function addonPath(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = path.join(dir, ADDON_FILE);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

type Loaded = { readonly inflate: Inflate } | { readonly error: string };

/** The addon in `file` as an inflate, or why it is none (absent, does not load, not this addon). */
export function loadNative(file: string | undefined): Loaded {
  if (file === undefined || !fs.existsSync(file)) return { error: `${ADDON_FILE} is not built (npm ci builds it where libdeflate-dev and a C++ compiler are installed)` };
  try {
    const addon = createRequire(import.meta.url)(file) as Addon;
    if (typeof addon.gunzip !== 'function' || typeof addon.engine !== 'string') throw new Error('it does not export gunzip and engine');
    return {
      inflate: {
        name: addon.engine,
        gunzipMembers(members, maxBytes, firstCapacity, into) {
          if (into && addon.gunzipInto) {
            const n = addon.gunzipInto(members, into, Math.min(maxBytes, into.length));
            if (n >= 0) return into.subarray(0, n);
            if (n === -1 || maxBytes <= into.length) return null;
            // More than `into` holds but maybe not more than maxBytes: a buffer of its own.
          }
          const out = addon.gunzip(members, maxBytes, Math.max(1, Math.min(firstCapacity, maxBytes)));
          return typeof out === 'number' ? null : out;
        },
      },
    };
  } catch (err) {
    return { error: `${file} does not load (${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)})` };
  }
}

let loaded: Loaded | undefined;

/** The package's addon as an inflate, or why there is none. Loaded once per thread. */
export function nativeInflate(): Loaded {
  loaded ??= loadNative(addonPath());
  return loaded;
}

export type InflateChoice = Config['inflate'];

/** The inflate a choice gives; `libdeflate` without a loadable addon is an error naming why. */
export function inflateFor(choice: InflateChoice): { readonly inflate: Inflate; readonly fallback?: string } {
  if (choice === 'zlib') return { inflate: zlibInflate };
  const native = nativeInflate();
  if ('inflate' in native) return native;
  if (choice === 'libdeflate') throw new Error(`WIKIREVERSE_INFLATE=libdeflate: ${native.error}`);
  return { inflate: zlibInflate, fallback: native.error };
}

let chosen: { readonly inflate: Inflate; readonly fallback?: string } | undefined;

/** The inflate where no setting is passed down (auto: the addon when it loads), and why it fell back to zlib if it did. */
export function defaultInflate(): { readonly inflate: Inflate; readonly fallback?: string } {
  chosen ??= inflateFor('auto');
  return chosen;
}
