/**
 * The process exit codes, decided here only (README, "Exit codes"): 0 done; 1 a run finished with failed inputs, or a
 * command failed; 2 usage or configuration error (a bad flag, a listing that is not one, a Redis that cannot be
 * reached); 3 the run was cancelled; 130 interrupted (a signal or a closed output pipe; the run is resumable).
 */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Cancelled: 3, Interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The fuzz harness's exit codes (`npm run fuzz`, a program of its own; its usage text lists them): 0 no findings,
 * 1 findings, 2 usage error, 3 the harness itself failed.
 */
export const FuzzExitCode = { NoFindings: 0, Findings: 1, Usage: 2, HarnessFailed: 3 } as const;
export type FuzzExitCode = (typeof FuzzExitCode)[keyof typeof FuzzExitCode];

/**
 * The fuzz harness's reader child: 0 when its parent went away, 2 a bad WIKIREVERSE_FUZZ_SELFTEST, 70 (EX_SOFTWARE)
 * after it reported an error the reader left uncaught.
 */
export const FuzzChildExitCode = { Done: 0, Usage: 2, ReaderCrashed: 70 } as const;

/** A mistake in what the user gave (a flag, a file, a URL): printed as one line without a stack trace; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = ExitCode.Usage;
}
