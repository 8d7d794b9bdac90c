/** Where a command writes: stdout for results, stderr for progress and logs. Tests pass their own. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export { UsageError } from '../exit-codes.js';
import { UsageError } from '../exit-codes.js';

export function intOption(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}
