/**
 * The process exit codes, decided here only (README, "Exit codes"): 0 done; 1 a run finished with failed inputs, or a
 * command failed; 2 usage or configuration error (a bad flag, a listing that is not one, a Redis that cannot be
 * reached); 3 the run was cancelled; 130 interrupted (a signal or a closed output pipe; the run is resumable).
 */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Cancelled: 3, Interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in what the user gave (a flag, a file, a URL): printed as one line without a stack trace; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = ExitCode.Usage;
}
