/** The fuzz run's tally (what was read, what came of it, what was found) and its one-screen text form. */
import { FINDING_KINDS, isFindingKind, type FindingKind, type Outcome } from './protocol.js';

export interface KindTally {
  count: number;
  ok: number;
  inputError: number;
  findings: number;
  /** The kind's slowest read (ms, wall clock, a kill included). */
  slowestMillis: number;
}

export interface Finding {
  readonly kind: FindingKind;
  /** Mutant number (null in a replay). */
  readonly index: number | null;
  /** Mutation kind ('replay' in a replay). */
  readonly mutation: string;
  readonly detail: string;
  /** The reproducer: the saved mutant, or the replayed file. */
  readonly file: string;
  readonly message: string;
  readonly millis: number;
}

export interface FuzzReport {
  readonly mode: 'fuzz' | 'replay';
  /** The run's seed (null in a replay). */
  readonly seed: number | null;
  /** Time spent making and reading inputs (seed preparation excluded). */
  readonly elapsedSecs: number;
  /** Inputs read: mutants, or the replayed files. */
  readonly inputs: number;
  readonly inputsPerSec: number;
  readonly kinds: Record<string, KindTally>;
  readonly outcomes: { readonly ok: number; readonly inputError: number; readonly findings: number; readonly byFinding: Record<FindingKind, number> };
  /**
   * Input errors by the class of the error they wrap: expected outcomes, but a TypeError or RangeError there is a bug
   * of the reader that the file-level error hides.
   */
  readonly inputErrorCauses: Record<string, number>;
  readonly peakChildRssMb: number;
  readonly childRestarts: number;
  readonly slowestReadMillis: number;
  readonly deadlineMillis: number;
  readonly maxRssMb: number;
  /** What inflated the inputs: both inflates, compared, or zlib alone and why. */
  readonly inflates: string;
  readonly findings: readonly Finding[];
}

/** What one read contributes to the tally. */
export interface ReadRecord {
  readonly mutation: string;
  readonly outcome: Outcome;
  readonly millis: number;
  /** For input errors: the class of the wrapped error. */
  readonly cause?: string;
  /** Present for findings. */
  readonly finding?: Omit<Finding, 'kind' | 'mutation' | 'millis'>;
}

export class Tally {
  private readonly kinds: Record<string, KindTally> = {};
  private readonly findings: Finding[] = [];
  private readonly causes: Record<string, number> = {};
  private ok = 0;
  private inputError = 0;
  private inputs = 0;
  private slowest = 0;

  constructor(kindNames: readonly string[]) {
    for (const k of kindNames) this.kinds[k] = { count: 0, ok: 0, inputError: 0, findings: 0, slowestMillis: 0 };
  }

  add(r: ReadRecord): void {
    const k = (this.kinds[r.mutation] ??= { count: 0, ok: 0, inputError: 0, findings: 0, slowestMillis: 0 });
    this.inputs++;
    k.count++;
    this.slowest = Math.max(this.slowest, r.millis);
    k.slowestMillis = Math.max(k.slowestMillis, Math.round(r.millis));
    if (r.outcome === 'ok') {
      this.ok++;
      k.ok++;
    } else if (r.outcome === 'input-error') {
      this.inputError++;
      k.inputError++;
      const cause = r.cause ?? 'unknown';
      this.causes[cause] = (this.causes[cause] ?? 0) + 1;
    } else if (isFindingKind(r.outcome)) {
      k.findings++;
      if (!r.finding) throw new Error(`Tally.add: a ${r.outcome} finding without its reproducer`);
      this.findings.push({ kind: r.outcome, mutation: r.mutation, millis: Math.round(r.millis), ...r.finding });
    }
  }

  report(run: Pick<FuzzReport, 'mode' | 'seed' | 'elapsedSecs' | 'peakChildRssMb' | 'childRestarts' | 'deadlineMillis' | 'maxRssMb' | 'inflates'>): FuzzReport {
    const byFinding = Object.fromEntries(FINDING_KINDS.map((f) => [f, this.findings.filter((x) => x.kind === f).length])) as Record<FindingKind, number>;
    return {
      ...run,
      elapsedSecs: Number(run.elapsedSecs.toFixed(2)),
      inputs: this.inputs,
      inputsPerSec: Number((this.inputs / Math.max(run.elapsedSecs, 1e-9)).toFixed(1)),
      kinds: this.kinds,
      outcomes: { ok: this.ok, inputError: this.inputError, findings: this.findings.length, byFinding },
      inputErrorCauses: Object.fromEntries(Object.entries(this.causes).sort(([, a], [, b]) => b - a)),
      peakChildRssMb: Math.round(run.peakChildRssMb),
      slowestReadMillis: Math.round(this.slowest),
      findings: this.findings,
    };
  }
}

/** Findings listed in the text report (all of them are in --json). */
const LISTED_FINDINGS = 8;

export function formatReport(r: FuzzReport): string {
  const lines: string[] = [];
  const what = r.mode === 'fuzz' ? `seed ${r.seed}, ${r.inputs} mutants` : `replay, ${r.inputs} files`;
  lines.push(`wikireverse fuzz: ${what} in ${r.elapsedSecs.toFixed(1)} s (${r.inputsPerSec}/s); deadline ${r.deadlineMillis} ms, RSS limit ${r.maxRssMb} MB`);
  lines.push(`peak child RSS ${r.peakChildRssMb} MB, ${r.childRestarts} child restarts, slowest read ${r.slowestReadMillis} ms`);
  lines.push(`inflate: ${r.inflates}`);
  lines.push('');
  lines.push(`${'mutation'.padEnd(20)}${'read'.padStart(7)}${'ok'.padStart(7)}${'input err'.padStart(11)}${'findings'.padStart(10)}${'slowest ms'.padStart(12)}`);
  for (const [kind, t] of Object.entries(r.kinds)) {
    lines.push(`${kind.padEnd(20)}${String(t.count).padStart(7)}${String(t.ok).padStart(7)}${String(t.inputError).padStart(11)}${String(t.findings).padStart(10)}${String(t.slowestMillis).padStart(12)}`);
  }
  const by = FINDING_KINDS.filter((f) => r.outcomes.byFinding[f] > 0).map((f) => `${f} ${r.outcomes.byFinding[f]}`);
  lines.push('');
  lines.push(`outcomes: ok ${r.outcomes.ok}, input error ${r.outcomes.inputError}, findings ${r.outcomes.findings}${by.length ? ` (${by.join(', ')})` : ''}`);
  const causes = Object.entries(r.inputErrorCauses).map(([c, n]) => `${c} ${n}`);
  if (causes.length > 0) lines.push(`input errors by cause: ${causes.join(', ')}`);
  for (const f of r.findings.slice(0, LISTED_FINDINGS)) {
    lines.push(`  ${f.kind.padEnd(15)}${f.mutation.padEnd(18)}${f.file}`);
    lines.push(`  ${''.padEnd(15)}${(f.message.split('\n')[0] ?? '').slice(0, 110)}`);
  }
  if (r.findings.length > LISTED_FINDINGS) lines.push(`  ... and ${r.findings.length - LISTED_FINDINGS} more (--json lists them all)`);
  return `${lines.join('\n')}\n`;
}
