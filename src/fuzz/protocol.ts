/**
 * What the fuzz harness and its reader child say to each other over IPC (child_process.fork), and the outcomes and
 * finding kinds both sides name. Types and constants only: the two processes share no state.
 */
import { SETTINGS } from '../config/index.js';

/** Fault the reader child injects for the harness's own tests (WIKIREVERSE_FUZZ_SELFTEST), on inputs starting with SELFTEST_MARKER. */
export const SELFTEST_FAULTS = SETTINGS.fuzzSelftest.choices;
export type SelfTestFault = (typeof SELFTEST_FAULTS)[number];
export const SELFTEST_MARKER = 'FUZZ-SELFTEST';

/** Parent -> child: read one input file. */
export interface ReadRequest {
  readonly type: 'read';
  readonly id: number;
  readonly path: string;
}

/** How the read ended, as the child saw it. */
export type ReadEnd =
  | { readonly status: 'ok'; readonly rows: number; readonly countersBytes: number }
  /** The file-level InputError the reader throws for unreadable files: expected. */
  | { readonly status: 'input-error'; readonly message: string; /** Class name of its cause. */ readonly cause: string }
  /** Any other error class. */
  | { readonly status: 'error'; readonly name: string; readonly message: string; readonly stack: string }
  /** The two inflates (libdeflate, node's zlib) read the input differently: what differed. */
  | { readonly status: 'mismatch'; readonly message: string };

/** Child -> parent. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'result'; readonly id: number; readonly rssMb: number; readonly maxRssMb: number } & ReadEnd)
  /** An uncaught exception or unhandled rejection; the child exits after sending it. */
  | { readonly type: 'fatal'; readonly id: number | null; readonly origin: string; readonly name: string; readonly message: string; readonly stack: string };

export const FINDING_KINDS = ['hang', 'crash', 'memory', 'counters-bloat', 'no-offset', 'inflate-mismatch'] as const;
/**
 * hang: the deadline passed; crash: the child died, or the reader threw something other than InputError;
 * memory: the child's RSS passed the limit; counters-bloat: the counters' JSON passed 64 KiB;
 * no-offset: an InputError whose message names no byte offset; inflate-mismatch: the input read with libdeflate and with
 * node's zlib gave other rows, counters or errors.
 */
export type FindingKind = (typeof FINDING_KINDS)[number];

export type Outcome = 'ok' | 'input-error' | FindingKind;

/** Counters JSON larger than this is a finding (a file's counters are merged into every run total). */
export const MAX_COUNTERS_BYTES = 64 * 1024;

export function isFindingKind(outcome: Outcome): outcome is FindingKind {
  return outcome !== 'ok' && outcome !== 'input-error';
}
